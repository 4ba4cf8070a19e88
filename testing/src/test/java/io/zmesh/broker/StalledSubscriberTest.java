package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MessageContext;
import io.zmesh.worker.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A subscriber whose handler stops: the broker holds at most its budget for it and drops the
 * rest, another subscriber of the same messages gets every one, and once the stalled one
 * resumes it is told the size of the gap.
 */
class StalledSubscriberTest {
  private static final Duration WAIT = TestMesh.SETTLE;
  private static final int BUDGET = 100;
  private static final int MESSAGES = 5_000;

  /** The stalled subscription as zmesh.topics shows it. */
  private static SubscriptionInfo stalledInfo(TestMesh mesh) {
    return mesh.topics("feed.x").getSubscriptionsList().stream()
        .filter(s -> s.getBudgetMessages() == BUDGET)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no subscription with budget " + BUDGET));
  }

  @Test
  @Timeout(90)
  void aStalledSubscriberDoesNotStopAnotherAndLearnsItsGapWhenItResumes() throws Exception {
    try (TestMesh mesh = TestMesh.start()) {
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger stalledCalls = new AtomicInteger();
      List<Long> gaps = new CopyOnWriteArrayList<>();
      MeshClient stalledClient = mesh.track(MeshClient.connect(
          TestMesh.meshOptions(mesh.endpoint()).toBuilder()
              .subscriptionBudget(BUDGET, 0)
              .build()));
      Subscription stalled = stalledClient.subscribe("feed.*", StringValue.class,
          (StringValue m, MessageContext ctx) -> {
            stalledCalls.incrementAndGet();
            gaps.add(ctx.dropped());
            release.await(60, TimeUnit.SECONDS);
          });
      stalled.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

      AtomicInteger received = new AtomicInteger();
      AtomicInteger outOfOrder = new AtomicInteger();
      Subscription healthy = mesh.client().subscribe("feed.*", StringValue.class, (m, ctx) -> {
        if (!m.getValue().equals("m" + received.getAndIncrement())) {
          outOfOrder.incrementAndGet();
        }
      });
      healthy.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

      MeshClient publisher = mesh.client();
      int maxOutstanding = 0;
      for (int i = 0; i < MESSAGES; i++) {
        publisher.publish("feed.x", StringValue.of("m" + i));
        if (i % 1_000 == 999) {
          SubscriptionInfo info = stalledInfo(mesh);
          maxOutstanding = Math.max(maxOutstanding, info.getOutstandingMessages());
          assertTrue(info.getOutstandingBytes() <= info.getBudgetBytes(), info.toString());
        }
      }
      Await.until("the healthy subscriber gets every message", WAIT,
          () -> received.get() == MESSAGES, () -> received + " of " + MESSAGES);
      assertEquals(0, outOfOrder.get(), "the healthy subscriber got them in order");
      assertEquals(0, healthy.dropped());

      // The broker has handled every publish (the healthy one got the last): the stalled
      // subscription holds exactly its budget and the rest was dropped and counted.
      SubscriptionInfo info = stalledInfo(mesh);
      assertEquals(BUDGET, info.getOutstandingMessages(), info.toString());
      assertTrue(maxOutstanding <= BUDGET, "outstanding reached " + maxOutstanding);
      assertEquals(MESSAGES - BUDGET, info.getDropped(), info.toString());
      assertEquals(1, stalledCalls.get(), "the stalled handler is still in its first call");

      // Resumed, it handles what it was sent, credits it back, and the next message carries
      // the gap.
      release.countDown();
      Await.until("the stalled subscriber catches up and credits back", WAIT,
          () -> stalledInfo(mesh).getOutstandingMessages() == 0);
      assertEquals(BUDGET, stalled.delivered());
      assertEquals(0, stalled.dropped(), "no gap reported before a message carries it");
      publisher.publish("feed.x", StringValue.of("after"));
      Await.until("the next message reaches it", WAIT, () -> stalled.delivered() == BUDGET + 1);
      assertEquals(MESSAGES - BUDGET, gaps.get(BUDGET), "the gap, on the message after it");
      assertEquals(MESSAGES - BUDGET, stalled.dropped());
      for (int i = 0; i < BUDGET; i++) {
        assertEquals(0, gaps.get(i), "no gap within the budget");
      }
      Await.until("the healthy one got it too", WAIT, () -> received.get() == MESSAGES + 1);
    }
  }
}
