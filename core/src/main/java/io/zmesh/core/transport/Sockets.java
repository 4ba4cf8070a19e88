package io.zmesh.core.transport;

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
    ZMQ.Context context = ZMQ.context(1);
    if (maxSockets > 0) {
      context.setMaxSockets(maxSockets);
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
