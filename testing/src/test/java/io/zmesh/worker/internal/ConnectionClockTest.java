package io.zmesh.worker.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.proto.Command;
import io.zmesh.proto.Credit;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ErrorStatus;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.testing.Await;
import io.zmesh.testing.FakeBroker;
import io.zmesh.testing.FakeTicker;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The connection's timers on a fake clock, against a scripted broker: heartbeats, liveness, the
 * handshake timeout, reconnect backoff, call deadlines, the sessions that follow one another on
 * one socket, and the acknowledgement of what was read. Each step moves the clock, then waits
 * (bounded) until the I/O thread has run its timers at the new time, then looks at what reached
 * the broker. Nothing waits for time to pass.
 */
@Timeout(60)
class ConnectionClockTest {
  private static final Duration WAIT = FakeBroker.WAIT;
  /** Long enough for a packet the connection sent to reach the broker; to see that none was. */
  private static final Duration QUIET = Duration.ofMillis(200);
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  /** A fixed reconnect delay: each jittered delay lies within it. */
  private static final Duration BACKOFF = Duration.ofMillis(100);

  /** A connection on a fake clock, and the losses its listener heard of. */
  private static final class Clocked implements AutoCloseable {
    /** System.nanoTime() may be negative; so is this clock. */
    final FakeTicker ticker = new FakeTicker(-5_000_000_000L);
    final List<Status> losses = new CopyOnWriteArrayList<>();
    final Connection connection;

    Clocked(MeshOptions.Builder options) {
      // Futures complete on the I/O thread, so a pass that fails a call has done so when it ends.
      connection = new Connection(options.callbackExecutor(Runnable::run).build(),
          new Connection.Listener() {
            @Override
            public void onDisconnected(Connection c, Status why) {
              losses.add(why);
            }
          }, ticker);
      connection.start();
    }

    /** Moves the clock and returns once the I/O thread has run its timers at the new time. */
    void advance(Duration d) {
      ticker.advance(d);
      settle();
    }

    /**
     * Returns once the I/O thread has completed a whole pass that began after this call. The
     * pass under way when this is called may have read the clock before it was moved; the one
     * after it cannot have. Each look hands the thread a task, so it does not sleep meanwhile.
     */
    void settle() {
      long target = connection.loop.passes() + 2;
      Await.until("the I/O thread completes a pass", WAIT, () -> {
        connection.execute(() -> {});
        return connection.loop.passes() >= target;
      });
    }

    void awaitConnected(boolean connected) {
      Await.until(connected ? "connected" : "disconnected", WAIT,
          () -> connection.isConnected() == connected);
    }

    CompletableFuture<StringValue> call(Duration timeout) {
      return call(CallOptions.DEFAULT.withTimeout(timeout), "ping");
    }

    CompletableFuture<StringValue> call(CallOptions options, String text) {
      return Payloads.request(connection, "echo", StringValue.of(text), StringValue.class,
          options);
    }

    @Override
    public void close() {
      connection.close();
    }
  }

  private static Welcome welcome(int liveness) {
    return Welcome.newBuilder().setHeartbeatIntervalMs((int) INTERVAL.toMillis())
        .setLiveness(liveness).setProtocol(Wire.PROTOCOL).build();
  }

  /** Answers the HELLO of {@code peer}, heard earlier. */
  private static void welcome(FakeBroker broker, byte[] peer) {
    broker.send(peer,
        Envelope.newBuilder().setCommand(Command.WELCOME).setWelcome(welcome(10)).build());
  }

  @Test
  void aHeartbeatGoesOutAfterAnIntervalWithoutSending() {
    try (FakeBroker broker = new FakeBroker(); Clocked c = new Clocked(broker.options())) {
      broker.accept(welcome(10)); // the HELLO was the last packet sent
      c.awaitConnected(true);
      c.advance(INTERVAL.minusNanos(1));
      assertNull(broker.next(QUIET), "a packet before an interval without sending");
      c.advance(Duration.ofNanos(1));
      assertEquals(Command.HEARTBEAT, nextPacket(broker, c).command());

      // Anything sent starts the interval again: a request half an interval later.
      c.advance(INTERVAL.dividedBy(2));
      c.call(Duration.ofMinutes(1));
      assertEquals(Command.REQUEST, broker.next(WAIT).command());
      c.advance(INTERVAL.minusNanos(1));
      assertNull(broker.next(QUIET), "a heartbeat within an interval of the request");
      c.advance(Duration.ofNanos(1));
      assertEquals(Command.HEARTBEAT, nextPacket(broker, c).command());
    }
  }

