package io.zmesh.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.UnsafeByteOperations;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Subscription;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The mesh side of {@code zmesh bench pubsub}: an in-process broker with default options, one
 * {@link MeshClient} publishing sequence-numbered messages as fast as its publish backlog lets
 * it, and one client per subscriber whose handler counts, on the client's callback thread or,
 * inline, on its I/O thread. With {@code --procs} the same parts run in processes of their own
 * ({@link BenchChild}).
 */
public final class ZmeshPubSub {
  private ZmeshPubSub() {}

  public static PubSubRun.Builder run(PubSubBench.Config c) throws Exception {
    Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
    String endpoint = broker.endpoint();
    PubSubCount count = new PubSubCount(c.subscribers());
    List<MeshClient> clients = new ArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    Thread publisher = null;
    try (UnrelatedSubscriptions unrelated = c.unrelated() > 0
        ? UnrelatedSubscriptions.register(endpoint, c.unrelated()) : null) {
      subscribe(endpoint, c, count, clients, release);
      MeshClient pub = connect(endpoint, "bench-pub", false);
      clients.add(pub);
      publisher = new Thread(() -> publish(pub, c.size(), count), "bench-publisher");
      publisher.setDaemon(true);
      publisher.start();
      count.measure(c.warmupSeconds(), c.seconds());
      String label = c.unrelated() > 0 ? "zmesh + " + c.unrelated() + " unrelated" : "zmesh";
      return count.result(label).setUnrelatedSubscriptions(c.unrelated());
    } finally {
      count.stop();
      release.countDown();
      if (publisher != null) {
        publisher.join(15_000);
      }
      for (MeshClient client : clients) {
        client.close();
      }
      broker.close();
    }
  }

  /**
   * Connects {@code c.subscribers()} counting subscribers and {@code c.stalled()} whose handler
   * waits for {@code release}, each on a client of its own, and returns once the broker has
   * accepted every subscription.
   */
  static void subscribe(String endpoint, PubSubBench.Config c, PubSubCount count,
      List<MeshClient> clients, CountDownLatch release) throws Exception {
    for (int i = 0; i < c.subscribers() + c.stalled(); i++) {
      boolean healthy = i < c.subscribers();
      MeshClient sub = connect(endpoint, (healthy ? "bench-sub-" : "bench-stalled-") + i,
          c.inline());
      clients.add(sub);
      int index = i;
      Subscription s = sub.subscribe(PubSubBench.TOPIC, BytesValue.class, healthy
          ? (message, context) -> count.received(index, sequence(message), context.dropped())
          : (message, context) -> release.await());
      s.ready().get(30, TimeUnit.SECONDS);
    }
  }

  static MeshClient connect(String endpoint, String name, boolean inline)
      throws InterruptedException {
    MeshOptions.Builder options = MeshOptions.builder().broker(endpoint).clientName(name);
    if (inline) {
      options.callbackExecutor(Runnable::run);
    }
    MeshClient client = MeshClient.connect(options.build());
    if (!client.awaitConnected(Duration.ofSeconds(10))) {
      client.close();
      throw new IllegalStateException(name + " did not connect to " + endpoint);
    }
    return client;
  }

  /** Publishes {@code size}-byte payloads numbered from 0 until the count stops. */
  static void publish(MeshClient pub, int size, PubSubCount count) {
    long seq = 0;
    while (count.running()) {
      byte[] value = new byte[Math.max(Long.BYTES, size)];
      ByteBuffer.wrap(value).putLong(0, seq);
      try {
        pub.publish(PubSubBench.TOPIC, BytesValue.of(UnsafeByteOperations.unsafeWrap(value)));
        seq++;
        count.published();
      } catch (MeshException e) {
        // The backlog stayed full for a whole call timeout: keep pushing.
        if (e.code() != Code.OVERLOADED) {
          throw e;
        }
      }
    }
  }

  /** The publisher's sequence number in a payload. */
  static long sequence(BytesValue message) {
    ByteString v = message.getValue();
    long seq = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      seq = seq << 8 | (v.byteAt(i) & 0xff);
    }
    return seq;
  }
}
