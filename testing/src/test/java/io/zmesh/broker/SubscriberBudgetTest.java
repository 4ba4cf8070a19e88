package io.zmesh.broker;

import static io.zmesh.testing.TopicPeer.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Envelope;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.testing.TopicPeer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Slow subscriber isolation: budgets per subscription and per connection hold what the broker
 * sends a subscriber that does not read; beyond them messages are dropped, counted and told as
 * a gap, while other subscribers get everything.
 */
@Timeout(90)
class SubscriberBudgetTest {
  private TestMesh mesh;

  private void start(BrokerOptions.Builder options) {
    mesh = TestMesh.start(options);
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  private TopicPeer peer() {
    return mesh.topicPeer();
  }

  private SubscriptionInfo info(long id) {
    ListTopicsReply reply = mesh.topics("");
    return reply.getSubscriptionsList().stream().filter(s -> s.getId() == id).findFirst()
        .orElseThrow(() -> new AssertionError("no subscription " + id + " in " + reply));
  }

  @Test
  void aStalledSubscriberStaysAtItsBudgetWhileAnotherGetsEveryMessage() {
    start(TestMesh.rawPeerOptions());
    TopicPeer stalled = peer();
    stalled.subscribe(1, "ticks", "", 100, 0);
    TopicPeer healthy = peer();
    healthy.subscribe(2, "ticks");
    TopicPeer pub = peer();

    int published = 0;
    long lastDropped = -1;
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 3_000; i++) {
        pub.publish("ticks", published++);
      }
      // The healthy subscriber reads every message, in order, and credits it.
      for (int i = published - 3_000; i < published; i++) {
        assertEquals(i, value(healthy.message()));
        healthy.credit(2, 1, healthy.lastLength());
      }
      SubscriptionInfo s = info(1);
      assertEquals(100, s.getOutstandingMessages(), s.toString());
      assertEquals(100, s.getDelivered(), s.toString());
      assertEquals(published - 100, s.getDropped(), s.toString());
      assertTrue(s.getDropped() > lastDropped, "the dropped count grows");
      assertTrue(s.getOutstandingBytes() <= s.getBudgetBytes(), s.toString());
      lastDropped = s.getDropped();
      SubscriptionInfo h = info(2);
      assertEquals(published, h.getDelivered(), h.toString());
      assertEquals(0, h.getDropped(), h.toString());
    }
    assertEquals(published - 100, mesh.counter("messages_dropped"));

