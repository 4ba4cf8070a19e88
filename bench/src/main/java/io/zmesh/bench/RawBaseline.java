package io.zmesh.bench;

import io.zmesh.bench.proto.Run;
import io.zmesh.core.transport.Sockets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * The yardstick: the same load through plain JeroMQ, DEALER -> ROUTER forwarder -> DEALER echo,
 * two hops like a request through the broker but with no protocol, routing tables or typing.
 * The forwarder polls, then drains each socket without blocking, the faster of the loops the
 * JeroMQ notes measured. Each socket lives on the one thread that uses it.
 *
 * <p>The thread layout matches the mesh's in one process: the forwarder has a ZeroMQ context of
 * its own, as the broker does, and clients and echoes share one, as SDK connections do; so both
 * sides pay for the same hand-offs between threads.
 */
public final class RawBaseline {
  static final String LABEL = "baseline (raw JeroMQ 2-hop)";
  private static final byte[] READY = {'R'};
  private static final int POLL_MS = 100;
  private static final int HANDSHAKE_IVL_MS = 1_000;

  private RawBaseline() {}

  /** The baseline for {@code c}'s clients, workers, size, window, warm-up and duration. */
  public static Run.Builder reqrep(ReqRepBench.Config c) throws Exception {
    return run(c.clients(), c.workers(), c.size(), c.window(), c.warmupSeconds(), c.seconds(),
        c.requests());
  }

  static Run.Builder run(int clients, int workers, int size, int window, double warmupSeconds,
      double seconds, long requests) throws Exception {
    ZMQ.Context context = Sockets.newContext(0);
    ZMQ.Context forwarderContext = Sockets.newContext(0);
    Measurement m = new Measurement(requests);
    List<Thread> threads = new ArrayList<>();
    try {
      CompletableFuture<String[]> endpoints = new CompletableFuture<>();
      threads.add(start("baseline-forwarder",
          () -> forward(m, forwarderContext, workers, endpoints)));
      String[] ep = endpoints.get(10, TimeUnit.SECONDS);
      for (int i = 0; i < workers; i++) {
        threads.add(start("baseline-echo-" + i, () -> echo(m, context, ep[1])));
      }
      for (int i = 0; i < clients; i++) {
        threads.add(start("baseline-client-" + i, () -> client(m, context, ep[0], size, window)));
      }
      TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
      m.startMeasuring();
      m.measureFor(seconds);
      return m.result(LABEL);
    } finally {
      m.stop();
      stop(threads, context, forwarderContext);
    }
  }

  /** Waits for the load threads, which were told to stop, then ends their contexts. */
  static void stop(List<Thread> threads, ZMQ.Context... contexts) throws InterruptedException {
    for (Thread t : threads) {
      t.join(5_000);
    }
    for (ZMQ.Context c : contexts) {
      c.term();
    }
  }

  static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * A socket with linger 0 and high-water marks far above any window of the benches. JeroMQ
   * 0.6.0 leaves a few percent of fresh connections without a ZMTP handshake (zeromq/jeromq PR
   * #1022) until the handshake interval, 30 s by default, tears them down: a short one makes
   * it connect again at once, as the SDK's own handshake timeout does.
   */
  static ZMQ.Socket socket(ZMQ.Context context, SocketType type) {
    ZMQ.Socket s = Sockets.newSocket(context, type);
    s.setHandshakeIvl(HANDSHAKE_IVL_MS);
    s.setLinger(0);
    s.setSndHWM(Sockets.HWM);
    s.setRcvHWM(Sockets.HWM);
    return s;
  }

  static void forward(Measurement m, ZMQ.Context context, int workers,
      CompletableFuture<String[]> endpoints) {
    try (ZMQ.Socket frontend = socket(context, SocketType.ROUTER);
        ZMQ.Socket backend = socket(context, SocketType.ROUTER);
        ZMQ.Poller poller = context.poller(2)) {
      frontend.bind("tcp://127.0.0.1:*");
      backend.bind("tcp://127.0.0.1:*");
      endpoints.complete(new String[] {frontend.getLastEndpoint(), backend.getLastEndpoint()});
      poller.register(frontend, ZMQ.Poller.POLLIN);
      poller.register(backend, ZMQ.Poller.POLLIN);
      List<byte[]> echoes = new ArrayList<>();
      int next = 0;
      while (m.running()) {
        poller.poll(POLL_MS);
        // Replies first: they free the clients' windows.
        byte[] echoId;
        while ((echoId = backend.recv(ZMQ.DONTWAIT)) != null) {
          byte[] first = backend.recv(0);
          if (!backend.hasReceiveMore()) {
            echoes.add(echoId); // READY
            continue;
          }
          byte[] payload = backend.recv(0);
          frontend.send(first, ZMQ.SNDMORE);
          frontend.send(payload, 0);
        }
        if (echoes.size() < workers) {
          continue;
        }
        byte[] clientId;
        while ((clientId = frontend.recv(ZMQ.DONTWAIT)) != null) {
          byte[] payload = frontend.recv(0);
          backend.send(echoes.get(next), ZMQ.SNDMORE);
          next = next + 1 == echoes.size() ? 0 : next + 1;
          backend.send(clientId, ZMQ.SNDMORE);
          backend.send(payload, 0);
        }
      }
    }
  }

  static void echo(Measurement m, ZMQ.Context context, String endpoint) {
    try (ZMQ.Socket s = socket(context, SocketType.DEALER)) {
      s.setReceiveTimeOut(POLL_MS);
      s.connect(endpoint);
      s.send(READY, 0);
      while (m.running()) {
        byte[] clientId = s.recv(0);
        if (clientId == null) {
          continue;
        }
        byte[] payload = s.recv(0);
        s.send(clientId, ZMQ.SNDMORE);
        s.send(payload, 0);
      }
    }
  }

  static void client(Measurement m, ZMQ.Context context, String endpoint, int size,
      int window) {
    try (ZMQ.Socket s = socket(context, SocketType.DEALER)) {
      s.setReceiveTimeOut(POLL_MS);
      s.connect(endpoint);
      int length = Math.max(Long.BYTES, size);
      for (int i = 0; i < window; i++) {
        send(s, length);
      }
      while (m.running()) {
        byte[] reply = s.recv(0);
        if (reply == null) {
          continue;
        }
        m.reply(System.nanoTime() - ByteBuffer.wrap(reply).getLong(0));
        send(s, length);
      }
    }
  }

  static void send(ZMQ.Socket s, int length) {
    byte[] payload = new byte[length];
    ByteBuffer.wrap(payload).putLong(0, System.nanoTime());
    s.send(payload, 0);
  }
}
