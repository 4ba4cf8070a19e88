package io.zmesh.broker;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when an {@link Error} (an OutOfMemoryError, say) ends one of the broker's
 * threads: the loop, the ZAP handler, or one of JeroMQ's I/O and reaper threads. A broker that
 * lost one of them stops moving packets while it looks alive, which nothing would restart, so
 * the error is logged, the loop is told to stop and the options' handler runs (by default it
 * halts the process with {@link BrokerOptions#FATAL_EXIT_CODE}, so a supervisor restarts it).
 */
final class FatalErrors implements Thread.UncaughtExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(FatalErrors.class);

  /** The default handler: halt, since shutdown hooks may need the memory that ran out. */
  static final Consumer<Throwable> HALT = e -> {
    System.err.flush();
    Runtime.getRuntime().halt(BrokerOptions.FATAL_EXIT_CODE);
  };

  private final Consumer<Throwable> handler;
  private volatile BrokerLoop loop;
  private volatile boolean reported;

  FatalErrors(Consumer<Throwable> handler) {
    this.handler = handler;
  }

  boolean reported() {
    return reported;
  }

  void watch(BrokerLoop loop) {
    this.loop = loop;
  }

  @Override
  public void uncaughtException(Thread thread, Throwable e) {
    if (!(e instanceof Error)) {
      // A RuntimeException that ends a thread is a bug of the same weight.
      log.error("thread {} ended by an exception", thread.getName(), e);
    }
    fatal(thread, e);
  }

  /** {@code e} ended {@code thread}: log, stop the loop, run the handler. Once. */
  void fatal(Thread thread, Throwable e) {
    if (reported) {
      return;
    }
    reported = true;
    try {
      log.error("fatal error on broker thread {}: {}; the broker stops", thread.getName(),
          e.toString(), e);
    } catch (Throwable ignored) {
      // Logging itself may fail without memory; stopping matters more.
    }
    BrokerLoop l = loop;
    if (l != null) {
      l.stop();
    }
    handler.accept(e);
  }
}