    // Once it reads and credits, the next message tells it how many it missed.
    long bytes = 0;
    for (int i = 0; i < 100; i++) {
      Envelope m = stalled.message();
      assertEquals(i, value(m));
      assertEquals(0, m.getDelivery().getDropped());
      bytes += stalled.lastLength();
    }
    stalled.credit(1, 100, bytes);
    // The credit and the publish travel on different connections: wait for the first.
    Await.until("the credit is in", TestMesh.SETTLE, () -> info(1).getOutstandingMessages() == 0);
    pub.publish("ticks", published);
    Envelope next = stalled.message();
    assertEquals(published, value(next));
    assertEquals(published - 100, next.getDelivery().getDropped());
    SubscriptionInfo after = info(1);
    assertEquals(1, after.getOutstandingMessages(), after.toString());
    assertEquals(stalled.lastLength(), after.getOutstandingBytes(), after.toString());
    // The gap is told once.
    stalled.credit(1, 1, stalled.lastLength());
    Await.until("the credit is in", TestMesh.SETTLE, () -> info(1).getOutstandingMessages() == 0);
    pub.publish("ticks", published + 1);
    assertEquals(0, stalled.message().getDelivery().getDropped());
  }

  @Test
  void theByteBudgetHoldsToo() {
    start(TestMesh.rawPeerOptions());
    TopicPeer sub = peer();
    sub.subscribe(1, "big", "", 0, 2_000);
    TopicPeer pub = peer();
    for (int i = 0; i < 100; i++) {
      pub.publish("big", i);
    }
    Envelope first = sub.message();
    int length = sub.lastLength();
    pub.publish("big", 100); // after the others, so info() sees all of them handled
    Await.until("the last publish was handled", TestMesh.SETTLE,
        () -> info(1).getDelivered() + info(1).getDropped() == 101);
    SubscriptionInfo s = info(1);
    assertTrue(s.getOutstandingBytes() <= 2_000, s.toString());
    // Every message here has the same length until the first gap changes it by a byte.
    assertTrue(s.getOutstandingBytes() + length + 2 > 2_000, s.toString());
    assertEquals(0, value(first));
  }

  @Test
  void aConnectionsSubscriptionsShareOneCap() {
    start(TestMesh.rawPeerOptions()
        .subscriptionBudget(100, BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_BYTES)
        .connectionBudget(150, BrokerOptions.DEFAULT_CONNECTION_BUDGET_BYTES));
    TopicPeer greedy = peer();
    greedy.subscribe(1, "c.>");
    greedy.subscribe(2, "c.*");
    greedy.subscribe(3, "c.x", "g");
    TopicPeer other = peer();
    other.subscribe(4, "c.x");
    TopicPeer pub = peer();
    for (int i = 0; i < 200; i++) {
      pub.publish("c.x", i);
    }
    // Another connection is not held back by the first one's cap.
    for (int i = 0; i < 100; i++) {
      assertEquals(i, value(other.message()));
    }
    Await.until("every publish was handled", TestMesh.SETTLE,
        () -> info(4).getDropped() == 100);
    long outstanding = 0;
    long dropped = 0;
    for (long id = 1; id <= 3; id++) {
      SubscriptionInfo s = info(id);
      assertTrue(s.getOutstandingMessages() <= 100, s.toString());
      assertEquals(s.getDelivered(), s.getOutstandingMessages(), s.toString());
      outstanding += s.getOutstandingMessages();
      dropped += s.getDropped();
    }
    assertEquals(150, outstanding);
    assertEquals(3 * 200 - 150, dropped);

    // Each message went to all three until the cap: 50 each. Credit on one subscription frees
    // room on the connection for all of them.
    SubscriptionInfo first = info(1);
    assertEquals(50, first.getOutstandingMessages());
    long perMessage = first.getOutstandingBytes() / first.getOutstandingMessages();
    greedy.credit(1, 10, 10 * perMessage);
    // The credit and the publish travel on different connections: wait for the first.
    Await.until("the credit is in", TestMesh.SETTLE, () -> info(1).getOutstandingMessages() == 40);
    pub.publish("c.x", 200);
    Await.until("the credited room is used", TestMesh.SETTLE,
        () -> info(1).getDelivered() + info(2).getDelivered() + info(3).getDelivered() == 153,
        () -> info(1) + "\n" + info(2) + "\n" + info(3));
    assertEquals(143, info(1).getOutstandingMessages() + info(2).getOutstandingMessages()
        + info(3).getOutstandingMessages());
  }

  @Test
  void aGroupCountsDropsOnceWhenEveryMemberIsFull() {
    start(TestMesh.rawPeerOptions());
    TopicPeer a = peer();
    TopicPeer b = peer();
    a.subscribe(1, "q", "g");
    b.subscribe(2, "q", "g");
    // The subscriptions ask for small budgets through the raw SUBSCRIBE.
    a.subscribe(3, "q2", "g", 10, 0);
    b.subscribe(4, "q2", "g", 10, 0);
    TopicPeer pub = peer();
    for (int i = 0; i < 30; i++) {
      pub.publish("q2", i);
    }
    pub.publish("q", 0);
    // The broker handles one publisher's packets in order: once "q" is delivered, to either
    // member, the q2 burst before it was handled. (a's first message may be one of the burst.)
    Await.until("q is delivered", TestMesh.SETTLE,
        () -> info(1).getDelivered() + info(2).getDelivered() == 1);
    SubscriptionInfo s3 = info(3);
    SubscriptionInfo s4 = info(4);
    assertEquals(10, s3.getDelivered(), s3.toString());
    assertEquals(10, s4.getDelivered(), s4.toString());
    assertEquals(10, s3.getDropped() + s4.getDropped());
  }
}
