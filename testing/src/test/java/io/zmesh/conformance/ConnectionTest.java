package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 6, A connection: liveness, DISCONNECT, a broker that stops. */
@Timeout(30)
class ConnectionTest {
  private static final Duration INTERVAL = Duration.ofMillis(100);

  @Test
  @Checks("C-2")
  void brokerHeartbeatsAPeerItHasSentNothingTo() {
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.heartbeatInterval(INTERVAL)
            .liveness(1_000));
        RawConnection c = RawConnection.connected(broker.endpoint())) {
      int beats = 0;
      long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < end) {
        Envelope p = c.raw.poll(Duration.ofMillis(50));
        if (p != null) {
          assertEquals(Command.HEARTBEAT, p.getCommand(), p.toString());
          beats++;
        }
      }
      // One each interval is 20; a loaded machine may lose some, never most.
      assertTrue(beats >= 8, beats + " heartbeats in 20 intervals");
    }
  }

  @Test
  @Checks("C-3")
  void silentPeerIsForgottenAfterLivenessIntervals() {
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.heartbeatInterval(INTERVAL)
            .liveness(3));
        RawConnection w = RawConnection.worker(broker.endpoint(), "c3", "c3-1", 1)) {
      // The admin connection of BrokerUnderTest is silent too; the test reads nothing from it
      // after this, and asks through a fresh connection.
      long start = System.nanoTime();
      Await.until("the silent worker is forgotten", RawConnection.WAIT, () -> {
        try (RawConnection probe = RawConnection.connected(broker.endpoint())) {
          return probe.call(1, io.zmesh.proto.Names.SERVICE_LOOKUP,
              io.zmesh.proto.ServiceRequest.newBuilder().setName("c3").build(),
              io.zmesh.proto.ServiceReply.class).getInstances() == 0;
        }
      });
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= 250, "forgotten after " + ms + " ms, before 3 intervals of silence");
      w.send(request(2, "zmesh.stats", "x", 1_000));
      w.expectDisconnect(2, StatusCode.UNAVAILABLE);
    }
  }

  @Test
  @Checks("C-4")
  void disconnectEndsTheConnectionAtOnce() {
    try (BrokerUnderTest broker = BrokerUnderTest.start();
        RawConnection c = RawConnection.connected(broker.endpoint())) {
      RawConnection w = RawConnection.worker(broker.endpoint(), "c4", "c4-1", 1);
      w.send(RawConnection.subscribe(5, "c4.>", "", 0, 0));
      w.expectReply(5);
      c.send(request(1, "c4", "held", 5_000));
      assertEquals(Command.REQUEST, w.next().getCommand());
      w.send(RawConnection.command(Command.DISCONNECT, 0));
      c.expectError(1, StatusCode.WORKER_LOST, "c4-1");
      w.expectNothing(RawConnection.QUIET); // not answered
      w.close();
      assertEquals(0, broker.workers("c4").getWorkersCount());
      assertEquals(0, broker.topics("c4.x").getSubscriptionsCount());
    }
  }

  @Test
  @Checks("C-6")
  void stoppingBrokerSaysDisconnectToEveryPeer() {
    BrokerUnderTest broker = BrokerUnderTest.start();
    try (RawConnection client = RawConnection.connected(broker.endpoint());
        RawConnection worker = RawConnection.worker(broker.endpoint(), "c6", "c6-1", 1);
        RawConnection subscriber = RawConnection.connected(broker.endpoint())) {
      subscriber.send(RawConnection.subscribe(1, "c6", "", 0, 0));
      subscriber.expectReply(1);
      long start = System.nanoTime();
      broker.close();
      for (RawConnection c : new RawConnection[] {client, worker, subscriber}) {
        Envelope d = c.expectDisconnect(StatusCode.UNAVAILABLE);
        assertTrue(d.getStatus().getMessage().contains("stopping"), d.toString());
      }
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms < 1_000 * 60, "told within " + ms + " ms, before any liveness");
    }
  }
}
