package io.zmesh.worker.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads the SDK starts, its shutdown hooks, and work for executors that may be shut down. */
public final class Threads {
  private Threads() {}

  /** Daemon threads named {@code name-1}, {@code name-2}...: the SDK never holds a JVM open. */
  public static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Runs {@code task} in a thread named {@code name} when the JVM shuts down; returns it. */
  public static Thread addShutdownHook(String name, Runnable task) {
    Thread hook = new Thread(task, name);
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  /** Undoes {@link #addShutdownHook}; nothing if {@code hook} is null or is running this. */
  public static void removeShutdownHook(Thread hook) {
    if (hook == null || Thread.currentThread() == hook) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already running hooks
    }
  }

  /** Runs {@code task} on {@code executor}, or here if the executor is shut down. */
  static void runOn(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException rejected) {
      task.run();
    }
  }
}
