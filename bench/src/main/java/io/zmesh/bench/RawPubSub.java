package io.zmesh.bench;

import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.core.transport.Sockets;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * The yardstick for pub/sub: the same load through plain JeroMQ, PUB -> XSUB|XPUB proxy -> SUB,
 * with no protocol, typing, budgets or credit. The proxy polls, then drains each socket without
 * blocking (the faster loop in the JeroMQ notes), and has a ZeroMQ context of its own, as the
 * broker does; publisher and subscribers share one, as SDK connections do. Each socket lives on
 * the one thread that uses it.
 *
 * <p>Like the mesh, the publisher is held back when the first hop is full (its PUB does not
 * drop: {@code XPUB_NODROP}, so a send waits), and the fan-out drops for a subscriber that
 * falls behind (the proxy's XPUB drops at its high-water mark, as the broker drops beyond a
 * budget).
 */
public final class RawPubSub {
  static final String LABEL = "baseline (raw JeroMQ XPUB/XSUB proxy)";
  private static final int POLL_MS = 100;
  private static final int BATCH = 4096;

  private RawPubSub() {}

  public static PubSubRun.Builder run(PubSubBench.Config c) throws Exception {
    ZMQ.Context context = Sockets.newContext(0);
    ZMQ.Context proxyContext = Sockets.newContext(0);
    PubSubCount count = new PubSubCount(c.subscribers());
    List<Thread> threads = new ArrayList<>();
    byte[] topic = PubSubBench.TOPIC.getBytes(StandardCharsets.US_ASCII);
    try {
      CompletableFuture<String[]> endpoints = new CompletableFuture<>();
      threads.add(RawBaseline.start("baseline-proxy",
          () -> proxy(count, proxyContext, endpoints)));
      String[] ep = endpoints.get(10, TimeUnit.SECONDS);
      CountDownLatch subscribed = new CountDownLatch(c.subscribers());
      for (int i = 0; i < c.subscribers(); i++) {
        int index = i;
        threads.add(RawBaseline.start("baseline-sub-" + i,
            () -> subscriber(count, context, ep[1], topic, index, subscribed)));
      }
      subscribed.await(10, TimeUnit.SECONDS);
      threads.add(RawBaseline.start("baseline-pub",
          () -> publisher(count, context, ep[0], topic, c.size())));
      count.measure(c.warmupSeconds(), c.seconds());
      return count.result(LABEL);
    } finally {
      count.stop();
      RawBaseline.stop(threads, context, proxyContext);
    }
  }

  private static void proxy(PubSubCount count, ZMQ.Context context,
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
      while (count.running()) {
        if (!busy) {
          poller.poll(POLL_MS);
        }
        // Subscriptions upstream, then a bounded batch of messages downstream, so a flood of
        // messages cannot hold subscriptions back.
        byte[] frame;
        while ((frame = xpub.recv(ZMQ.DONTWAIT)) != null) {
          xsub.send(frame, 0);
        }
        int n = 0;
        while (n < BATCH && (frame = xsub.recv(ZMQ.DONTWAIT)) != null) {
          xpub.send(frame, xsub.hasReceiveMore() ? ZMQ.SNDMORE : 0);
          n++;
        }
        busy = n == BATCH;
      }
    }
  }

  private static void subscriber(PubSubCount count, ZMQ.Context context, String endpoint,
      byte[] topic, int index, CountDownLatch subscribed) {
    try (ZMQ.Socket s = RawBaseline.socket(context, SocketType.SUB)) {
      s.setReceiveTimeOut(POLL_MS);
      s.connect(endpoint);
      s.subscribe(topic);
      subscribed.countDown();
      while (count.running()) {
        if (s.recv(0) != null) {
          count.delivered(index, 0);
        }
      }
    }
  }

  private static void publisher(PubSubCount count, ZMQ.Context context, String endpoint,
      byte[] topic, int size) {
    try (ZMQ.Socket s = RawBaseline.socket(context, SocketType.PUB)) {
      s.setXpubNoDrop(true);
      s.setSendTimeOut(POLL_MS);
      s.connect(endpoint);
      // One frame: the topic, which SUB filters on, then the payload.
      byte[] frame = Arrays.copyOf(topic, topic.length + size);
      while (count.running()) {
        if (s.send(frame, 0)) {
          count.published();
        }
      }
    }
  }
}
