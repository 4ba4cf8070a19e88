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
