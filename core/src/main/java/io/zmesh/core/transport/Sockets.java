package io.zmesh.core.transport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Every ZeroMQ context and socket zmesh opens (broker, SDK, benchmarks) comes from here, so
 * that each carries the {@link SignalerMend}.
 */
public final class Sockets {
  /**
   * Send and receive high-water mark, in packets, of the broker's ROUTER and each peer's DEALER:
   * a hundred times JeroMQ's default of 1,000, so bursts of small packets queue rather than fail.
   */
  public static final int HWM = 100_000;

  private static final Logger log = LoggerFactory.getLogger(Sockets.class);

  private Sockets() {}

  /** Whether the sockets made here carry the wake-up mend (false on another JeroMQ). */
  public static boolean mended() {
    return SignalerMend.active();
  }

  /**
   * A context with one I/O thread, its I/O and reaper threads started and mended.
   *
   * @param maxSockets sockets the context allows, 0 for JeroMQ's default (1,024)
   */
  public static ZMQ.Context newContext(int maxSockets) {
    return newContext(maxSockets, null);
  }

  /**
   * A context as {@link #newContext(int)} whose I/O and reaper threads report an {@link Error}
   * that ends them to {@code onFatal}. JeroMQ's poller survives a RuntimeException in a
   * handler (it is logged here at debug level), but an Error ends the thread and the context
   * stops moving messages while it looks alive: whoever owns the context must learn of it.
   *
   * @param onFatal called on the dying thread; null leaves JeroMQ's default
   */
  public static ZMQ.Context newContext(int maxSockets, Thread.UncaughtExceptionHandler onFatal) {
    ZMQ.Context context = ZMQ.context(1);
    if (maxSockets > 0) {
      context.setMaxSockets(maxSockets);
    }
    if (onFatal != null) {
      // Both must be set before the first socket starts the threads.
      context.setUncaughtExceptionHandler(onFatal);
      context.setNotificationExceptionHandler((thread, e) ->
          log.debug("JeroMQ thread {} recovered from {}", thread.getName(), e.toString()));
    }
    if (SignalerMend.active()) {
      // The threads start with the first socket; nothing else uses the context yet.
      ZMQ.Socket probe = context.socket(SocketType.PAIR);
      try {
        SignalerMend.mendThreads(context);
      } finally {
        probe.close();
      }
    }
    return context;
  }

  /** A socket of {@code context}, mended; call from the thread that will own it. */
  public static ZMQ.Socket newSocket(ZMQ.Context context, SocketType type) {
    ZMQ.Socket socket = context.socket(type);
    SignalerMend.mendSocket(socket);
    return socket;
  }
}
