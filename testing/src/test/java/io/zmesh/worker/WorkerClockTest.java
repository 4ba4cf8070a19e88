package io.zmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Welcome;
import io.zmesh.testing.Await;
import io.zmesh.testing.FakeBroker;
import io.zmesh.testing.FakeTicker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker's drain timeout and the deadlines of the requests it handles, and a client's call
 * deadlines, on the clock of their options: the test moves a fake one, against a scripted
 * broker, instead of waiting.
 */
@Timeout(60)
class WorkerClockTest {
  private static final Duration WAIT = FakeBroker.WAIT;
  /** Long enough for a packet the worker sent to reach the broker; to see that none was. */
  private static final Duration QUIET = Duration.ofMillis(200);
  /** Far beyond any wait here: a drain timed by the real clock cannot pass these tests. */
  private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(1);
  /** Heartbeats every second, and a liveness no test here comes near. */
  private static final Welcome WELCOME =
      Welcome.newBuilder().setHeartbeatIntervalMs(1_000).setLiveness(1_000).build();

  private final FakeTicker ticker = new FakeTicker(7_000_000_000L);
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicReference<RequestContext> context = new AtomicReference<>();

  /** A worker whose handler holds each request until {@link #release}. */
  private Worker worker(FakeBroker broker) {
    return Worker.builder()
        .name("clocked")
        .options(broker.options().ticker(ticker).build())
        .drainTimeout(DRAIN_TIMEOUT)
        .closeOnShutdown(false)
        .handle(StringValue.class, (s, ctx) -> {
          context.set(ctx);
          entered.countDown();
          release.await();
          return s;
        })
        .build();
  }

  /** Starts {@code worker}, answers its READY, and returns the broker's peer id for it. */
  private static byte[] register(FakeBroker broker, Worker worker) {
    CompletableFuture<Worker> started = worker.startAsync();
    byte[] peer = broker.accept(WELCOME);
    long id = broker.expect(Command.READY).envelope().getId();
    broker.send(peer, Envelope.newBuilder().setCommand(Command.REPLY).setId(id).build());
    Await.value(started, WAIT);
    return peer;
  }

  /**
   * Closes {@code worker} on another thread and answers its DRAIN, whose deadline would
   * otherwise wait for the fake clock.
   */
  private static CompletableFuture<Void> close(FakeBroker broker, byte[] peer, Worker worker) {
    CompletableFuture<Void> closing = CompletableFuture.runAsync(worker::close);
    long drain = broker.expect(Command.DRAIN).envelope().getId();
    broker.send(peer, Envelope.newBuilder().setCommand(Command.REPLY).setId(drain).build());
    return closing;
  }

  /** Registers {@code worker} and routes it request 5, which its handler then holds. */
  private byte[] holdingARequest(FakeBroker broker, Worker worker, int timeoutMs)
      throws InterruptedException {
    byte[] peer = register(broker, worker);
    broker.send(peer, Envelope.newBuilder().setCommand(Command.REQUEST).setId(5)
        .setService("clocked").setTimeoutMs(timeoutMs)
        .setPayload(Any.pack(StringValue.of("work"))).build());
    assertTrue(entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "handler not called");
    return peer;
  }

  @Test
  void closeWaitsForAHandlerUntilTheDrainTimeoutPassesOnTheWorkersClock() throws Exception {
    try (FakeBroker broker = new FakeBroker(); Worker worker = worker(broker)) {
      byte[] peer = holdingARequest(broker, worker, 60_000);

      CompletableFuture<Void> closing = close(broker, peer, worker);
      // However long that takes in real time, the drain ends by the worker's clock alone.
      assertNull(broker.poll(QUIET), "closed while its clock stood still");
      ticker.advance(DRAIN_TIMEOUT.minusNanos(1));
      assertNull(broker.poll(QUIET), "closed before the drain timeout");
      assertFalse(closing.isDone());

      ticker.advanceNanos(1);
      // DISCONNECT with no REPLY before it: the handler still held its request.
      broker.expect(Command.DISCONNECT);
      Await.value(closing, WAIT);
      assertTrue(worker.awaitTermination(WAIT));
    } finally {
      release.countDown();
    }
  }

  @Test
  void closeGoesOnOnceTheLastHandlerAnswersWithinTheDrainTimeout() throws Exception {
    try (FakeBroker broker = new FakeBroker(); Worker worker = worker(broker)) {
      byte[] peer = holdingARequest(broker, worker, 60_000);

      CompletableFuture<Void> closing = close(broker, peer, worker);
      ticker.advance(DRAIN_TIMEOUT.dividedBy(2));
      release.countDown();
      assertEquals(5, broker.expect(Command.REPLY).envelope().getId());
      broker.expect(Command.DISCONNECT);
      Await.value(closing, WAIT);
      assertEquals(0, worker.inFlight());
    }
  }

  @Test
  void aHandlersDeadlineRunsOnTheWorkersClockAndCapsTheRequestsItMakes() throws Exception {
    try (FakeBroker broker = new FakeBroker(); Worker worker = worker(broker)) {
      byte[] peer = holdingARequest(broker, worker, 1_000);
      RequestContext ctx = context.get();
      assertEquals(Duration.ofSeconds(1), ctx.timeRemaining());
      assertFalse(ctx.isCancelled());

      ticker.advance(Duration.ofMillis(400));
      assertEquals(Duration.ofMillis(600), ctx.timeRemaining());
      assertEquals(Duration.ofMillis(600), ctx.callOptions().timeout());
      ctx.request("other", StringValue.of("nested"), StringValue.class, CallOptions.DEFAULT);
      assertEquals(600, broker.expect(Command.REQUEST).envelope().getTimeoutMs(),
          "a request from the handler leaves with what its own has left");

      ticker.advance(Duration.ofMillis(600));
      assertEquals(Duration.ZERO, ctx.timeRemaining());
      assertTrue(ctx.isCancelled(), "the requester's deadline has passed");
      Await.assertFails(Code.DEADLINE_EXCEEDED,
          ctx.request("other", StringValue.of("late"), StringValue.class, CallOptions.DEFAULT),
          WAIT, "has passed");

      release.countDown();
      assertEquals(5, broker.expect(Command.REPLY).envelope().getId(), "it still answers");
      Await.value(close(broker, peer, worker), WAIT);
    } finally {
      release.countDown();
    }
  }

  @Test
  void aClientsCallDeadlinesRunOnTheClientsClock() {
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options().ticker(ticker).build())) {
      broker.accept(WELCOME);
      Await.until("connected", WAIT, client::isConnected);
      // Far beyond any wait here, so only the client's own clock can end it in time.
      Duration timeout = Duration.ofSeconds(30);
      CompletableFuture<StringValue> first = client.request("echo", StringValue.of("1"),
          StringValue.class, CallOptions.DEFAULT.withTimeout(timeout));
      assertEquals(30_000, broker.expect(Command.REQUEST).envelope().getTimeoutMs());

      ticker.advance(timeout.plusMillis(50));
      // The next call wakes the I/O thread, whose timers then find the first one's deadline
      // (plus its grace) passed.
      CompletableFuture<StringValue> second = client.request("echo", StringValue.of("2"),
          StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(1)));
      assertEquals(1_000, broker.expect(Command.REQUEST).envelope().getTimeoutMs());
      Await.assertFails(Code.DEADLINE_EXCEEDED, first, WAIT, "30000 ms");
      assertFalse(second.isDone());
    }
  }
}
