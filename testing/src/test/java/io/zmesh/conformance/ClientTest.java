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
  @Checks("L-1")
  void timeoutAboveTheMaximumIsRefused() {
    try (RawConnection w = worker("l1", "l1-1", 1); RawConnection c = client()) {
      c.send(request(1, "l1", "x", MAX_TIMEOUT_MS + 1));
      c.expectError(1, StatusCode.INVALID_ARGUMENT, "exceeds the broker's maximum of "
          + MAX_TIMEOUT_MS + " ms");
      w.expectNothing(QUIET);
      c.send(request(2, "l1", "x", MAX_TIMEOUT_MS));
      assertTrue(forwarded(w).getTimeoutMs() <= MAX_TIMEOUT_MS);
    }
  }

  @Test
  @Checks("L-2")
  void timeoutZeroGetsTheDefaultDeadline() {
    try (RawConnection w = worker("l2", "l2-1", 1); RawConnection c = client()) {
      long start = System.nanoTime();
      c.send(request(1, "l2", "x", 0));
      Envelope r = forwarded(w);
      assertTrue(r.getTimeoutMs() > 0 && r.getTimeoutMs() <= DEFAULT_TIMEOUT_MS, r.toString());
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply within");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= DEFAULT_TIMEOUT_MS - 20, "ended after " + ms + " ms");
    }
  }

  @Test
  @Checks("L-3")
  void forwardedTimeoutIsTheTimeLeft() {
    try (RawConnection w = worker("l3", "l3-1", 1); RawConnection c = client()) {
      c.send(request(1, "l3", "first", 5_000));
      Envelope first = forwarded(w);
      c.send(request(2, "l3", "queued", 5_000));
      w.expectNothing(Duration.ofMillis(500)); // concurrency 1: the second waits
      w.send(reply(first.getId(), "done"));
      c.expectReply(1);
      Envelope second = forwarded(w);
      assertTrue(second.getTimeoutMs() >= 1 && second.getTimeoutMs() <= 4_500,
          "the time left after waiting 500 ms in the queue: " + second.getTimeoutMs());
      w.send(reply(second.getId(), "done"));
      c.expectReply(2);
    }
  }

  @Test
  @Checks("L-4")
  void fullQueueIsOverloaded() {
    try (RawConnection w = worker("l4", "l4-1", 1); RawConnection c = client()) {
      c.send(request(1, "l4", "held", 5_000));
      Envelope held = forwarded(w);
      c.send(request(2, "l4", "queued", 5_000)); // the queue's one place
      c.send(request(3, "l4", "refused", 5_000));
      c.expectError(3, StatusCode.OVERLOADED, "limit");
      w.send(reply(held.getId(), "1"));
      c.expectReply(1);
      w.send(reply(forwarded(w).getId(), "2"));
      c.expectReply(2);
    }
  }

  @Test
  @Checks({"RQ-6", "RQ-9"})
  void cancelIsAnsweredCancelledAndTheLateAnswerIsDropped() {
    try (RawConnection w = worker("rq6", "rq6-1", 1); RawConnection c = client()) {
      long lateBefore = broker.counter("late_replies_dropped");
      c.send(request(1, "rq6", "in flight", 5_000));
      Envelope r = forwarded(w);
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
}
