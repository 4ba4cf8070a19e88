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
}
