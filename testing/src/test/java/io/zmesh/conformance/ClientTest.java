package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.command;
import static io.zmesh.conformance.RawConnection.reply;
import static io.zmesh.conformance.RawConnection.request;
import static io.zmesh.conformance.RawConnection.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 5, Timeouts and limits, and section 7, Client. */
@Timeout(30)
class ClientTest {
  private static final int DEFAULT_TIMEOUT_MS = 400;
  private static final int MAX_TIMEOUT_MS = 60_000;
  private static final int QUEUE_LIMIT = 1;
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b
        .defaultRequestTimeout(Duration.ofMillis(DEFAULT_TIMEOUT_MS))
        .maxRequestTimeout(Duration.ofMillis(MAX_TIMEOUT_MS))
        .queueLimit(QUEUE_LIMIT));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @Test
  @Checks("L-1")
  void timeoutAboveTheMaximumIsRefused() {
    try (RawConnection w = broker.worker("l1", "l1-1", 1); RawConnection c = broker.client()) {
      c.send(request(1, "l1", "x", MAX_TIMEOUT_MS + 1));
      c.expectError(1, StatusCode.INVALID_ARGUMENT, "exceeds the broker's maximum of "
          + MAX_TIMEOUT_MS + " ms");
      w.expectNothing(QUIET);
      c.send(request(2, "l1", "x", MAX_TIMEOUT_MS));
      assertTrue(w.nextRequest().getTimeoutMs() <= MAX_TIMEOUT_MS);
    }
  }

  @Test
  @Checks("L-2")
  void timeoutZeroGetsTheDefaultDeadline() {
    try (RawConnection w = broker.worker("l2", "l2-1", 1); RawConnection c = broker.client()) {
      long start = System.nanoTime();
      c.send(request(1, "l2", "x", 0));
      Envelope r = w.nextRequest();
      assertTrue(r.getTimeoutMs() > 0 && r.getTimeoutMs() <= DEFAULT_TIMEOUT_MS, r.toString());
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply within");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= DEFAULT_TIMEOUT_MS - 20, "ended after " + ms + " ms");
    }
  }

  @Test
  @Checks("L-3")
  void forwardedTimeoutIsTheTimeLeft() {
    try (RawConnection w = broker.worker("l3", "l3-1", 1); RawConnection c = broker.client()) {
      c.send(request(1, "l3", "first", 5_000));
      Envelope first = w.nextRequest();
      c.send(request(2, "l3", "queued", 5_000));
      w.expectNothing(Duration.ofSeconds(1)); // concurrency 1: the second waits
      w.send(reply(first.getId(), "done"));
      c.expectReply(1);
      Envelope second = w.nextRequest();
      // Counted from when the broker read it, which was at most a moment after it was sent.
      assertTrue(second.getTimeoutMs() >= 1 && second.getTimeoutMs() <= 4_700,
          "the time left after waiting a second in the queue: " + second.getTimeoutMs());
      w.send(reply(second.getId(), "done"));
      c.expectReply(2);
    }
  }

  @Test
  @Checks("L-4")
  void fullQueueIsOverloaded() {
    try (RawConnection w = broker.worker("l4", "l4-1", 1); RawConnection c = broker.client()) {
      c.send(request(1, "l4", "held", 5_000));
      Envelope held = w.nextRequest();
      c.send(request(2, "l4", "queued", 5_000)); // the queue's one place
      c.send(request(3, "l4", "refused", 5_000));
      c.expectError(3, StatusCode.OVERLOADED, "limit");
      w.send(reply(held.getId(), "1"));
      c.expectReply(1);
      w.send(reply(w.nextRequest().getId(), "2"));
      c.expectReply(2);
    }
  }

  @Test
  @Checks({"RQ-1", "ID-5"})
  void everyRequestEndsWithExactlyOneAnswerUnderTheRequestersId() {
    try (RawConnection w = broker.worker("rq1", "rq1-1", 2); RawConnection c = broker.client();
        RawConnection other = broker.client()) {
      c.send(request(7, "rq1", "a", 5_000));
      other.send(request(7, "rq1", "b", 5_000)); // the same id on another connection
      Envelope r1 = w.nextRequest();
      Envelope r2 = w.nextRequest();
      assertNotEquals(r1.getId(), r2.getId(), "the broker's ids are unique at the worker");
      w.send(reply(r1.getId(), "to " + text(r1)));
      w.send(reply(r2.getId(), "to " + text(r2)));
      assertEquals("to a", text(c.expectReply(7)));
      assertEquals("to b", text(other.expectReply(7)));
      // A second answer from the worker is not forwarded.
      w.send(reply(r1.getId(), "again"));
      c.expectNothing(QUIET);
    }
  }

  @Test
  @Checks("RQ-2")
  void noInstanceIsNoWorker() {
    try (RawConnection c = broker.client()) {
      c.send(request(1, "rq2-nobody", "x", 1_000));
      c.expectError(1, StatusCode.NO_WORKER, "no worker named 'rq2-nobody'");
    }
  }

  @Test
  @Checks("RQ-3")
  void waitForWorkerHoldsTheRequestUntilOneRegistersOrTheDeadline() {
    try (RawConnection c = broker.client()) {
      c.send(request(1, "rq3", "patient", 5_000).toBuilder().setWaitForWorker(true).build());
      c.send(request(2, "rq3-never", "x", 300).toBuilder().setWaitForWorker(true).build());
      c.expectError(2, StatusCode.DEADLINE_EXCEEDED, "no worker named 'rq3-never' registered");
      try (RawConnection w = broker.worker("rq3", "rq3-1", 1)) {
        Envelope r = w.nextRequest();
        w.send(reply(r.getId(), "here"));
        assertEquals("here", text(c.expectReply(1)));
      }
    }
  }

  @Test
  @Checks("RQ-4")
  void deadlinePassingQueuedOrAtTheWorkerIsDeadlineExceeded() {
    try (RawConnection w = broker.worker("rq4", "rq4-1", 1); RawConnection c = broker.client()) {
      c.send(request(1, "rq4", "held", 300));
      Envelope held = w.nextRequest();
      c.send(request(2, "rq4", "queued", 200));
      c.expectError(2, StatusCode.DEADLINE_EXCEEDED, "in the queue without a free instance");
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply within");
      w.expect(Command.CANCEL, held.getId());
      w.send(RawConnection.error(held.getId(), StatusCode.CANCELLED, "gave up"));
    }
  }

  @Test
  @Checks("RQ-5")
  void lostInstanceGivesWorkerLostExceptIdempotentRequestsWhichGoElsewhere() {
    try (RawConnection doomed = broker.worker("rq5", "rq5-1", 2);
        RawConnection c = broker.client()) {
      c.send(request(1, "rq5", "once", 5_000));
      c.send(request(2, "rq5", "twice", 5_000).toBuilder().setIdempotent(true).build());
      doomed.nextRequest();
      doomed.nextRequest();
      try (RawConnection spare = broker.worker("rq5", "rq5-2", 2)) {
        doomed.close();
        c.expectError(1, StatusCode.WORKER_LOST, "rq5-1");
        Envelope again = spare.nextRequest();
        assertEquals("twice", text(again));
        spare.send(reply(again.getId(), "ran twice"));
        assertEquals("ran twice", text(c.expectReply(2)));
      }
    }
  }

  @Test
  @Checks({"RQ-6", "RQ-9"})
  void cancelIsAnsweredCancelledAndTheLateAnswerIsDropped() {
    try (RawConnection w = broker.worker("rq6", "rq6-1", 1); RawConnection c = broker.client()) {
      long lateBefore = broker.counter("late_replies_dropped");
      c.send(request(1, "rq6", "in flight", 5_000));
      Envelope r = w.nextRequest();
      c.send(request(2, "rq6", "queued", 5_000));
      c.send(command(Command.CANCEL, 2));
      c.expectError(2, StatusCode.CANCELLED, "cancelled by its requester");
      c.send(command(Command.CANCEL, 1));
      c.expectError(1, StatusCode.CANCELLED, "cancelled by its requester");
      w.expect(Command.CANCEL, r.getId());
      // Nothing pending under these ids any more: ignored.
      c.send(command(Command.CANCEL, 1));
      c.send(command(Command.CANCEL, 99));
      w.send(reply(r.getId(), "too late"));
      c.expectNothing(QUIET);
      assertEquals(lateBefore + 1, broker.counter("late_replies_dropped"));
      w.expectNothing(QUIET); // the queued one was never sent
    }
  }

  @Test
  @Checks("RQ-7")
  void invalidWorkerNameIsInvalidArgument() {
    try (RawConnection c = broker.client()) {
      for (String name : new String[] {"", "has space", "-dash", "x".repeat(129), "é"}) {
        c.send(request(3, name, "x", 1_000));
        c.expectError(3, StatusCode.INVALID_ARGUMENT, "worker name");
      }
    }
  }

  @Test
  @Checks("RQ-8")
  void payloadHeadersAndStatusPassUnchanged() {
    try (RawConnection w = broker.worker("rq8", "rq8-1", 1); RawConnection c = broker.client()) {
      Envelope sent = request(1, "rq8", "ünïcödé payload", 5_000).toBuilder()
          .putHeaders("trace", "abc").putHeaders("ü", "ß").build();
      c.send(sent);
      Envelope r = w.nextRequest();
      assertEquals(sent.getPayload(), r.getPayload());
      assertEquals(sent.getHeadersMap(), r.getHeadersMap());
      w.send(reply(r.getId(), "answer").toBuilder().putHeaders("served-by", "rq8-1").build());
      Envelope answer = c.expectReply(1);
      assertEquals(reply(1, "answer").getPayload(), answer.getPayload());
      assertEquals("rq8-1", answer.getHeadersOrThrow("served-by"));

      c.send(request(2, "rq8", "fail", 5_000));
      Envelope f = w.nextRequest();
      w.send(RawConnection.error(f.getId(), StatusCode.HANDLER_FAILED, "it broke: ü"));
      assertEquals("it broke: ü",
          c.expectError(2, StatusCode.HANDLER_FAILED, "it broke").getStatus().getMessage());
    }
  }

  @Test
  @Checks("RQ-10")
  void justAfterAStartAndAfterALastInstanceLeftARequestWaitsForItsWorker() {
    Duration window = Duration.ofSeconds(2);
    try (BrokerUnderTest fresh = BrokerUnderTest.start(b -> b.registrationWindow(window));
        RawConnection c = fresh.client()) {
      long start = System.nanoTime();
      c.send(request(1, "rq10", "early", 10_000));
      c.send(request(2, "rq10-never", "x", 10_000));
      RawConnection first = fresh.worker("rq10", "rq10-1", 1);
      Envelope r = first.nextRequest();
      first.send(reply(r.getId(), "served"));
      assertEquals("served", text(c.expectReply(1)));
      // A name nobody registers gets the true answer when the window ends, not at its deadline.
      c.expectError(2, StatusCode.NO_WORKER, "rq10-never");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= window.toMillis() / 2 && ms < 8_000, "answered after " + ms + " ms");
      // After the window, at once.
      c.send(request(3, "rq10-never", "x", 10_000));
      c.expectError(3, StatusCode.NO_WORKER, "rq10-never");

      // The name loses its last instance: its next one is waited for, as after a crash.
      first.close();
      Await.until("the instance is forgotten", RawConnection.WAIT,
          () -> fresh.workers("rq10").getWorkersCount() == 0);
      c.send(request(4, "rq10", "during a restart", 10_000));
      c.expectNothing(QUIET);
      try (RawConnection second = fresh.worker("rq10", "rq10-2", 1)) {
        r = second.nextRequest();
        second.send(reply(r.getId(), "restarted"));
        assertEquals("restarted", text(c.expectReply(4)));
      }
    }
  }

  @Test
  @Checks("RQ-11")
  void aRequesterThatLeavesTakesItsRequestsWithIt() {
    try (RawConnection w = broker.worker("rq11", "rq11-1", 1)) {
      RawConnection c = broker.client();
      c.send(request(1, "rq11", "held", 5_000));
      Envelope held = w.nextRequest();
      c.send(request(2, "rq11", "queued", 5_000));
      c.close(); // DISCONNECT
      w.expect(Command.CANCEL, held.getId());
      w.send(RawConnection.error(held.getId(), StatusCode.CANCELLED, "gave up"));
      w.expectNothing(QUIET); // the queued one is never routed
      try (RawConnection other = broker.client()) {
        other.send(request(1, "rq11", "next", 5_000));
        Envelope next = w.nextRequest();
        assertEquals("next", text(next));
        w.send(reply(next.getId(), "credit back"));
        other.expectReply(1);
      }
    }
  }
}
