package io.zmesh.broker;

import io.zmesh.CurveKeys;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * The broker's ZAP handler (RFC 27): during each CURVE handshake JeroMQ's I/O thread asks it
 * whether the client's public key may connect, and the answer's user id, the key's name, is
 * what the broker reads on that connection's HELLO. It also looks at the allow-list file once
 * a second and reloads it when it changed.
 *
 * <p>Why not JeroMQ's ZAuth: with no handler bound JeroMQ lets every CURVE key in, and ZAuth's
 * actor thread can end (an exception in a callback) without the broker knowing. This handler
 * refuses whatever it cannot decide, and anything that ends its thread is fatal to the broker.
 * One thread, {@code zmesh-zap}, owns its socket.
 */
final class ZapHandler implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ZapHandler.class);
  static final String ENDPOINT = "inproc://zeromq.zap.01";
  private static final int POLL_MS = 250;
  private static final long RELOAD_CHECK_NANOS = 1_000_000_000L;

  private final ZMQ.Context context;
  private final AccessControl access;
  private final FatalErrors fatal;
  private final CountDownLatch bound = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile RuntimeException bindFailure;
  private final Thread thread;
  /** Handshakes refused, read by zmesh.stats. */
  volatile long refused;
  volatile long accepted;

  ZapHandler(ZMQ.Context context, AccessControl access, FatalErrors fatal) {
    this.context = context;
    this.access = access;
    this.fatal = fatal;
    this.thread = new Thread(this, "zmesh-zap");
    thread.setDaemon(true);
  }

  /** Starts the thread and waits until its socket is bound, before any CURVE socket binds. */
  void start() {
    thread.start();
    try {
      bound.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the ZAP handler", e);
    }
    if (bindFailure != null) {
      throw bindFailure;
    }
  }

  void stop() {
    running = false;
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    ZMQ.Socket socket = null;
    try {
      try {
        socket = context.socket(SocketType.REP);
        socket.setLinger(0);
        socket.setReceiveTimeOut(POLL_MS);
        socket.bind(ENDPOINT);
      } catch (RuntimeException e) {
        bindFailure = new IllegalStateException("cannot start the ZAP handler: " + e, e);
        return;
      } finally {
        bound.countDown();
      }
      long nextCheck = System.nanoTime() + RELOAD_CHECK_NANOS;
      while (running) {
        byte[] first = socket.recv(0);
        if (first != null) {
          answer(socket, first);
        }
        if (System.nanoTime() - nextCheck >= 0) {
          access.reloadIfChanged();
          nextCheck = System.nanoTime() + RELOAD_CHECK_NANOS;
        }
      }
    } catch (Throwable e) {
      if (running) {
        // Without this thread JeroMQ would let every key in: stop the broker instead.
        fatal.fatal(Thread.currentThread(), e);
      }
    } finally {
      if (socket != null) {
        try {
          socket.close();
        } catch (ZMQException ignored) {
          // the context is going away
        }
      }
      done.countDown();
    }
  }

  /** Reads the rest of one request (whose first frame is {@code version}) and answers it. */
  private void answer(ZMQ.Socket socket, byte[] version) {
    byte[][] frames = new byte[7][];
    frames[0] = version;
    int n = 1;
    while (socket.hasReceiveMore()) {
      byte[] f = socket.recv(0);
      if (n < frames.length) {
        frames[n] = f;
      }
      n++;
    }
    String requestId = n > 1 ? text(frames[1]) : "";
    String address = n > 3 ? text(frames[3]) : "?";
    String mechanism = n > 5 ? text(frames[5]) : "";
    String status = "400";
    String reason;
    String userId = "";
    if (!"1.0".equals(text(version)) || n < 6) {
      reason = "malformed ZAP request";
    } else if (!"CURVE".equals(mechanism)) {
      reason = "this broker accepts CURVE only, not " + mechanism;
    } else if (n != 7 || frames[6] == null || frames[6].length != 32) {
      reason = "no CURVE client key";
    } else {
      String key = CurveKeys.z85(frames[6]);
      Access a = access.current().byPublicKey(key);
      if (a == null) {
        reason = "key " + key + " is not on the allow-list";
      } else {
        status = "200";
        reason = "OK";
        userId = a.keyName;
      }
    }
    if (status.equals("200")) {
      accepted++;
    } else {
      refused++;
      access.logRefusal("connection from " + address + ": " + reason);
    }
    socket.send("1.0", ZMQ.SNDMORE);
    socket.send(requestId, ZMQ.SNDMORE);
    socket.send(status, ZMQ.SNDMORE);
    socket.send(reason, ZMQ.SNDMORE);
    socket.send(userId, ZMQ.SNDMORE);
    socket.send(new byte[0], 0);
  }

  private static String text(byte[] b) {
    return b == null ? "" : new String(b, StandardCharsets.UTF_8);
  }
}
