package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.WAIT;
import static io.zmesh.conformance.RawConnection.credit;
import static io.zmesh.conformance.RawConnection.publish;
import static io.zmesh.conformance.RawConnection.subscribe;
import static io.zmesh.conformance.RawConnection.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.proto.Wire;
import io.zmesh.testing.Await;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Subscription;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 10.2, Batches (since 1.1). */
@Timeout(60)
class BatchTest {
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b);
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  /** A PUBLISH of "{@code prefix}0" with "{@code prefix}1".. in its batch, and a header. */
  private static Envelope batch(String topic, String prefix, int n) {
    Envelope.Builder b = publish(0, topic, prefix + 0).toBuilder().putHeaders("k", "v");
    for (int i = 1; i < n; i++) {
      b.addBatch(Any.pack(StringValue.of(prefix + i)));
    }
    return b.build();
  }

  private static SubscriptionInfo info(String topic, long budget) {
    return broker.topics(topic).getSubscriptionsList().stream()
        .filter(s -> s.getBudgetMessages() == budget).findFirst().orElseThrow();
  }

  @Test
  @Checks({"B-1", "B-2"})
  void aBatchReachesEachSubscriptionAsFarAsItsBudgetHoldsAndIsCreditedPerMessage() {
    try (RawConnection whole = RawConnection.connected(broker.endpoint(), Wire.PROTOCOL);
        RawConnection small = RawConnection.connected(broker.endpoint(), Wire.PROTOCOL);
        RawConnection pub = RawConnection.connected(broker.endpoint(), Wire.PROTOCOL)) {
      whole.send(subscribe(1, "b1", "", 0, 0));
      whole.expectReply(1);
      small.send(subscribe(2, "b1", "", 4, 0));
      small.expectReply(2);
      Envelope sent = batch("b1", "m", 10);
      pub.send(sent);
      // As it came, in one MESSAGE.
      Envelope all = whole.expect(Command.MESSAGE, 1);
      assertEquals(FlowTest.texts(sent), FlowTest.texts(all));
      assertEquals("v", all.getHeadersOrThrow("k"));
      // The first four, the rest dropped and counted.
      Envelope part = small.expect(Command.MESSAGE, 2);
      assertEquals(List.of("m0", "m1", "m2", "m3"), FlowTest.texts(part));
      int length = small.raw.lastLength();
      small.expectNothing(QUIET);
      assertEquals(6, info("b1", 4).getDropped());
      assertEquals(4, info("b1", 4).getOutstandingMessages());
      small.send(credit(2, 4, length));
      Await.until("the credit is in", WAIT, () -> info("b1", 4).getOutstandingMessages() == 0);
      pub.send(publish(0, "b1", "next"));
      Envelope next = small.expect(Command.MESSAGE, 2);
      assertEquals("next", text(next));
      assertEquals(6, next.getDelivery().getDropped());
      small.send(credit(2, 1, small.raw.lastLength())); // caught up: nothing holds the publisher
      // Credited as eleven messages.
      long credited = 0;
      while (credited < 11) {
        credited += pub.expect(Command.CREDIT, 0).getCredit().getMessages();
      }
      assertEquals(11, credited);
    }
  }

  @Test
  @Checks("B-2")
  void aSubscriberOfOneDotZeroGetsEachMessageOfABatchAlone() {
    try (RawConnection old = RawConnection.connected(broker.endpoint());
        RawConnection pub = RawConnection.connected(broker.endpoint(), Wire.PROTOCOL)) {
      old.send(subscribe(1, "b2.*", "", 0, 0));
      old.expectReply(1);
      pub.send(batch("b2.x", "m", 5));
      for (int i = 0; i < 5; i++) {
        Envelope m = old.expect(Command.MESSAGE, 1);
        assertEquals("m" + i, text(m));
        assertEquals(0, m.getBatchCount());
        assertEquals("b2.x", m.getService());
        assertEquals("v", m.getHeadersOrThrow("k"));
      }
      old.expectNothing(QUIET);
    }
  }

  @Test
  @Checks("B-3")
  void theJavaSdkHandsOutABatchInOrderAndCreditsItWhole() throws Exception {
    try (RawConnection pub = RawConnection.connected(broker.endpoint(), Wire.PROTOCOL);
        MeshClient client = MeshClient.connect(MeshOptions.builder()
            .broker(broker.endpoint()).clientName("b3").build())) {
      List<String> got = new CopyOnWriteArrayList<>();
      Subscription s = client.subscribe("b3", StringValue.class,
          (m, ctx) -> got.add(m.getValue()));
      s.ready().get();
      pub.send(batch("b3", "m", 20));
      Await.until("all twenty handled", WAIT, () -> got.size() == 20, got::toString);
      for (int i = 0; i < 20; i++) {
        assertEquals("m" + i, got.get(i));
      }
      Await.until("credited back whole", WAIT, () -> {
        SubscriptionInfo info = broker.topics("b3").getSubscriptions(0);
        return info.getOutstandingMessages() == 0 && info.getOutstandingBytes() == 0;
      });
      assertTrue(s.dropped() == 0);
    }
  }
}
