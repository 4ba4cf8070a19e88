package io.zmesh.worker.internal;

import io.zmesh.core.transport.Sockets;
import org.zeromq.ZMQ;

/**
 * One ZeroMQ context, with one I/O thread, for every connection in the process. A context per
 * connection would add a thread per client and worker, which on a small machine costs more in
 * switching than it gives; JeroMQ contexts are thread-safe, sockets stay with their threads.
 * Terminated when the last connection releases it.
 */
final class SharedContext {
  private static ZMQ.Context context;
  private static int users;

  private SharedContext() {}

  static synchronized ZMQ.Context acquire() {
    if (context == null) {
      context = Sockets.newContext(0);
    }
    users++;
    return context;
  }

  /** Called by a connection once it has closed all its sockets. */
  static void release() {
    ZMQ.Context done = null;
    synchronized (SharedContext.class) {
      if (--users == 0) {
        done = context;
        context = null;
      }
    }
    if (done != null) {
      // term() waits for lingering sockets; outside the lock so new connections need not wait.
      done.term();
    }
  }
}
