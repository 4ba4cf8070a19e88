package io.zmesh.bench;

import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.core.transport.Sockets;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * The yardstick for pub/sub: the same load through plain JeroMQ, publisher -> XSUB|XPUB proxy
 * -> subscribers, with no protocol, typing or budgets, and lossless like the mesh when its
 * subscribers keep up. The proxy polls, then drains each socket without blocking (the faster
 * loop in the JeroMQ notes), and has a ZeroMQ context of its own, as the broker does;
 * publisher and subscribers share one in one process, as SDK connections do. Each socket lives
 * on the one thread that uses it.
 *
 * <p>Credit: each message carries the publisher's sequence number; each subscriber (an XSUB,
 * so it can send upstream) says which number it has reached every {@value #CREDIT_EVERY}
 * messages, through the proxy, to the publisher (an XPUB, so it can read upstream messages),
 * which keeps at most {@value #WINDOW} messages ahead of the slowest subscriber. The window is
 * far below every high-water mark on the way, so nothing is dropped; a subscriber counts as
 * lost any number it never saw.
 */
public final class RawPubSub {
  static final String LABEL = "baseline (raw JeroMQ XPUB/XSUB proxy)";
  private static final int POLL_MS = 100;
  private static final int BATCH = 4096;
  /** Messages the publisher may be ahead of the slowest subscriber. */
  static final int WINDOW = 10_000;
  /** A subscriber credits after this many messages. */
  static final int CREDIT_EVERY = 1_000;
  private static final byte SUBSCRIBE = 1;
  private static final byte CREDIT = 2;
  /** Credit before the first message: the subscriber is there, count it from now. */
  private static final long HELLO = -1;

  private RawPubSub() {}

  static byte[] topic() {
    return PubSubBench.TOPIC.getBytes(StandardCharsets.US_ASCII);
  }

  /** The whole baseline in this process, on threads. */
  public static PubSubRun.Builder run(PubSubBench.Config c) throws Exception {
    ZMQ.Context context = Sockets.newContext(0);
    ZMQ.Context proxyContext = Sockets.newContext(0);
    PubSubCount count = new PubSubCount(c.subscribers());
    List<Thread> threads = new ArrayList<>();
    try {
      CompletableFuture<String[]> endpoints = new CompletableFuture<>();
      threads.add(RawBaseline.start("baseline-proxy",
          () -> proxy(count::running, proxyContext, endpoints)));
      String[] ep = endpoints.get(10, TimeUnit.SECONDS);
      for (int i = 0; i < c.subscribers(); i++) {
        int index = i;
        threads.add(RawBaseline.start("baseline-sub-" + i,
            () -> subscriber(count, context, ep[1], index)));
      }
      threads.add(RawBaseline.start("baseline-pub",
          () -> publisher(count, context, ep[0], c.size(), c.subscribers(), null)));
      count.measure(c.warmupSeconds(), c.seconds());
      return count.result(LABEL);
    } finally {
      count.stop();
      RawBaseline.stop(threads, context, proxyContext);
    }
  }

  /** The proxy: publishers connect to the first endpoint, subscribers to the second. */
  static void proxy(BooleanSupplier running, ZMQ.Context context,
      CompletableFuture<String[]> endpoints) {
    try (ZMQ.Socket xsub = RawBaseline.socket(context, SocketType.XSUB);
        ZMQ.Socket xpub = RawBaseline.socket(context, SocketType.XPUB);
        ZMQ.Poller poller = context.poller(2)) {
      xsub.bind("tcp://127.0.0.1:*");
      xpub.bind("tcp://127.0.0.1:*");
      endpoints.complete(new String[] {xsub.getLastEndpoint(), xpub.getLastEndpoint()});
      poller.register(xsub, ZMQ.Poller.POLLIN);
      poller.register(xpub, ZMQ.Poller.POLLIN);
      boolean busy = false;
      while (running.getAsBoolean()) {
        if (!busy) {
          poller.poll(POLL_MS);
        }
        // Subscriptions and credit upstream, then a bounded batch of messages downstream, so a
        // flood of messages cannot hold them back.
        byte[] frame;
        while ((frame = xpub.recv(ZMQ.DONTWAIT)) != null) {
          xsub.send(frame, 0);
        }
        int n = 0;
        while (n < BATCH && (frame = xsub.recv(ZMQ.DONTWAIT)) != null) {
          xpub.send(frame, 0);
          n++;
        }
        busy = n == BATCH;
      }
    }
  }

  /** Subscriber {@code index}: counts each message and credits the publisher. */
  static void subscriber(PubSubCount count, ZMQ.Context context, String endpoint, int index) {
    byte[] topic = topic();
    try (ZMQ.Socket s = RawBaseline.socket(context, SocketType.XSUB)) {
      s.setReceiveTimeOut(POLL_MS);
      s.connect(endpoint);
      byte[] subscription = new byte[topic.length + 1];
      subscription[0] = SUBSCRIBE;
      System.arraycopy(topic, 0, subscription, 1, topic.length);
      s.send(subscription, 0);
      long credited = HELLO;
      while (count.running()) {
        byte[] frame = s.recv(0);
        if (frame == null) {
          if (credited == HELLO) {
            s.send(credit(index, HELLO), 0); // until the publisher has heard of us
          }
          continue;
        }
        long seq = ByteBuffer.wrap(frame).getLong(topic.length);
        count.received(index, seq, 0);
        if (credited == HELLO || seq - credited >= CREDIT_EVERY) {
          s.send(credit(index, seq), 0);
          credited = seq;
        }
      }
    }
  }

  private static byte[] credit(int index, long seq) {
    return ByteBuffer.allocate(10).put(CREDIT).put((byte) index).putLong(seq).array();
  }

  /**
   * The publisher: sequence-numbered messages of {@code size} bytes after the topic, at most
   * {@link #WINDOW} ahead of the slowest of {@code subscribers}; once all of them have said
   * they are there, {@code flowing} runs (if not null).
   */
  static void publisher(PubSubCount count, ZMQ.Context context, String endpoint, int size,
      int subscribers, Runnable flowing) {
    byte[] topic = topic();
    long[] reached = new long[subscribers];
    boolean[] present = new boolean[subscribers];
    Arrays.fill(reached, Long.MIN_VALUE);
    int presentCount = 0;
    try (ZMQ.Socket s = RawBaseline.socket(context, SocketType.XPUB);
        ZMQ.Poller poller = context.poller(1)) {
      s.connect(endpoint);
      poller.register(s, ZMQ.Poller.POLLIN);
      long seq = 0;
      int length = topic.length + Math.max(Long.BYTES, size);
      while (count.running()) {
        byte[] in;
        while ((in = s.recv(ZMQ.DONTWAIT)) != null) {
          if (in.length == 10 && in[0] == CREDIT && in[1] >= 0 && in[1] < subscribers) {
            int i = in[1];
            long at = ByteBuffer.wrap(in).getLong(2);
            if (!present[i]) {
              // Its subscription reached the proxy before this: it gets everything from here.
              present[i] = true;
              reached[i] = seq;
              if (++presentCount == subscribers && flowing != null) {
                flowing.run();
              }
            }
            reached[i] = Math.max(reached[i], at);
          }
        }
        long slowest = Long.MAX_VALUE;
        for (long r : reached) {
          slowest = Math.min(slowest, r);
        }
        if (presentCount < subscribers || seq - slowest >= WINDOW) {
          poller.poll(POLL_MS);
          continue;
        }
        byte[] frame = Arrays.copyOf(topic, length);
        ByteBuffer.wrap(frame).putLong(topic.length, seq);
        if (s.send(frame, 0)) {
          seq++;
          count.published();
        }
      }
    }
  }
}
