package io.zmesh.broker;

import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The broker never has more requests at an instance than the concurrency it declared. */
class CreditTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int REQUESTS = 10;

  private TestMesh mesh;
  /** More threads than the credit, so only the broker can hold the handlers to two. */
  private final ExecutorService handlers = Executors.newFixedThreadPool(REQUESTS);
  private final Semaphore gate = new Semaphore(0);
  private final Semaphore entered = new Semaphore(0);
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
  }

  @AfterEach
  void stop() {
    gate.release(1_000);
    mesh.close();
    handlers.shutdownNow();
  }

  private StringValue gatedHandler(StringValue s) throws InterruptedException {
    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
    try {
      entered.release();
      if (!gate.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("the test never opened the gate");
      }
      return s;
    } finally {
      running.decrementAndGet();
    }
  }

  @Test
  @Timeout(30)
  void concurrencyTwoNeverRunsMoreThanTwoHandlers() throws Exception {
    mesh.startWorker("busy", b -> b.instanceId("busy-1").concurrency(2).executor(handlers)
        .handle(StringValue.class, (s, ctx) -> gatedHandler(s)));
    MeshClient client = mesh.client();

    List<CompletableFuture<StringValue>> replies = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      replies.add(client.request("busy", StringValue.of("job" + i), StringValue.class,
          CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))));
    }
    assertTrue(entered.tryAcquire(2, WAIT.toMillis(), TimeUnit.MILLISECONDS),
        "two handlers should start");
    // The other eight wait at the broker, not at the worker.
    Await.until("eight requests queued at the broker", WAIT,
        () -> mesh.group("busy").map(GroupInfo::getQueued).orElse(-1) == REQUESTS - 2,
        () -> mesh.workers("busy").toString());
    WorkerInfo info = mesh.instance("busy", "busy-1").orElseThrow();
    assertEquals(2, info.getInFlight(), info.toString());
    assertEquals(2, running.get());

    // Let them through one at a time: each reply frees exactly one slot.
    for (int i = 2; i < REQUESTS; i++) {
      gate.release();
      assertTrue(entered.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS),
          "request " + i + " never started");
      assertTrue(running.get() <= 2, running.get() + " handlers running");
    }
    gate.release(2);
    for (int i = 0; i < REQUESTS; i++) {
      assertEquals("job" + i, value(replies.get(i), WAIT).getValue());
    }
    assertEquals(2, maxRunning.get(), "most handlers running at once");
    Await.until("the broker counts ten handled requests", WAIT,
        () -> mesh.instance("busy", "busy-1").orElseThrow().getHandled() == REQUESTS);
  }

  @Test
  @Timeout(30)
  void creditIsSharedOverInstancesWithoutExceedingAny() throws Exception {
    AtomicInteger runningA = new AtomicInteger();
    AtomicInteger runningB = new AtomicInteger();
    AtomicInteger maxA = new AtomicInteger();
    AtomicInteger maxB = new AtomicInteger();
    for (String id : List.of("a", "b")) {
      AtomicInteger now = id.equals("a") ? runningA : runningB;
      AtomicInteger max = id.equals("a") ? maxA : maxB;
      mesh.startWorker("pair", b -> b.instanceId(id).concurrency(1).executor(handlers)
          .handle(StringValue.class, (s, ctx) -> {
            max.accumulateAndGet(now.incrementAndGet(), Math::max);
            try {
              return gatedHandler(StringValue.of(s.getValue() + "@" + ctx.instanceId()));
            } finally {
              now.decrementAndGet();
            }
          }));
    }
    MeshClient client = mesh.client();

    List<CompletableFuture<StringValue>> replies = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      replies.add(client.request("pair", StringValue.of("job" + i), StringValue.class,
          CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))));
    }
    assertTrue(entered.tryAcquire(2, WAIT.toMillis(), TimeUnit.MILLISECONDS),
        "one handler per instance should start");
    Await.until("four requests queued at the broker", WAIT,
        () -> mesh.group("pair").map(GroupInfo::getQueued).orElse(-1) == 4);
    gate.release(1_000);
    for (CompletableFuture<StringValue> reply : replies) {
      value(reply, WAIT);
    }
    assertEquals(1, maxA.get());
    assertEquals(1, maxB.get());
  }
}
