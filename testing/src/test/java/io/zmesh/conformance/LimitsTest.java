package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.ready;
import static io.zmesh.conformance.RawConnection.reply;
import static io.zmesh.conformance.RawConnection.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Wire;
import io.zmesh.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/protocol.md section 5, Timeouts and limits: the bounds a broker keeps in bytes and in
 * counts, each refused with OVERLOADED at once. Each test runs a broker with its bound set low.
 */
@Timeout(30)
class LimitsTest {

  /** A REQUEST that waits for its worker, so that it stays at the broker. */
  private static Envelope waiting(long id, String name, String text) {
    return request(id, name, text, 10_000).toBuilder().setWaitForWorker(true).build();
  }

  @Test
  @Checks("L-4")
  void aQueueIsBoundedInBytesAsInRequests() {
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.queueBytes(4096));
        RawConnection w = broker.worker("l4b", "l4b-1", 1);
        RawConnection c = broker.client()) {
      c.send(request(1, "l4b", "held", 5_000));
      Envelope held = w.nextRequest();
      c.send(request(2, "l4b", "x".repeat(3_000), 5_000)); // queued: 3 of its 4 KiB
      c.send(request(3, "l4b", "x".repeat(3_000), 5_000));
      c.expectError(3, StatusCode.OVERLOADED, "4096 bytes");
      w.send(reply(held.getId(), "1"));
      c.expectReply(1);
      w.send(reply(w.nextRequest().getId(), "2"));
      c.expectReply(2);
    }
  }

  @Test
  @Checks("L-5")
  void aConnectionsWaitingRequestsAreBounded() {
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.connectionRequests(2));
        RawConnection c = broker.client();
        RawConnection other = broker.client()) {
      c.send(waiting(1, "l5-later", "a"));
      c.send(waiting(2, "l5-later", "b"));
      c.send(waiting(3, "l5-later", "c"));
      c.expectError(3, StatusCode.OVERLOADED, "2 requests waiting");
      // Another connection is not held back, and the first two are still waiting.
      other.send(waiting(1, "l5-later", "d"));
      try (RawConnection w = broker.worker("l5-later", "l5-1", 3)) {
        for (int i = 0; i < 3; i++) {
          Envelope r = w.nextRequest();
          w.send(reply(r.getId(), RawConnection.text(r)));
        }
      }
      assertEquals("a", RawConnection.text(c.expectReply(1)));
      assertEquals("b", RawConnection.text(c.expectReply(2)));
      assertEquals("d", RawConnection.text(other.expectReply(1)));
    }
  }

  @Test
  @Checks("L-6")
  void workerNamesAreBoundedForRequestsAndRegistrations() {
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.maxWorkerNames(2));
        RawConnection c = broker.client();
        RawConnection w = broker.client()) {
      c.send(waiting(1, "l6-a", "x"));
      c.send(waiting(2, "l6-b", "x"));
      c.send(waiting(3, "l6-c", "x"));
      c.expectError(3, StatusCode.OVERLOADED, "2 worker names, its limit");
      w.send(ready(7, "l6-d", "l6-d-1", 1));
      w.expectError(7, StatusCode.OVERLOADED, "2 worker names, its limit");
      // Names the broker holds already are not affected.
      c.send(waiting(4, "l6-a", "x"));
      c.expectNothing(QUIET);
      w.send(ready(8, "l6-b", "l6-b-1", 1));
      w.expectReply(8);
      assertEquals(Command.REQUEST, w.next().getCommand());
    }
  }

  @Test
  @Checks("L-7")
  void aHelloBeyondTheConnectionLimitIsOverloadedAndCreatesNothing() {
    // BrokerUnderTest's own connection to the broker's services is the first.
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.maxConnections(2));
        RawConnection late = RawConnection.opened(broker.endpoint())) {
      RawConnection second = broker.client();
      late.send(RawConnection.hello(5, Wire.PROTOCOL));
      late.expectError(5, StatusCode.OVERLOADED, "2 connections, its limit");
      late.send(request(6, "zmesh.stats", "x", 1_000));
      late.expectDisconnect(6, StatusCode.UNAVAILABLE); // nothing was created
      second.close();
      Await.until("a place is free again", RawConnection.WAIT, () -> {
        late.send(RawConnection.hello(9, Wire.PROTOCOL));
        Envelope answer = late.next();
        return answer.getCommand() == Command.WELCOME;
      });
    }
  }

  @Test
  @Checks("L-8")
  void theWholeBrokerIsBoundedByOneMemoryBudget() {
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.memoryBudget(1 << 20));
        RawConnection c = broker.client()) {
      // Spread over names, so that no queue bound bites first: ten of 100 KB fit in 1 MiB.
      String big = "x".repeat(100_000);
      int sent = 0;
      Envelope refusal = null;
      while (refusal == null && sent < 12) {
        sent++;
        c.send(waiting(sent, "l8-" + sent, big));
        Envelope p = c.raw.poll(QUIET);
        if (p != null && p.getCommand() == Command.ERROR) {
          refusal = p;
        }
      }
      assertTrue(refusal != null, "no refusal after " + sent + " requests of 100 KB");
      assertEquals(StatusCode.OVERLOADED, refusal.getStatus().getCode(), refusal.toString());
      assertTrue(refusal.getStatus().getMessage().contains("memory budget of 1048576 bytes"),
          refusal.toString());
      assertTrue(sent >= 10, "refused the request number " + sent);
      assertEquals(sent - 1, broker.counter("requests_pending"));
    }
  }
}
