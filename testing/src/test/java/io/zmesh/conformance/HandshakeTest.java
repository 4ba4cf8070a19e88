package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.hello;
import static io.zmesh.conformance.RawConnection.ready;
import static io.zmesh.conformance.RawConnection.request;
import static io.zmesh.conformance.RawConnection.subscribe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.broker.BrokerOptions;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 3, Versions and the handshake, and section 6, A connection. */
@Timeout(30)
class HandshakeTest {
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b
        .maxMessageBytes(64 * 1024)
        .subscriptionBudget(100, 64 * 1024)
        .defaultRequestTimeout(Duration.ofSeconds(7))
        .maxRequestTimeout(Duration.ofMinutes(2))
        .cancelGrace(Duration.ofSeconds(3)));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @Test
  @Checks("V-1")
  void helloOfAnyMinorOfMajorOneGetsTheLowerMinor() {
    for (String offered : new String[] {"zmesh/1.0", "zmesh/1.7", "zmesh/1.123456"}) {
      try (RawConnection c = RawConnection.opened(broker.endpoint())) {
        assertEquals(offered.equals("zmesh/1.0") ? "zmesh/1.0" : Wire.PROTOCOL,
            c.hello(offered).getProtocol(), offered);
      }
    }
  }

  @Test
  @Checks("V-2")
  void helloOfAnotherMajorOrNoneIsRefusedAndMayBeRetried() {
    try (RawConnection c = RawConnection.opened(broker.endpoint())) {
      for (String offered : new String[] {"zmesh/2.0", "zmesh/1", "zmesh/1.x", "zmesh/1.01",
          "nats/1.0", ""}) {
        c.send(hello(3, offered));
        Envelope refusal = c.expectError(3, StatusCode.INVALID_ARGUMENT, "zmesh/1.0");
        assertTrue(refusal.getStatus().getMessage().contains("unsupported protocol"),
            refusal.toString());
      }
      // Nothing was created: the connection is still a stranger...
      c.send(request(4, "zmesh.stats", "x", 1_000));
      c.expectDisconnect(4, StatusCode.UNAVAILABLE);
      // ...until a HELLO the broker speaks.
      assertEquals(Wire.PROTOCOL, c.hello(Wire.PROTOCOL).getProtocol());
    }
  }

  @Test
  @Checks("V-3")
  void welcomeCarriesEveryLimitTheBrokerApplies() {
    try (RawConnection c = RawConnection.opened(broker.endpoint())) {
      Welcome w = c.hello(Wire.PROTOCOL);
      assertFalse(w.getBrokerVersion().isEmpty());
      assertEquals(1_000, w.getHeartbeatIntervalMs());
      assertEquals(60, w.getLiveness());
      assertEquals(64 * 1024, w.getMaxMessageBytes());
      assertEquals(7_000, w.getDefaultTimeoutMs());
      assertEquals(120_000, w.getMaxTimeoutMs());
      assertEquals(3_000, w.getCancelGraceMs());
      assertEquals(BrokerOptions.DEFAULT_CONNECTION_BUDGET_BYTES, w.getOutboundBudgetBytes());
    }
  }

  @Test
  @Checks({"C-1", "C-8"})
  void anyPacketButHelloFromAStrangerGetsDisconnectCarryingItsId() {
    Envelope[] strangers = {
        request(1, "zmesh.stats", "x", 1_000),
        ready(2, "c1", "c1-1", 1),
        subscribe(3, "c1.>", "", 0, 0),
        RawConnection.command(Command.HEARTBEAT, 0),
        RawConnection.acknowledge(4096),
    };
    try (RawConnection c = RawConnection.opened(broker.endpoint())) {
      for (Envelope packet : strangers) {
        c.send(packet);
        Envelope d = c.expectDisconnect(packet.getId(), StatusCode.UNAVAILABLE);
        assertTrue(d.getStatus().getMessage().contains("send HELLO first"), d.toString());
      }
    }
    assertEquals(0, broker.workers("c1").getWorkersCount());
  }

  @Test
  @Checks("C-8")
  void aRequestRefusedAsAStrangersWasNeverAcceptedAndMaySendAgainAfterHello() {
    try (RawConnection w = broker.worker("c8", "c8-1", 1);
        RawConnection c = RawConnection.opened(broker.endpoint())) {
      // As a client whose broker restarted: what it sends before saying HELLO again.
      c.send(request(42, "c8", "first try", 5_000));
      c.expectDisconnect(42, StatusCode.UNAVAILABLE);
      w.expectNothing(RawConnection.QUIET);
      c.hello(Wire.PROTOCOL);
      c.send(request(42, "c8", "second try", 5_000));
      Envelope forwarded = w.nextRequest();
      assertEquals("second try", RawConnection.text(forwarded));
      w.send(RawConnection.reply(forwarded.getId(), "once"));
      assertEquals("once", RawConnection.text(c.expectReply(42)));
    }
  }

  @Test
  @Checks({"C-5", "T-7"})
  void secondHelloEndsTheOldSessionAndStartsANewOne() {
    try (RawConnection worker = RawConnection.worker(broker.endpoint(), "c5", "c5-1", 1);
        RawConnection client = RawConnection.connected(broker.endpoint())) {
      worker.send(subscribe(9, "c5.>", "", 0, 0));
      worker.expectReply(9);
      client.send(request(5, "c5", "held", 5_000));
      assertEquals(Command.REQUEST, worker.next().getCommand());

      assertEquals(Wire.PROTOCOL, worker.hello(Wire.PROTOCOL).getProtocol());
      client.expectError(5, StatusCode.WORKER_LOST, "c5-1");
      assertEquals(0, broker.workers("c5").getWorkersCount());
      client.send(RawConnection.publish(6, "c5.news", "after"));
      client.expectReply(6);
      worker.expectNothing(RawConnection.QUIET); // its subscription ended with the session
      // The new session may register again.
      worker.send(ready(10, "c5", "c5-1", 1));
      worker.expectReply(10);
    }
  }
}