  /**
   * The next packet at the broker, the clock standing still: the I/O thread is made to run
   * passes meanwhile, so that a wake-up it missed on a loaded machine costs a pass, not the
   * test.
   */
  private static FakeBroker.Packet nextPacket(FakeBroker broker, Clocked c) {
    long end = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() - end < 0) {
      FakeBroker.Packet p = broker.next(QUIET);
      if (p != null) {
        return p;
      }
      c.settle();
    }
    throw new AssertionError("nothing reached the broker within " + WAIT.toMillis() + " ms; the"
        + " connection is " + (c.connection.isConnected() ? "connected" : "not connected")
        + ", losses " + c.losses);
  }

  @Test
  void aBrokerSilentForLivenessIntervalsIsLostAndWhatWasSentOnItFails() {
    try (FakeBroker broker = new FakeBroker();
        Clocked c = new Clocked(broker.options().reconnectDelay(BACKOFF, BACKOFF))) {
      byte[] peer = broker.accept(welcome(3));
      c.awaitConnected(true);
      CompletableFuture<StringValue> call = c.call(Duration.ofMinutes(1));
      broker.expect(Command.REQUEST);

      // Any packet from the broker is a sign of life: a request to this client, 2 s in. Its
      // answer (this client is no worker) shows it was read at that time.
      c.advance(INTERVAL.multipliedBy(2));
      broker.send(peer, Envelope.newBuilder().setCommand(Command.REQUEST).setId(9)
          .setService("client").setPayload(Any.pack(StringValue.of("hi"))).build());
      assertEquals(9, broker.expect(Command.ERROR).envelope().getId());

      c.advance(INTERVAL.multipliedBy(3));
      assertTrue(c.connection.isConnected(), "lost at liveness x interval, not after it");
      assertFalse(call.isDone());
      c.advance(Duration.ofNanos(1));
      assertFalse(c.connection.isConnected());
      assertEquals(1, c.losses.size());
      Await.assertStatus(Code.UNAVAILABLE, c.losses.get(0).asException(),
          "no heartbeat from broker for 3000 ms");
      // The session ended, not the socket: HELLO again on it after the backoff, behind what was
      // queued there, for a broker restarted meanwhile. Its WELCOME settles the request: it
      // went to the broker that was lost, and fails.
      c.settle();
      assertFalse(call.isDone(), "failed before the next WELCOME said where it went");
      c.advance(BACKOFF);
      assertArrayEquals(peer, broker.expect(Command.HELLO).identity(), "a new socket");
      welcome(broker, peer);
      Await.assertFails(Code.UNAVAILABLE, call, WAIT, "lost", "no heartbeat");
      c.awaitConnected(true);
      assertEquals(1, c.losses.size());
    }
  }

  @Test
  void aRequestANewBrokerRefusedUnreadIsSentAgainAfterItsWelcome() {
    try (FakeBroker broker = new FakeBroker();
        Clocked c = new Clocked(broker.options().reconnectDelay(BACKOFF, BACKOFF))) {
      byte[] peer = broker.accept(welcome(10));
      c.awaitConnected(true);
      CompletableFuture<StringValue> call = c.call(Duration.ofMinutes(1));
      Envelope first = broker.expect(Command.REQUEST).envelope();
      // A broker that restarted does not know the connection, and names the packet it refused.
      broker.send(peer, Envelope.newBuilder().setCommand(Command.DISCONNECT).setId(first.getId())
          .setStatus(ErrorStatus.newBuilder().setCode(StatusCode.UNAVAILABLE)
              .setMessage("unknown connection; send HELLO first"))
          .build());
      c.awaitConnected(false);
      c.advance(BACKOFF);
      assertArrayEquals(peer, broker.expect(Command.HELLO).identity(), "a new socket");
      welcome(broker, peer);
      Envelope again = broker.expect(Command.REQUEST).envelope();
      assertEquals(first.getId(), again.getId());
      assertEquals(first.getPayload(), again.getPayload());
      broker.sendBytes(peer, Wire.reply(again.getId(), Any.pack(StringValue.of("pong"))));
      assertEquals(StringValue.of("pong"), Await.value(call, WAIT));
    }
  }

  @Test
  void afterADisconnectOnlyIdempotentRequestsTheOldBrokerTookAreSentAgain() {
    try (FakeBroker broker = new FakeBroker();
        Clocked c = new Clocked(broker.options().reconnectDelay(BACKOFF, BACKOFF))) {
      byte[] peer = broker.accept(welcome(10));
      c.awaitConnected(true);
      CallOptions minute = CallOptions.DEFAULT.withTimeout(Duration.ofMinutes(1));
      CompletableFuture<StringValue> once = c.call(minute, "once");
      broker.expect(Command.REQUEST);
      CompletableFuture<StringValue> twice = c.call(minute.withIdempotent(true), "twice");
      Envelope taken = broker.expect(Command.REQUEST).envelope();
      broker.send(peer, Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
      c.awaitConnected(false);
      c.advance(BACKOFF);
      broker.expect(Command.HELLO);
      welcome(broker, peer);
      Await.assertFails(Code.UNAVAILABLE, once, WAIT, "lost with the request sent");
      Envelope again = broker.expect(Command.REQUEST).envelope();
      assertEquals(taken.getId(), again.getId());
      assertTrue(again.getIdempotent());
      broker.sendBytes(peer, Wire.reply(again.getId(), Any.pack(StringValue.of("ran twice"))));
      assertEquals(StringValue.of("ran twice"), Await.value(twice, WAIT));
    }
  }

  @Test
  void whatWasReadIsAcknowledgedEachSixteenthOfTheUnreadBytesTheBrokerAllows() {
    try (FakeBroker broker = new FakeBroker(); Clocked c = new Clocked(broker.options())) {
      byte[] peer = broker.expect(Command.HELLO).identity();
      byte[] welcome = Wire.encode(Envelope.newBuilder().setCommand(Command.WELCOME)
          .setWelcome(welcome(10).toBuilder().setOutboundBudgetBytes(16 * 1024)).build());
      broker.sendBytes(peer, welcome);
      c.awaitConnected(true);
      // A request to this client, which is no worker (answered ERROR): 2 KiB read.
      byte[] request = Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST).setId(9)
          .setService("client").setPayload(Any.pack(StringValue.of("x".repeat(2048)))).build());
      broker.sendBytes(peer, request);
      Credit ack = null;
      for (int i = 0; i < 2 && ack == null; i++) {
        FakeBroker.Packet p = broker.poll(WAIT);
        if (p.command() == Command.CREDIT) {
          assertEquals(0, p.envelope().getId());
          ack = p.envelope().getCredit();
        } else {
          assertEquals(9, p.envelope().getId(), p.envelope().toString());
        }
      }
      assertEquals(welcome.length + request.length, ack.getBytes(), "the WELCOME counts too");
      assertEquals(0, ack.getMessages());
    }
  }

  @Test
  void anUnansweredHelloIsGivenUpAtTheHandshakeTimeoutAndSaidAgainOnANewSocket() {
    Duration timeout = Duration.ofSeconds(2);
    Duration backoff = Duration.ofMillis(100);
    try (FakeBroker broker = new FakeBroker();
        Clocked c = new Clocked(broker.options().handshakeTimeout(timeout)
            .reconnectDelay(backoff, backoff))) {
      FakeBroker.Packet first = broker.expect(Command.HELLO);
      c.advance(timeout);
      c.advance(backoff);
      FakeBroker.Packet second = broker.expect(Command.HELLO);
      assertFalse(Arrays.equals(first.identity(), second.identity()), "the same socket");
      welcome(broker, second.identity());
      c.awaitConnected(true);
      assertTrue(c.losses.isEmpty(), "a failed handshake is no lost connection");
    }
  }

  @Test
  void aWelcomeJustBeforeTheHandshakeTimeoutConnects() {
    Duration timeout = Duration.ofSeconds(2);
    try (FakeBroker broker = new FakeBroker();
        Clocked c = new Clocked(broker.options().handshakeTimeout(timeout))) {
      byte[] peer = broker.expect(Command.HELLO).identity();
      c.advance(timeout.minusNanos(1));
      welcome(broker, peer);
      c.awaitConnected(true);
      c.advance(timeout);
      assertTrue(c.connection.isConnected(), "the timeout ends with the handshake");
    }
  }

  @Test
  void reconnectsWaitAJitteredBackoffThatDoublesUpToItsMaxAndStartsOverAfterAWelcome() {
    Duration handshake = Duration.ofSeconds(10);
    try (FakeBroker broker = new FakeBroker();
        Clocked c = new Clocked(broker.options().handshakeTimeout(handshake)
            .reconnectDelay(Duration.ofSeconds(1), Duration.ofSeconds(4)))) {
      byte[] peer = broker.accept(welcome(10));
      c.awaitConnected(true);
      broker.send(peer, Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
      c.awaitConnected(false);

      // Each delay lies between half and all of its step; the step starts at the initial
      // delay and doubles with every handshake that fails, up to the max.
      reconnectsBetween(c, broker, Duration.ofMillis(500), Duration.ofSeconds(1));
      c.advance(handshake);
      reconnectsBetween(c, broker, Duration.ofSeconds(1), Duration.ofSeconds(2));
      c.advance(handshake);
      reconnectsBetween(c, broker, Duration.ofSeconds(2), Duration.ofSeconds(4));
      c.advance(handshake);
      byte[] last = reconnectsBetween(c, broker, Duration.ofSeconds(2), Duration.ofSeconds(4));

      welcome(broker, last);
      c.awaitConnected(true);
      broker.send(last, Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
      c.awaitConnected(false);
      reconnectsBetween(c, broker, Duration.ofMillis(500), Duration.ofSeconds(1));
    }
  }

  /** After a loss at the clock's current time: no HELLO before {@code earliest}, one at latest. */
  private static byte[] reconnectsBetween(Clocked c, FakeBroker broker, Duration earliest,
      Duration latest) {
    c.advance(earliest.minusNanos(1));
    assertNull(broker.poll(QUIET), "reconnected before " + earliest.toMillis() + " ms");
    c.advance(latest.minus(earliest).plusNanos(1));
    return broker.expect(Command.HELLO).identity();
  }

  @Test
  void aSentCallUnansweredPastItsDeadlineFailsWithDeadlineExceeded() {
    try (FakeBroker broker = new FakeBroker(); Clocked c = new Clocked(broker.options())) {
      broker.accept(welcome(10));
      c.awaitConnected(true);
      CompletableFuture<StringValue> call = c.call(Duration.ofSeconds(1));
      assertEquals(1_000, broker.expect(Command.REQUEST).envelope().getTimeoutMs());
      // The broker answers a request at its deadline with its own account of what happened;
      // the local timer waits 50 ms longer, for a broker that has gone silent.
      c.advance(Duration.ofMillis(1_050).minusNanos(1));
      assertFalse(call.isDone(), "failed before its deadline and the grace");
      c.advance(Duration.ofNanos(1));
      assertTrue(call.isDone());
      Await.assertFails(Code.DEADLINE_EXCEEDED, call, WAIT,
          "no answer within the deadline of 1000 ms");
    }
  }

  @Test
  void aCallThatFindsNoConnectionBeforeItsDeadlineFailsWithUnavailable() {
    try (FakeBroker broker = new FakeBroker(); Clocked c = new Clocked(broker.options())) {
      broker.expect(Command.HELLO); // and no answer
      CompletableFuture<StringValue> call = c.call(Duration.ofSeconds(1));
      c.settle(); // the call is waiting for the connection
      c.advance(Duration.ofMillis(1_050).minusNanos(1));
      assertFalse(call.isDone(), "failed before its deadline and the grace");
      c.advance(Duration.ofNanos(1));
      Await.assertFails(Code.UNAVAILABLE, call, WAIT, "not connected to broker",
          "before the deadline", "not yet connected");
    }
  }

  @Test
  void aCallMadeBeforeTheConnectionLeavesWithTheTimeItHasLeft() {
    try (FakeBroker broker = new FakeBroker(); Clocked c = new Clocked(broker.options())) {
      byte[] peer = broker.expect(Command.HELLO).identity();
      CompletableFuture<StringValue> call = c.call(Duration.ofSeconds(2));
      c.settle();
      c.advance(Duration.ofMillis(1_500));
      welcome(broker, peer);
      Envelope request = broker.expect(Command.REQUEST).envelope();
      assertEquals(500, request.getTimeoutMs());
      broker.sendBytes(peer, Wire.reply(request.getId(), Any.pack(StringValue.of("pong"))));
      assertEquals(StringValue.of("pong"), Await.value(call, WAIT));
    }
  }
}
