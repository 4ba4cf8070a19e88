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
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.testing.Await;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 10.1, Publish credit (since 1.1). */
@Timeout(60)
class FlowTest {
  private static final int WINDOW = 8;
  private static BrokerUnderTest broker;
  /** A second broker, quick to find a subscription slow. */
  private static BrokerUnderTest quick;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b.publishWindow(WINDOW, 1L << 20)
        .slowSubscriberTimeout(Duration.ofHours(1)));
    quick = BrokerUnderTest.start(b -> b.slowSubscriberTimeout(Duration.ofMillis(200)));
  }

  @AfterAll
  static void stop() {
    broker.close();
    quick.close();
  }

  private static RawConnection v11(BrokerUnderTest b) {
    return RawConnection.connected(b.endpoint(), Wire.PROTOCOL);
  }

  /** Sums the CREDITs with id 0 that arrive until {@code messages} publishes are credited. */
  private static long creditedBytes(RawConnection c, long messages) {
    long m = 0;
    long bytes = 0;
    while (m < messages) {
      Envelope p = c.expect(Command.CREDIT, 0);
      m += p.getCredit().getMessages();
      bytes += p.getCredit().getBytes();
    }
    assertEquals(messages, m, "credited exactly once");
    return bytes;
  }

  /** The messages of a MESSAGE: its payload, then those of its batch. */
  static List<String> texts(Envelope message) {
    List<String> texts = new ArrayList<>();
    texts.add(text(message));
    for (Any a : message.getBatchList()) {
      texts.add(text(message.toBuilder().setPayload(a).build()));
    }
    return texts;
  }

  @Test
  @Checks("FC-1")
  void aWindowIsGrantedOnlyToPeersOfOneDotOne() {
    try (RawConnection old = RawConnection.opened(broker.endpoint());
        RawConnection peer = RawConnection.opened(broker.endpoint())) {
      Welcome w10 = old.hello(Wire.PROTOCOL_1_0);
      assertEquals(Wire.PROTOCOL_1_0, w10.getProtocol());
      assertEquals(0, w10.getPublishWindowMessages());
      assertEquals(0, w10.getPublishWindowBytes());
      assertEquals(0, w10.getSlowSubscriberMs());
      Welcome w11 = peer.hello(Wire.PROTOCOL);
      assertEquals("zmesh/1.1", w11.getProtocol());
      assertEquals(WINDOW, w11.getPublishWindowMessages());
      assertEquals(1L << 20, w11.getPublishWindowBytes());
      assertEquals(3_600_000, w11.getSlowSubscriberMs());
      // A 1.0 publisher is never credited.
      for (int i = 0; i < 5; i++) {
        old.send(publish(0, "fc1.x", "m" + i));
      }
      old.send(publish(1, "fc1.x", "last"));
      old.expectReply(1);
      old.expectNothing(QUIET);
    }
  }

  @Test
  @Checks("FC-2")
  void everyPublishIsCreditedOnceWhateverBecameOfIt() {
    try (RawConnection sub = v11(broker); RawConnection pub = v11(broker)) {
      sub.send(subscribe(1, "fc2.*", "", 0, 0));
      sub.expectReply(1);
      Envelope[] sent = {
          publish(0, "fc2.a", "delivered"),
          publish(0, "fc2.a.b", "unmatched"),
          publish(0, "fc2..bad", "refused, unanswered"),
          publish(0, "zmesh.fc2", "reserved, unanswered"),
          publish(7, "fc2.b", "answered"),
      };
      long bytes = 0;
      for (Envelope p : sent) {
        pub.send(p);
        bytes += Wire.encode(p).length;
      }
      long credited = 0;
      long messages = 0;
      boolean replied = false;
      while (messages < sent.length || !replied) {
        Envelope p = pub.next();
        if (p.getCommand() == Command.REPLY && p.getId() == 7) {
          replied = true;
        } else {
          assertEquals(Command.CREDIT, p.getCommand(), p.toString());
          assertEquals(0, p.getId());
          messages += p.getCredit().getMessages();
          credited += p.getCredit().getBytes();
        }
      }
      assertEquals(sent.length, messages);
      assertEquals(bytes, credited);
      pub.expectNothing(QUIET);
      assertEquals("delivered", text(sub.expect(Command.MESSAGE, 1)));
    }
  }

  @Test
  @Checks("FC-3")
  void creditWaitsForASubscriptionThatIsBehindUntilItCatchesUp() {
    try (RawConnection sub = v11(broker); RawConnection other = v11(broker);
        RawConnection pub = v11(broker)) {
      // A budget of 16: behind from 2 outstanding, caught up below 1.
      sub.send(subscribe(1, "fc3", "", 16, 0));
      sub.expectReply(1);
      other.send(subscribe(1, "fc3.other", "", 0, 0));
      other.expectReply(1);
      int n = 5;
      for (int i = 0; i < n; i++) {
        pub.send(publish(0, "fc3", "m" + i));
      }
      long bytes = 0;
      for (int i = 0; i < n; i++) {
        assertEquals("m" + i, text(sub.expect(Command.MESSAGE, 1)));
        bytes += sub.raw.lastLength();
      }
      // At most the first, read before the subscription was behind, is credited.
      long early = 0;
      Envelope p;
      while ((p = pub.raw.poll(QUIET)) != null) {
        if (p.getCommand() == Command.CREDIT) {
          early += p.getCredit().getMessages();
        }
      }
      assertTrue(early <= 1, "credited " + early + " while the subscription was behind");
      // The publisher waits as a whole: a publish elsewhere is delivered, not credited.
      pub.send(publish(0, "fc3.other", "elsewhere"));
      assertEquals("elsewhere", text(other.expect(Command.MESSAGE, 1)));
      pub.expectNothing(QUIET);
      // Half caught up is not caught up.
      sub.send(credit(1, 3, 0));
      pub.expectNothing(QUIET);
      sub.send(credit(1, 2, bytes));
      creditedBytes(pub, n - early + 1);
      pub.expectNothing(QUIET);
    }
  }

  @Test
  @Checks({"FC-4", "T-4"})
  void aSubscriptionBehindThatCreditsNothingIsSlowAndCutOff() {
    try (RawConnection stalled = v11(quick); RawConnection healthy = v11(quick);
        RawConnection pub = v11(quick)) {
      stalled.send(subscribe(1, "fc4", "", 16, 0));
      stalled.expectReply(1);
      healthy.send(subscribe(2, "fc4", "", 0, 0));
      healthy.expectReply(2);
      int n = 40;
      for (int i = 0; i < n; i++) {
        pub.send(publish(0, "fc4", "m" + i));
      }
      // Credited in full once the broker gave up waiting for the stalled subscription.
      creditedBytes(pub, n);
      Await.until("the stalled subscription is slow", WAIT,
          () -> quick.counter("subscriptions_slow") == 1);
      // The healthy one got everything; the stalled one its budget, the rest dropped.
      for (int i = 0; i < n; i++) {
        assertEquals("m" + i, text(healthy.expect(Command.MESSAGE, 2)));
      }
      for (int i = 0; i < 16; i++) {
        stalled.expect(Command.MESSAGE, 1);
      }
      stalled.expectNothing(QUIET);
      // Slow, nobody waits for it: further publishes are credited at once.
      pub.send(publish(0, "fc4", "after"));
      creditedBytes(pub, 1);
    }
  }

  @Test
  @Checks({"FC-5", "FC-3"})
  void theJavaSdkKeepsWithinItsWindow() throws Exception {
    try (RawConnection sub = v11(broker);
        MeshClient publisher = MeshClient.connect(MeshOptions.builder()
            .broker(broker.endpoint()).clientName("fc5").build())) {
      sub.send(subscribe(1, "fc5", "", 16, 0)); // behind from 2, never credits
      sub.expectReply(1);
      assertTrue(publisher.awaitConnected(WAIT));
      for (int i = 0; i < 200; i++) {
        publisher.publish("fc5", StringValue.of("m" + i));
      }
      // The broker credits at most the first frame, read before the subscription was behind;
      // the SDK sends no more than the window beyond what was credited.
      List<String> got = new ArrayList<>();
      Envelope m;
      while ((m = sub.raw.poll(QUIET)) != null) {
        assertEquals(Command.MESSAGE, m.getCommand(), m.toString());
        got.addAll(texts(m));
      }
      assertTrue(got.size() >= WINDOW && got.size() <= 2 * WINDOW, got.toString());
      for (int i = 0; i < got.size(); i++) {
        assertEquals("m" + i, got.get(i));
      }
    }
  }
}
