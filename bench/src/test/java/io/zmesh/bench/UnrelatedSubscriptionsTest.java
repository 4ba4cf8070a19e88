package io.zmesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.Topics;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class UnrelatedSubscriptionsTest {
  private static long subscriptions(MeshClient admin) {
    return admin.call(Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
        BrokerStats.class).getCountersOrThrow("subscriptions");
  }

  @Test
  @Timeout(60)
  void registersThemAllAndTheyMatchNoBenchTopic() throws Exception {
    for (int i = 0; i < 1_000; i++) {
      String p = UnrelatedSubscriptions.pattern(i);
      assertEquals(null, Topics.checkPattern(p), p);
      assertTrue(!Topics.matches(p, PubSubBench.TOPIC), p);
    }
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*")
            .heartbeatInterval(Duration.ofMillis(200)).build());
        MeshClient admin = MeshClient.connect(broker.endpoint())) {
      try (UnrelatedSubscriptions u = UnrelatedSubscriptions.register(broker.endpoint(), 5_000)) {
        // It sends heartbeats: the broker keeps it through several liveness periods (600 ms).
        long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < end) {
          assertEquals(5_000, subscriptions(admin));
          LockSupport.parkNanos(100_000_000L);
        }
      }
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (subscriptions(admin) != 0 && System.nanoTime() < end) {
        LockSupport.parkNanos(10_000_000L);
      }
      assertEquals(0, subscriptions(admin), "gone after close");
    }
  }
}
