package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.command;
import static io.zmesh.conformance.RawConnection.error;
import static io.zmesh.conformance.RawConnection.ready;
import static io.zmesh.conformance.RawConnection.reply;
import static io.zmesh.conformance.RawConnection.request;
import static io.zmesh.conformance.RawConnection.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 8, Worker. */
@Timeout(30)
class WorkerTest {
  private static final Duration GRACE = Duration.ofMillis(800);
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b.cancelGrace(GRACE));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static RawConnection worker(String name, String id, int concurrency) {
    return RawConnection.worker(broker.endpoint(), name, id, concurrency);
  }

  private static RawConnection client() {
    return RawConnection.connected(broker.endpoint());
  }

  private static Envelope forwarded(RawConnection worker) {
    Envelope r = worker.next();
    assertEquals(Command.REQUEST, r.getCommand(), r.toString());
    return r;
  }

  @Test
  @Checks("W-4")
  void neverMoreOutstandingThanTheConcurrencyCountingCancelledOnes() {
    try (RawConnection w = worker("w4", "w4-1", 2); RawConnection c = client()) {
      c.send(request(1, "w4", "a", 5_000));
      c.send(request(2, "w4", "b", 5_000));
      c.send(request(3, "w4", "c", 5_000));
      Envelope a = forwarded(w);
      forwarded(w);
      w.expectNothing(QUIET);
      c.send(command(Command.CANCEL, 1));
      c.expectError(1, StatusCode.CANCELLED, "cancelled");
      w.expect(Command.CANCEL, a.getId());
      w.expectNothing(QUIET); // still outstanding until the worker answers
      w.send(error(a.getId(), StatusCode.CANCELLED, "dropped"));
      assertEquals("c", text(forwarded(w)));
    }
  }

  @Test
  @Checks("W-5")
  void cancelGoesToTheWorkerOnTheDeadlineAndOnTheRequestersCancel() {
    try (RawConnection w = worker("w5", "w5-1", 2); RawConnection c = client()) {
      c.send(request(1, "w5", "slow", 200));
      Envelope slow = forwarded(w);
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply within");
      w.expect(Command.CANCEL, slow.getId());
      c.send(request(2, "w5", "unwanted", 5_000));
      Envelope unwanted = forwarded(w);
      c.send(command(Command.CANCEL, 2));
      c.expectError(2, StatusCode.CANCELLED, "cancelled");
      w.expect(Command.CANCEL, unwanted.getId());
      w.send(error(slow.getId(), StatusCode.CANCELLED, "gave up"));
      w.send(error(unwanted.getId(), StatusCode.CANCELLED, "gave up"));
      c.expectNothing(QUIET);
    }
  }

  @Test
  @Checks({"W-6", "W-7"})
  void workerThatDoesNotAnswerACancelIsStuckThenDisconnected() {
    try (RawConnection w = worker("w6", "w6-1", 2); RawConnection c = client()) {
      long before = broker.counter("workers_disconnected_stuck");
      c.send(request(1, "w6", "ignored", 5_000));
      c.send(request(2, "w6", "collateral", 5_000));
      Envelope ignored = forwarded(w);
      forwarded(w);
      assertEquals("ready", broker.instance("w6", "w6-1").orElseThrow().getState());
      long cancelledAt = System.nanoTime();
      c.send(command(Command.CANCEL, 1));
      c.expectError(1, StatusCode.CANCELLED, "cancelled");
      w.expect(Command.CANCEL, ignored.getId());
      assertEquals("stuck", broker.instance("w6", "w6-1").orElseThrow().getState());

      Envelope d = w.expectDisconnect(StatusCode.DEADLINE_EXCEEDED);
      long ms = (System.nanoTime() - cancelledAt) / 1_000_000;
      assertTrue(ms >= GRACE.toMillis() - 20, "disconnected " + ms + " ms after the CANCEL");
      assertTrue(d.getStatus().getMessage().contains("did not answer the CANCEL"), d.toString());
      c.expectError(2, StatusCode.WORKER_LOST, "w6-1");
      assertEquals(0, broker.workers("w6").getWorkersCount());
      assertEquals(before + 1, broker.counter("workers_disconnected_stuck"));
    }
  }

  @Test
  @Checks("W-6")
  void workerThatAnswersTheCancelInTimeIsReadyAgain() {
    try (RawConnection w = worker("w6b", "w6b-1", 1); RawConnection c = client()) {
      c.send(request(1, "w6b", "slow", 150));
      Envelope slow = forwarded(w);
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply");
      w.expect(Command.CANCEL, slow.getId());
      w.send(reply(slow.getId(), "late but within the grace"));
      Await.until("the instance is ready again", RawConnection.WAIT,
          () -> broker.instance("w6b", "w6b-1").orElseThrow().getState().equals("ready"));
      w.expectNothing(GRACE.plusMillis(200)); // no DISCONNECT
      c.send(request(2, "w6b", "next", 5_000));
      w.send(reply(forwarded(w).getId(), "served"));
      assertEquals("served", text(c.expectReply(2)));
    }
  }
}
