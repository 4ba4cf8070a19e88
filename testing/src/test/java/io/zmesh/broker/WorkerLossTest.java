package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.testing.WorkerProcess;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process killed with a request in flight: the broker notices within its liveness
 * window (300 ms here), far sooner than the request's 20 s deadline.
 */
class WorkerLossTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Starting a JVM on a busy 2-core machine takes a while. */
  private static final Duration PROCESS_START = Duration.ofSeconds(30);
  private static final CallOptions LONG_DEADLINE =
      CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20));
  /** Liveness window plus generous slack, still far under the deadline. */
  private static final long NOTICED_WITHIN_MS = 3_000;

  @TempDir
  Path dir;

  private TestMesh mesh;
  private MeshClient client;

  @BeforeEach
  void start() {
    mesh = TestMesh.start(TestMesh.livenessOptions());
    client = mesh.client();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  /** Starts the worker process and waits until the broker lists it. */
  private WorkerProcess startProcess(String name, String instanceId) {
    WorkerProcess p = WorkerProcess.start(mesh.endpoint(), name, instanceId, dir);
    Await.until("worker process " + instanceId + " registers", PROCESS_START,
        () -> !p.isAlive() || mesh.instance(name, instanceId).isPresent(),
        p::output);
    assertTrue(p.isAlive(), () -> "worker process exited:\n" + p.output());
    assertEquals(p.pid(), mesh.instance(name, instanceId).orElseThrow().getPid());
    return p;
  }

  /** Waits until the process is inside its handler for {@code value}. */
  private static void awaitHandling(WorkerProcess p, String value) {
    Await.until("the worker process handles " + value, WAIT,
        () -> p.output().contains("handling " + value), p::output);
  }

  @Test
  @Timeout(90)
  void killedWorkerGivesWorkerLostWithinTheLivenessWindow() throws Exception {
    try (WorkerProcess p = startProcess("sleepy", "proc-1")) {
      CompletableFuture<StringValue> reply =
          client.request("sleepy", StringValue.of("job-1"), StringValue.class, LONG_DEADLINE);
      awaitHandling(p, "job-1");
      WorkerInfo busy = mesh.instance("sleepy", "proc-1").orElseThrow();
      assertEquals(1, busy.getInFlight(), busy.toString());

      long killedAt = System.nanoTime();
      p.kill();

      assertFails(Code.WORKER_LOST, reply, WAIT,
          "worker 'sleepy' (proc-1) was lost with the request in flight");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertTrue(ms < NOTICED_WITHIN_MS, "WORKER_LOST came " + ms + " ms after the kill");
    }
    assertEquals(1, mesh.counter("errors.worker_lost"));
    Await.until("the lost instance is gone from zmesh.workers", WAIT,
        () -> mesh.instance("sleepy", "proc-1").isEmpty());
    // The broker itself is unharmed.
    assertEquals(0, mesh.activeInstances("sleepy"));
    assertFails(Code.NO_WORKER,
        client.request("sleepy", StringValue.of("again"), StringValue.class), WAIT);
  }

  @Test
  @Timeout(90)
  void idempotentRequestOfAKilledWorkerIsServedByAnotherInstance() throws Exception {
    try (WorkerProcess p = startProcess("sleepy", "proc-2")) {
      CompletableFuture<StringValue> reply = client.request("sleepy", StringValue.of("job-2"),
          StringValue.class, LONG_DEADLINE.withIdempotent(true));
      awaitHandling(p, "job-2");
      // A second instance, in this JVM, registered while the first one holds the request.
      mesh.startWorker("sleepy", b -> b.instanceId("local-1").handle(StringValue.class,
          (s, ctx) -> StringValue.of(s.getValue() + " served by " + ctx.instanceId())));

      long killedAt = System.nanoTime();
      p.kill();

      assertEquals("job-2 served by local-1", value(reply, WAIT).getValue());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertTrue(ms < NOTICED_WITHIN_MS, "the retry came " + ms + " ms after the kill");
    }
    assertEquals(1, mesh.counter("requests_redispatched"));
    assertEquals(0, mesh.counter("errors.worker_lost"));
  }
}
