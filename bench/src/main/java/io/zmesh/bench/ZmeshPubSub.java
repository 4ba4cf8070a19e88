package io.zmesh.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The mesh side of {@code zmesh bench pubsub}: an in-process broker with default options, one
 * {@link MeshClient} publishing as fast as its publish backlog lets it, and one client per
 * subscriber whose handler counts, on the client's callback thread or, inline, on its I/O
 * thread.
 */
public final class ZmeshPubSub {
  private ZmeshPubSub() {}

  public static PubSubRun.Builder run(PubSubBench.Config c) throws Exception {
    Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
    String endpoint = broker.endpoint();
    PubSubCount count = new PubSubCount(c.subscribers());
    List<MeshClient> clients = new ArrayList<>();
    Thread publisher = null;
    try (UnrelatedSubscriptions unrelated = c.unrelated() > 0
        ? UnrelatedSubscriptions.register(endpoint, c.unrelated()) : null) {
      for (int i = 0; i < c.subscribers(); i++) {
        MeshClient sub = connect(endpoint, "bench-sub-" + i, c.inline());
        clients.add(sub);
        int index = i;
        Subscription s = sub.subscribe(PubSubBench.TOPIC, BytesValue.class,
            (message, context) -> count.delivered(index, context.dropped()));
        s.ready().get(30, TimeUnit.SECONDS);
      }
      MeshClient pub = connect(endpoint, "bench-pub", false);
      clients.add(pub);
      BytesValue payload = BytesValue.of(ByteString.copyFrom(new byte[c.size()]));
      publisher = new Thread(() -> publish(pub, payload, count), "bench-publisher");
      publisher.setDaemon(true);
      publisher.start();
      count.measure(c.warmupSeconds(), c.seconds());
      String label = c.unrelated() > 0 ? "zmesh + " + c.unrelated() + " unrelated" : "zmesh";
      return count.result(label).setUnrelatedSubscriptions(c.unrelated());
    } finally {
      count.stop();
      if (publisher != null) {
        publisher.join(15_000);
      }
      for (MeshClient client : clients) {
        client.close();
      }
      broker.close();
    }
  }

  private static MeshClient connect(String endpoint, String name, boolean inline)
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

  private static void publish(MeshClient pub, BytesValue payload, PubSubCount count) {
    while (count.running()) {
      try {
        pub.publish(PubSubBench.TOPIC, payload);
        count.published();
      } catch (MeshException e) {
        // The backlog stayed full for a whole call timeout: keep pushing.
        if (e.code() != Code.OVERLOADED) {
          throw e;
        }
      }
    }
  }
}
