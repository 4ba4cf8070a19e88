package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Names;
import io.zmesh.proto.StatusCode;
import io.zmesh.testing.Await;
import io.zmesh.testing.FakeTicker;
import io.zmesh.testing.RawPeer;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Heartbeats and liveness at the broker. The timing rules run on a fake clock that the test
 * moves; a peer that vanishes runs on the real one.
 */
class LivenessTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration INTERVAL = TestMesh.HEARTBEAT;
  private static final Duration STEP = Duration.ofMillis(10);

  private static final Envelope HEARTBEAT =
      Envelope.newBuilder().setCommand(Command.HEARTBEAT).build();

  /** Moves the broker's clock in steps; a second raw peer proves each step was processed. */
  private static final class Clocked implements AutoCloseable {
    final FakeTicker ticker = new FakeTicker(7_000_000_000L);
    final Broker broker = Broker.start(TestMesh.livenessOptions().ticker(ticker).build());
    final RawPeer sync = new RawPeer(broker.endpoint());
    private long nextId = 1;

    Clocked() {
      sync.hello(WAIT);
    }

    long now() {
      return ticker.nanoTime();
    }

    /**
     * Returns once the broker has run a whole loop iteration at the current time: it answers
     * requests before it runs timers, so the second answer comes after the first iteration's
     * timers.
     */
    BrokerStats settle() {
      stats();
      return stats();
    }

    BrokerStats stats() {
      long id = nextId++;
      sync.send(Envelope.newBuilder()
          .setCommand(Command.REQUEST)
          .setId(id)
          .setService(Names.SERVICE_STATS)
          .setTimeoutMs(60_000)
          .setPayload(Any.pack(BrokerStatsRequest.getDefaultInstance()))
          .build());
      Envelope reply = sync.receive(WAIT);
      assertEquals(Command.REPLY, reply.getCommand(), reply.toString());
      assertEquals(id, reply.getId());
      try {
        return reply.getPayload().unpack(BrokerStats.class);
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }

    /** Moves the clock by {@code step} and keeps the sync peer alive. */
    void advance(Duration step) {
      ticker.advance(step);
      settle();
    }

    @Override
    public void close() {
      sync.close();
      broker.close();
    }
  }

  @Test
  @Timeout(60)
  void brokerIsNeverSilentForMoreThanAnIntervalTowardsAPeer() {
    try (Clocked clock = new Clocked(); RawPeer watched = new RawPeer(clock.broker.endpoint())) {
      watched.hello(WAIT); // WELCOME: heard at the start time
      long lastHeard = clock.now();
      long longestSilence = 0;
      for (int step = 1; step <= 50; step++) {
        clock.ticker.advance(STEP);
        if (step == 11) {
          // A reply at 110 ms, between two heartbeat rounds: the broker's next packet must
          // still come within an interval of it, not up to two intervals later.
          watched.send(Envelope.newBuilder().setCommand(Command.REQUEST).setId(99)
              .setService(Names.SERVICE_STATS).setTimeoutMs(60_000).build());
          assertEquals(99, watched.receive(WAIT).getId());
          longestSilence = Math.max(longestSilence, clock.now() - lastHeard);
          lastHeard = clock.now();
        } else {
          watched.send(HEARTBEAT); // the watched peer stays alive but asks for nothing
        }
        clock.settle();
        Envelope p;
        while ((p = watched.poll(Duration.ofMillis(20))) != null) {
          longestSilence = Math.max(longestSilence, clock.now() - lastHeard);
          lastHeard = clock.now();
        }
        longestSilence = Math.max(longestSilence, clock.now() - lastHeard);
      }
      // One interval, plus a step for seeing each packet at step resolution.
      assertTrue(longestSilence <= INTERVAL.toNanos() + STEP.toNanos(),
          "the broker was silent for " + longestSilence / MS + " ms with a heartbeat interval of "
              + INTERVAL.toMillis() + " ms");
    }
  }

  @Test
  @Timeout(60)
  void silentPeerIsDroppedAfterLivenessIntervalsAndToldToStartOver() {
    try (Clocked clock = new Clocked(); RawPeer silent = new RawPeer(clock.broker.endpoint())) {
      silent.hello(WAIT);
      long lossMs = INTERVAL.toMillis() * TestMesh.LIVENESS;
      for (long ms = 0; ms < lossMs; ms += STEP.toMillis()) {
        clock.advance(STEP);
        assertEquals(0, clock.settle().getCountersOrThrow("peers_timed_out"),
            "dropped after " + (ms + STEP.toMillis()) + " ms of a " + lossMs + " ms window");
      }
      // Past the window (loss is checked at heartbeat rounds, so allow one more interval).
      for (int i = 0; i < INTERVAL.toMillis() / STEP.toMillis() + 1; i++) {
        clock.advance(STEP);
      }
      BrokerStats stats = clock.settle();
      assertEquals(1, stats.getCountersOrThrow("peers_timed_out"));
      assertEquals(1, stats.getPeers(), "only the sync peer is left");

      silent.send(HEARTBEAT);
      Envelope answer = silent.receive(WAIT);
      assertEquals(Command.DISCONNECT, answer.getCommand(), answer.toString());
      assertEquals(StatusCode.UNAVAILABLE, answer.getStatus().getCode());
    }
  }

  @Test
  @Timeout(30)
  void peerThatVanishesWithoutDisconnectIsForgottenAndTheBrokerGoesOn() {
    // Relaxed heartbeats suffice: the broker's next heartbeat to the peer finds it gone.
    try (TestMesh mesh = TestMesh.start()) {
      mesh.startWorker("echo", b -> b.handle(StringValue.class, (s, ctx) -> s));
      MeshClient client = mesh.client();
      long before = mesh.counter("peers_left");
      try (RawPeer raw = new RawPeer(mesh.endpoint())) {
        raw.hello(WAIT);
      } // closed without DISCONNECT, as a killed process would

      Await.until("the broker forgets the vanished peer", WAIT,
          () -> !mesh.broker().isRunning() || mesh.counter("peers_left") == before + 1);
      assertTrue(mesh.broker().isRunning(), "the broker loop stopped");
      assertEquals(StringValue.of("on"), client.call("echo", StringValue.of("on"),
          StringValue.class));
    }
  }
}
