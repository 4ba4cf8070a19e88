package io.zmesh.broker;

import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Worker.close(): requests in flight finish, nothing new is routed to the closing instance. */
class GracefulCloseTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestMesh mesh;
  private final CountDownLatch release = new CountDownLatch(1);

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    mesh.close();
  }

  @Test
  @Timeout(60)
  void closeLetsRequestsInFlightFinishAndStopsRoutingThere() throws Exception {
    CountDownLatch entered = new CountDownLatch(3);
    Worker closing = mesh.startWorker("reload", b -> b.instanceId("old").concurrency(4)
        .handle(StringValue.class, (s, ctx) -> {
          entered.countDown();
          release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
          return StringValue.of(s.getValue() + "@" + ctx.instanceId());
        }));
    MeshClient client = mesh.client();
    List<CompletableFuture<StringValue>> inFlight = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      inFlight.add(client.request("reload", StringValue.of("a" + i), StringValue.class));
    }
    assertTrue(entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "handlers did not start");

    CompletableFuture<Void> closed = new CompletableFuture<>();
    Thread closer = new Thread(() -> {
      try {
        closing.close();
        closed.complete(null);
      } catch (Throwable t) {
        closed.completeExceptionally(t);
      }
    }, "closer");
    closer.start();
    Await.until("the broker marks the instance draining", WAIT,
        () -> mesh.instance("reload", "old").map(w -> w.getState().equals("draining"))
            .orElse(false));
    assertEquals(0, mesh.activeInstances("reload"), "a draining instance takes no requests");

    // A new instance takes over; the old one still has a free slot but gets nothing new.
    mesh.startWorker("reload", b -> b.instanceId("new")
        .handle(StringValue.class, (s, ctx) -> StringValue.of(s.getValue() + "@" + ctx.instanceId())));
    for (int i = 0; i < 4; i++) {
      assertEquals("b" + i + "@new",
          client.call("reload", StringValue.of("b" + i), StringValue.class).getValue());
    }
    assertFalse(closed.isDone(), "close() returned with requests still in flight");
    WorkerInfo old = mesh.instance("reload", "old").orElseThrow();
    assertEquals(3, old.getInFlight(), old.toString());

    release.countDown();
    for (int i = 0; i < 3; i++) {
      assertEquals("a" + i + "@old", value(inFlight.get(i), WAIT).getValue(),
          "a request in flight must get its reply, not an error");
    }
    value(closed, WAIT);
    closer.join(WAIT.toMillis());
    Await.until("the closed instance is gone from zmesh.workers", WAIT,
        () -> mesh.instance("reload", "old").isEmpty());
    assertEquals(0, mesh.counter("errors.worker_lost"));
    assertEquals(0, mesh.counter("errors.unavailable"));
  }

  @Test
  @Timeout(30)
  void closeOfAnIdleWorkerIsQuickAndIdempotent() {
    Worker idle = mesh.startWorker("idle", b -> b.instanceId("idle-1")
        .handle(StringValue.class, (s, ctx) -> s));
    assertTrue(idle.isRegistered());
    long start = System.nanoTime();
    idle.close();
    idle.close();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(ms < 5_000, "closing an idle worker took " + ms + " ms");
    assertFalse(idle.isRegistered());
    Await.until("the broker forgets the closed worker", WAIT,
        () -> mesh.instance("idle", "idle-1").isEmpty());
  }
}
