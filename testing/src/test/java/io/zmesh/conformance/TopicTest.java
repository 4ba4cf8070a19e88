package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.command;
import static io.zmesh.conformance.RawConnection.credit;
import static io.zmesh.conformance.RawConnection.publish;
import static io.zmesh.conformance.RawConnection.subscribe;
import static io.zmesh.conformance.RawConnection.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Subscribe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md sections 9, Subscriber, 10, Publisher, 12, Names, and 14, Order. */
@Timeout(30)
class TopicTest {
  private static final int BUDGET = 1_000;
  private static final int LIMIT = 4096;
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b.maxMessageBytes(LIMIT)
        .subscriptionBudget(BUDGET, 1L << 20));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static RawConnection peer() {
    return RawConnection.connected(broker.endpoint());
  }

  private static Subscribe subscribed(RawConnection c, long id, String pattern, String group,
      int messages, long bytes) {
    c.send(subscribe(id, pattern, group, messages, bytes));
    return c.expectReply(id).getSubscribe();
  }

  private static Envelope message(RawConnection c, long id) {
    return c.expect(Command.MESSAGE, id);
  }

  @Test
  @Checks({"T-1", "N-1"})
  void subscribeGrantsABudgetOrIsRefused() {
    try (RawConnection s = peer()) {
      Subscribe dflt = subscribed(s, 1, "t1.>", "", 0, 0);
      assertEquals(BUDGET, dflt.getBudgetMessages());
      assertEquals(1L << 20, dflt.getBudgetBytes());
      Subscribe less = subscribed(s, 2, "t1.*", "", 10, 2048);
      assertEquals(10, less.getBudgetMessages());
      assertEquals(2048, less.getBudgetBytes());
      Subscribe capped = subscribed(s, 3, "t1.x", "g-1", BUDGET * 10, 1L << 40);
      assertEquals(BUDGET, capped.getBudgetMessages());
      assertEquals(1L << 20, capped.getBudgetBytes());

      String[][] refused = {{"a*", ""}, {"a.>.b", ""}, {"a..b", ""}, {"a b", ""}, {"", ""},
          {"t".repeat(257), ""}, {"t1.y", "has space"}, {"t1.y", "g".repeat(257)},
          {"t1.y", "é"}};
      for (String[] r : refused) {
        s.send(subscribe(4, r[0], r[1], 0, 0));
        s.expectError(4, StatusCode.INVALID_ARGUMENT, "");
      }
      s.send(subscribe(1, "t1.other", "", 0, 0));
      s.expectError(1, StatusCode.INVALID_ARGUMENT, "already in use");
      // The grammar's edges are accepted.
      subscribed(s, 5, "*.>", "~!", 0, 0);
      subscribed(s, 6, "t".repeat(256), "g".repeat(256), 0, 0);
    }
  }

  @Test
  @Checks("T-2")
  void broadcastGetsOneCopyPerSubscriptionAndAGroupOnePerMessage() {
    try (RawConnection a = peer(); RawConnection b = peer(); RawConnection g1 = peer();
        RawConnection g2 = peer(); RawConnection p = peer()) {
      subscribed(a, 1, "t2.*", "", 0, 0);
      subscribed(a, 2, "t2.>", "", 0, 0); // a second matching subscription, a second copy
      subscribed(b, 1, "t2.x", "", 0, 0);
      subscribed(g1, 1, "t2.*", "workers", 0, 0);
      subscribed(g2, 1, "t2.*", "workers", 0, 0);
      for (int i = 0; i < 10; i++) {
        p.send(publish(0, "t2.x", "m" + i));
      }
      p.send(publish(99, "t2.x", "last"));
      p.expectReply(99);
      java.util.Map<Long, Integer> copies = new java.util.HashMap<>();
      for (int i = 0; i < 22; i++) {
        Envelope m = a.next();
        assertEquals(Command.MESSAGE, m.getCommand(), m.toString());
        copies.merge(m.getId(), 1, Integer::sum);
      }
      assertEquals(java.util.Map.of(1L, 11, 2L, 11), copies);
      for (int i = 0; i < 11; i++) {
        message(b, 1);
      }
      int shared = 0;
      for (RawConnection g : new RawConnection[] {g1, g2}) {
        Envelope m;
        while ((m = g.raw.poll(QUIET)) != null) {
          if (m.getCommand() == Command.MESSAGE) {
            shared++;
          }
        }
      }
      assertEquals(11, shared, "each message to one member of the group");
    }
  }

  @Test
  @Checks("T-3")
  void messageCarriesTopicPayloadHeadersAndTheSubscriptionsId() {
    try (RawConnection s = peer(); RawConnection p = peer()) {
      subscribed(s, 42, "t3.>", "", 0, 0);
      Envelope sent = publish(0, "t3.a.b", "hello").toBuilder().putHeaders("k", "v").build();
      p.send(sent);
      Envelope m = message(s, 42);
      assertEquals("t3.a.b", m.getService());
      assertEquals(sent.getPayload(), m.getPayload());
      assertEquals(sent.getHeadersMap(), m.getHeadersMap());
      assertEquals(0, m.getDelivery().getDropped());
    }
  }

  @Test
  @Checks("T-8")
  void skippedMessagesCreditedAreReported() {
    try (RawConnection s = peer(); RawConnection p = peer(); RawConnection c = peer()) {
      subscribed(s, 9, "t8", "", 0, 0);
      for (int i = 0; i < 3; i++) {
        p.send(publish(0, "t8", "m" + i));
      }
      p.send(publish(1, "t8", "m3"));
      p.expectReply(1);
      long bytes = 0;
      for (int i = 0; i < 4; i++) {
        message(s, 9);
        bytes += s.raw.lastLength();
      }
      s.send(credit(9, 2, bytes / 2, 1));
      s.send(credit(9, 1, bytes / 4, 5)); // more skipped than credited: only the one counts
      assertEquals(2, skipped(c, "t8"));
    }
  }

  /** The subscription's skipped count, as zmesh.topics reports it, once it has settled. */
  private static long skipped(RawConnection c, String topic) {
    long[] seen = {-1};
    io.zmesh.testing.Await.until("skipped credit to be counted", RawConnection.WAIT, () -> {
      ListTopicsReply r = c.call(50, Names.SERVICE_TOPICS,
          ListTopicsRequest.newBuilder().setTopic(topic).build(), ListTopicsReply.class);
      seen[0] = r.getSubscriptions(0).getSkipped();
      return seen[0] == 2;
    });
    return seen[0];
  }

  @Test
  @Checks({"T-4", "T-5"})
  void budgetBoundsWhatIsOutstandingAndCreditRestoresIt() {
    try (RawConnection s = peer(); RawConnection p = peer()) {
      subscribed(s, 7, "t4", "", 2, 0);
      for (int i = 0; i < 5; i++) {
        p.send(publish(0, "t4", "m" + i));
      }
      p.send(publish(1, "t4", "m5"));
      p.expectReply(1);
      assertEquals("m0", text(message(s, 7)));
      int length = s.raw.lastLength();
      assertEquals("m1", text(message(s, 7)));
      s.expectNothing(QUIET); // m2..m5 dropped
      s.send(credit(7, 1, length));
      s.send(credit(7, 1000, 1L << 40)); // beyond what is outstanding: only down to zero
      s.send(credit(99, 1, 10)); // unknown: ignored
      s.expectNothing(QUIET); // never answered
      for (int i = 6; i < 9; i++) {
        p.send(publish(0, "t4", "m" + i));
      }
      p.send(publish(2, "t4", "m9"));
      p.expectReply(2);
      Envelope next = message(s, 7);
      assertEquals("m6", text(next));
      assertEquals(4, next.getDelivery().getDropped());
      assertEquals("m7", text(message(s, 7)));
      s.expectNothing(QUIET); // the budget of 2 again, not more
    }
  }

  @Test
  @Checks("T-6")
  void unsubscribeIsAlwaysAnsweredAndEndsDelivery() {
    try (RawConnection s = peer(); RawConnection p = peer()) {
      subscribed(s, 3, "t6", "", 0, 0);
      s.send(command(Command.UNSUBSCRIBE, 3));
      s.expectReply(3);
      p.send(publish(1, "t6", "after"));
      p.expectReply(1);
      s.expectNothing(QUIET);
      s.send(command(Command.UNSUBSCRIBE, 3));
      s.expectReply(3);
      s.send(command(Command.UNSUBSCRIBE, 12345));
      s.expectReply(12345);
    }
  }

  @Test
  @Checks("T-7")
  void subscriptionEndsWithItsConnection() {
    try (RawConnection p = peer()) {
      try (RawConnection s = peer()) {
        subscribed(s, 1, "t7", "", 0, 0);
        assertEquals(1, subscriptionsTo("t7"));
      }
      io.zmesh.testing.Await.until("the subscription ends with its connection",
          RawConnection.WAIT, () -> subscriptionsTo("t7") == 0);
      p.send(publish(1, "t7", "nobody"));
      p.expectReply(1);
    }
  }

  private static int subscriptionsTo(String topic) {
    return broker.topics(topic).getSubscriptionsCount();
  }

  @Test
  @Checks("P-1")
  void publishWithIdZeroIsNeverAnswered() {
    try (RawConnection p = peer()) {
      p.send(publish(0, "p1.ok", "x"));
      p.send(publish(0, "p1..bad", "x"));
      p.send(publish(0, "zmesh.p1", "x"));
      p.expectNothing(QUIET);
    }
  }

  @Test
  @Checks({"P-2", "O-1"})
  void publishWithAnIdIsAnsweredAfterEveryCopyInOrder() {
    try (RawConnection self = peer()) {
      subscribed(self, 5, "o1.*", "", 0, 0);
      for (int i = 0; i < 50; i++) {
        self.send(publish(0, "o1.x", "m" + i));
      }
      self.send(publish(6, "o1.x", "m50"));
      for (int i = 0; i <= 50; i++) {
        assertEquals("m" + i, text(message(self, 5)));
      }
      self.expectReply(6);
    }
  }

  @Test
  @Checks({"P-3", "N-1"})
  void publishToABadReservedOrOversizeTopicIsRefused() {
    try (RawConnection p = peer()) {
      for (String topic : new String[] {"", "a..b", "a.*", "a.>", "has space", "é",
          "t".repeat(257)}) {
        p.send(publish(1, topic, "x"));
        p.expectError(1, StatusCode.INVALID_ARGUMENT, "");
      }
      p.send(publish(2, "zmesh.events", "x"));
      p.expectError(2, StatusCode.PERMISSION_DENIED, "the broker's own");
      p.send(publish(3, "p3", "x".repeat(LIMIT)));
      p.expectError(3, StatusCode.INVALID_ARGUMENT, "exceeds the limit");
      p.send(publish(4, "t".repeat(256), "the longest topic"));
      p.expectReply(4);
    }
  }

  @Test
  @Checks({"P-4", "N-1"})
  void payloadThatDoesNotParseIsDeliveredAndReservedTopicsMayBeSubscribed() {
    try (RawConnection s = peer(); RawConnection p = peer()) {
      subscribed(s, 1, "p4", "", 0, 0);
      subscribed(s, 2, "zmesh.>", "", 0, 0);
      Any junk = Any.newBuilder().setTypeUrl("type.googleapis.com/google.protobuf.StringValue")
          .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff})).build();
      p.send(publish(5, "p4", "x").toBuilder().setPayload(junk).build());
      p.expectReply(5);
      assertEquals(junk, message(s, 1).getPayload());
    }
  }
}
