package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int64Value;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.testing.TopicPeer;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Publish credit end to end, SDK to SDK through a real broker: nothing is lost while the
 * subscribers keep reading, however far the publisher could outrun them; a stalled subscriber
 * is cut off and loses messages, counted, while the others get everything; {@code publish}
 * blocks while the broker withholds credit, up to its timeout; what the broker holds stays
 * bounded however long the fan-out runs.
 */
@Timeout(120)
class FlowControlTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Small budgets, so a burst is many times what a subscriber may have outstanding. */
  private static final int BUDGET = 1_000;

  private static TestMesh start(Duration slowAfter) {
    // Raw peers of some tests send no heartbeats: rawPeerOptions keeps them connected.
    return TestMesh.start(TestMesh.rawPeerOptions()
        .subscriptionBudget(BUDGET, BrokerOptions.DEFAULT_MAX_MESSAGE_BYTES)
        .publishWindow(256, 64 * 1024)
        .slowSubscriberTimeout(slowAfter));
  }

  /** A subscriber on a client of its own, checking order and counting what it got. */
  private static final class Counting {
    final AtomicLong received = new AtomicLong();
    final AtomicLong outOfOrder = new AtomicLong();
    final Subscription subscription;

    Counting(TestMesh mesh, String pattern) throws Exception {
      subscription = mesh.client().subscribe(pattern, Int64Value.class, (m, ctx) -> {
        if (m.getValue() != received.getAndIncrement()) {
          outOfOrder.incrementAndGet();
        }
      });
      subscription.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static List<Counting> subscribers(TestMesh mesh, String pattern, int n)
      throws Exception {
    List<Counting> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(new Counting(mesh, pattern));
    }
    return all;
  }

  private static void awaitAll(List<Counting> subs, long n) {
    for (Counting c : subs) {
      Await.until("every subscriber gets all " + n, WAIT, () -> c.received.get() == n,
          () -> c.received + " of " + n);
      assertEquals(0, c.outOfOrder.get(), "in order");
      assertEquals(0, c.subscription.dropped(), "nothing dropped");
    }
  }

  @Test
  void aBurstFiftyTimesTheBudgetReachesFourHealthySubscribersWhole() throws Exception {
    try (TestMesh mesh = start(BrokerOptions.DEFAULT_SLOW_SUBSCRIBER_TIMEOUT)) {
      List<Counting> subs = subscribers(mesh, "burst", 4);
      MeshClient pub = mesh.client();
      int n = 50 * BUDGET;
      for (int i = 0; i < n; i++) {
        pub.publish("burst", Int64Value.of(i));
      }
      awaitAll(subs, n);
      assertEquals(0, mesh.counter("messages_dropped"));
      // The publisher outran them and was held back: without credit this burst loses messages.
      assertTrue(mesh.counter("publishers_held") > 0, "the publisher was never held back");
      assertEquals(0, mesh.counter("subscriptions_slow"));
    }
  }

  @Test
  void aStalledSubscriberIsCutOffWhileTheOthersGetEverything() throws Exception {
    try (TestMesh mesh = start(Duration.ofMillis(300))) {
      CountDownLatch release = new CountDownLatch(1);
      Subscription stalled = mesh.client().subscribe("feed", Int64Value.class,
          (m, ctx) -> release.await(60, TimeUnit.SECONDS));
      stalled.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      List<Counting> healthy = subscribers(mesh, "feed", 3);
      MeshClient pub = mesh.client();
      int n = 20 * BUDGET;
      for (int i = 0; i < n; i++) {
        pub.publish("feed", Int64Value.of(i));
      }
      awaitAll(healthy, n);
      assertEquals(1, mesh.counter("subscriptions_slow"));
      // The stalled one holds its budget at the broker; the rest was dropped and counted.
      SubscriptionInfo info = stalledInfo(mesh);
      assertEquals(BUDGET, info.getOutstandingMessages(), info.toString());
      assertEquals(n - BUDGET, info.getDropped(), info.toString());
      assertEquals(n - BUDGET, mesh.counter("messages_dropped"));
      release.countDown();
    }
  }

  private static SubscriptionInfo stalledInfo(TestMesh mesh) {
    return mesh.topics("feed").getSubscriptionsList().stream()
        .filter(s -> s.getOutstandingMessages() > 0)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no subscription with messages outstanding"));
  }

  @Test
  void publishBlocksWhileCreditIsWithheldAndFailsAfterItsTimeout() throws Exception {
    try (TestMesh mesh = start(Duration.ofHours(1))) {
      TopicPeer stalled = mesh.topicPeer();
      stalled.subscribe(1, "held", "", 16, 0); // behind from 2; never credits
      Duration timeout = Duration.ofMillis(500);
      MeshClient pub = mesh.track(MeshClient.connect(TestMesh.meshOptions(mesh.endpoint())
          .toBuilder().publishBacklog(50).callOptions(CallOptions.DEFAULT.withTimeout(timeout))
          .build()));
      assertTrue(pub.awaitConnected(WAIT));
      long start = 0;
      MeshException refused = null;
      // The window and then the backlog fill; the next publish waits for room that never
      // comes, since the broker waits for the stalled subscription for an hour.
      for (int i = 0; i < 10_000 && refused == null; i++) {
        start = System.nanoTime();
        try {
          pub.publish("held", Int64Value.of(i));
        } catch (MeshException e) {
          refused = e;
        }
      }
      assertTrue(refused != null, "publish never blocked");
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(Code.OVERLOADED, refused.code(), refused.toString());
      assertTrue(waitedMs >= timeout.toMillis() / 2, "failed after only " + waitedMs + " ms");
      // Once the subscription is gone, the broker credits what it held and publishing goes on.
      stalled.close();
      Await.until("publishing goes on", WAIT, () -> {
        try {
          pub.publish("held", Int64Value.of(-1));
          return true;
        } catch (MeshException e) {
          return false;
        }
      });
    }
  }

  @Test
  void whatTheBrokerHoldsStaysBoundedThroughALongFanOut() throws Exception {
    try (TestMesh mesh = start(Duration.ofMillis(200))) {
      TopicPeer stalled = mesh.topicPeer();
      stalled.subscribe(1, "long", "", BUDGET, 64 * 1024); // never reads
      List<Counting> healthy = subscribers(mesh, "long", 2);
      MeshClient pub = mesh.client();
      long sent = 0;
      long heapAfterFirst = 0;
      long outstanding = -1;
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20_000; i++) {
          pub.publish("long", Int64Value.of(sent++));
        }
        long total = sent;
        awaitAll(healthy, total);
        SubscriptionInfo s = mesh.topics("long").getSubscriptionsList().stream()
            .filter(x -> x.getBudgetBytes() == 64 * 1024).findFirst().orElseThrow();
        assertTrue(s.getOutstandingBytes() <= s.getBudgetBytes(), s.toString());
        if (outstanding >= 0) {
          assertEquals(outstanding, s.getOutstandingBytes(), "the stalled one holds no more");
        }
        outstanding = s.getOutstandingBytes();
        assertEquals(total, s.getDelivered() + s.getDropped(), s.toString());
        assertEquals(0, mesh.counter("subscriptions_behind"), "nobody waits for a slow one");
        long heap = usedHeapAfterGc();
        if (round == 0) {
          heapAfterFirst = heap;
        } else {
          assertTrue(heap - heapAfterFirst < 32L << 20,
              "heap grew by " + (heap - heapAfterFirst) + " bytes after round " + round);
        }
      }
    }
  }

  private static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
