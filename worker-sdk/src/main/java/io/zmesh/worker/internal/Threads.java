package io.zmesh.worker.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The threads the SDK starts, and handing work to executors that may be shut down. */
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

  /** Runs {@code task} on {@code executor}, or here if the executor is shut down. */
  static void runOn(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException rejected) {
      task.run();
    }
  }
}
