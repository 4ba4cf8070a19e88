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
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
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

  @Test
  @Checks("W-1")
  void acceptedReadyIsAnsweredAndRequestsAreRoutedThere() {
    try (RawConnection w = broker.client(); RawConnection c = broker.client()) {
      w.send(ready(5, "w1", "w1-1", 3));
      w.expectReply(5);
      WorkerInfo info = broker.instance("w1", "w1-1").orElseThrow();
      assertEquals(3, info.getConcurrency());
      assertEquals("ready", info.getState());
      c.send(request(1, "w1", "hi", 5_000));
      Envelope r = w.nextRequest();
      w.send(reply(r.getId(), "hello"));
      assertEquals("hello", text(c.expectReply(1)));
    }
  }

  @Test
  @Checks({"W-2", "N-1"})
  void invalidRegistrationsAreRefusedAndRegisterNothing() {
    try (RawConnection w = broker.client()) {
      w.send(ready(1, "has space", "w2-1", 1));
      w.expectError(1, StatusCode.INVALID_ARGUMENT, "'has space'");
      w.send(ready(2, "zmesh.mine", "w2-1", 1));
      w.expectError(2, StatusCode.PERMISSION_DENIED, "reserved for the broker");
      w.send(ready(3, "w2", "", 1));
      w.expectError(3, StatusCode.INVALID_ARGUMENT, "instance id is empty");
      w.send(ready(4, "w2", "with space", 1));
      w.expectError(4, StatusCode.INVALID_ARGUMENT, "printable ASCII");
      w.send(ready(5, "w2", "i".repeat(129), 1));
      w.expectError(5, StatusCode.INVALID_ARGUMENT, "longer than 128");
      w.send(ready(6, "w2", "w2-1", 0));
      w.expectError(6, StatusCode.INVALID_ARGUMENT, "concurrency must be 1 to 65536");
      w.send(ready(7, "w2", "w2-1", 65_537));
      w.expectError(7, StatusCode.INVALID_ARGUMENT, "concurrency must be 1 to 65536");
      assertEquals(0, broker.workers("w2").getWorkersCount());
      // What the grammars allow is accepted: the longest name, a dotted one, the most credit.
      String longest = "W" + "2._-".repeat(31) + "abc";
      w.send(ready(8, longest, "~w2!", 65_536));
      w.expectReply(8);
      w.send(ready(9, "w2", "w2-1", 1));
      w.expectError(9, StatusCode.INVALID_ARGUMENT, "already registered as '" + longest + "'");
      assertEquals(0, broker.workers("w2").getWorkersCount());
    }
  }

  @Test
  @Checks("W-3")
  void readyWithARegisteredInstanceIdReplacesTheOldConnection() {
    try (RawConnection old = broker.worker("w3", "w3-1", 1); RawConnection c = broker.client()) {
      c.send(request(1, "w3", "held", 5_000));
      old.nextRequest();
      try (RawConnection restarted = broker.worker("w3", "w3-1", 1)) {
        Envelope d = old.expectDisconnect(StatusCode.UNAVAILABLE);
        assertTrue(d.getStatus().getMessage().contains("registered again"), d.toString());
        c.expectError(1, StatusCode.WORKER_LOST, "w3-1");
        assertEquals(1, broker.workers("w3").getWorkersCount());
        c.send(request(2, "w3", "next", 5_000));
        Envelope r = restarted.nextRequest();
        restarted.send(reply(r.getId(), "new"));
        assertEquals("new", text(c.expectReply(2)));
      }
    }
  }

  @Test
  @Checks("W-4")
  void neverMoreOutstandingThanTheConcurrencyCountingCancelledOnes() {
    try (RawConnection w = broker.worker("w4", "w4-1", 2); RawConnection c = broker.client()) {
      c.send(request(1, "w4", "a", 5_000));
      c.send(request(2, "w4", "b", 5_000));
      c.send(request(3, "w4", "c", 5_000));
      Envelope a = w.nextRequest();
      w.nextRequest();
      w.expectNothing(QUIET);
      c.send(command(Command.CANCEL, 1));
      c.expectError(1, StatusCode.CANCELLED, "cancelled");
      w.expect(Command.CANCEL, a.getId());
      w.expectNothing(QUIET); // still outstanding until the worker answers
      w.send(error(a.getId(), StatusCode.CANCELLED, "dropped"));
      assertEquals("c", text(w.nextRequest()));
    }
  }

  @Test
  @Checks("W-5")
  void cancelGoesToTheWorkerOnTheDeadlineAndOnTheRequestersCancel() {
    try (RawConnection w = broker.worker("w5", "w5-1", 2); RawConnection c = broker.client()) {
      c.send(request(1, "w5", "slow", 200));
      Envelope slow = w.nextRequest();
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply within");
      w.expect(Command.CANCEL, slow.getId());
      c.send(request(2, "w5", "unwanted", 5_000));
      Envelope unwanted = w.nextRequest();
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
    try (RawConnection w = broker.worker("w6", "w6-1", 2); RawConnection c = broker.client()) {
      long before = broker.counter("workers_disconnected_stuck");
      c.send(request(1, "w6", "ignored", 5_000));
      c.send(request(2, "w6", "collateral", 5_000));
      Envelope ignored = w.nextRequest();
      w.nextRequest();
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
    try (RawConnection w = broker.worker("w6b", "w6b-1", 1); RawConnection c = broker.client()) {
      c.send(request(1, "w6b", "slow", 150));
      Envelope slow = w.nextRequest();
      c.expectError(1, StatusCode.DEADLINE_EXCEEDED, "did not reply");
      w.expect(Command.CANCEL, slow.getId());
      w.send(reply(slow.getId(), "late but within the grace"));
      Await.until("the instance is ready again", RawConnection.WAIT,
          () -> broker.instance("w6b", "w6b-1").orElseThrow().getState().equals("ready"));
      w.expectNothing(GRACE.plusMillis(200)); // no DISCONNECT
      c.send(request(2, "w6b", "next", 5_000));
      w.send(reply(w.nextRequest().getId(), "served"));
      assertEquals("served", text(c.expectReply(2)));
    }
  }

  @Test
  @Checks("W-8")
  void drainStopsRoutingAfterEverythingAlreadyRouted() {
    try (RawConnection w = broker.worker("w8", "w8-1", 4); RawConnection c = broker.client();
        RawConnection stranger = broker.client()) {
      c.send(request(1, "w8", "a", 5_000));
      c.send(request(2, "w8", "b", 5_000));
      Await.until("both requests are routed", RawConnection.WAIT,
          () -> broker.instance("w8", "w8-1").orElseThrow().getInFlight() == 2);
      w.send(command(Command.DRAIN, 50));
      // Both requests come before the answer to DRAIN.
      Envelope a = w.nextRequest();
      Envelope b = w.nextRequest();
      w.expectReply(50);
      assertEquals("draining", broker.instance("w8", "w8-1").orElseThrow().getState());
      c.send(request(3, "w8", "after", 300));
      w.expectNothing(QUIET);
      c.expectError(3, StatusCode.DEADLINE_EXCEEDED, "without a free instance");
      w.send(reply(a.getId(), "a"));
      w.send(reply(b.getId(), "b"));
      c.expectReply(1);
      c.expectReply(2);

      stranger.send(command(Command.DRAIN, 51));
      stranger.expectError(51, StatusCode.INVALID_ARGUMENT, "not a worker");
    }
  }

  @Test
  @Checks("W-9")
  void answerForAnIdTheConnectionDoesNotHoldIsDroppedUnanswered() {
    try (RawConnection w = broker.worker("w9", "w9-1", 1);
        RawConnection other = broker.worker("w9x", "w9x-1", 1);
        RawConnection c = broker.client()) {
      long before = broker.counter("late_replies_dropped");
      c.send(request(1, "w9", "x", 5_000));
      Envelope r = w.nextRequest();
      other.send(reply(r.getId(), "not mine")); // another connection's request
      other.send(reply(123_456, "unknown"));
      c.send(RawConnection.reply(1, "from a client")); // not a worker at all
      other.expectNothing(QUIET);
      c.expectNothing(QUIET);
      assertEquals(before + 3, broker.counter("late_replies_dropped"));
      w.send(reply(r.getId(), "mine"));
      assertEquals("mine", text(c.expectReply(1)));
    }
  }

  @Test
  @Checks("W-10")
  void uptimeIsTheInstancesOwn() {
    try (RawConnection w = RawConnection.connected(broker.endpoint());
        RawConnection c = broker.client()) {
      Envelope ready = RawConnection.ready(1, "w10", "w10-1", 1);
      w.send(ready.toBuilder().setReady(ready.getReady().toBuilder().setUptimeMs(3_600_000))
          .build());
      w.expectReply(1);
      ListWorkersReply workers = c.call(2, Names.SERVICE_WORKERS,
          ListWorkersRequest.newBuilder().setName("w10").build(), ListWorkersReply.class);
      long uptime = workers.getWorkers(0).getUptimeMs();
      assertTrue(uptime >= 3_600_000 && uptime < 3_600_000 + RawConnection.WAIT.toMillis(),
          "uptime " + uptime);
    }
  }
}
