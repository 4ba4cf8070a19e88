package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A handler slower than the request's deadline. */
class DeadlineTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofMillis(300);

  private TestMesh mesh;
  private MeshClient client;
  private final CountDownLatch release = new CountDownLatch(1);
  private final CompletableFuture<Boolean> sawCancelled = new CompletableFuture<>();

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
    mesh.startWorker("slow", b -> b.instanceId("slow-1").concurrency(1)
        .handle(StringValue.class, (s, ctx) -> {
          if (s.getValue().equals("block")) {
            release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            sawCancelled.complete(ctx.isCancelled());
          }
          return StringValue.of("done " + s.getValue());
        }));
    client = mesh.client();
  }

  @AfterEach
  void stop() {
    release.countDown();
    mesh.close();
  }

  @Test
  @Timeout(30)
  void slowHandlerGivesDeadlineExceededAndItsLateReplyIsDropped() {
    long lateBefore = mesh.counter("late_replies_dropped");
    long start = System.nanoTime();

    MeshException e = assertFails(Code.DEADLINE_EXCEEDED,
        client.request("slow", StringValue.of("block"), StringValue.class,
            CallOptions.DEFAULT.withTimeout(TIMEOUT)), WAIT);

    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(ms >= TIMEOUT.toMillis() - 50 && ms < TIMEOUT.toMillis() + 3_000,
        "deadline of 300 ms ended after " + ms + " ms");
    String why = e.status().description();
    assertTrue(why.startsWith("worker 'slow' (slow-1) did not reply within ")
        || why.startsWith("no answer within the deadline of 300 ms"), why);
    assertEquals(0, mesh.counter("late_replies_dropped") - lateBefore,
        "nothing is late before the handler finishes");

    // The handler finishes after the requester gave up: the broker drops and counts the reply.
    release.countDown();
    assertTrue(value(sawCancelled, WAIT), "the handler should see that nobody waits any more");
    Await.until("the late reply is counted", WAIT,
        () -> mesh.counter("late_replies_dropped") == lateBefore + 1);
    assertEquals(1, mesh.counter("errors.deadline_exceeded"));
  }

  @Test
  @Timeout(30)
  void workerKeepsItsCreditUntilTheLateReplyAndThenServesAgain() {
    CompletableFuture<StringValue> late = client.request("slow", StringValue.of("block"),
        StringValue.class, CallOptions.DEFAULT.withTimeout(TIMEOUT));
    assertEquals(Code.DEADLINE_EXCEEDED, Await.failure(late, WAIT).code());
    // Still busy: the broker must not pile a second request on a worker of concurrency 1.
    WorkerInfo busy = mesh.instance("slow", "slow-1").orElseThrow();
    assertEquals(1, busy.getInFlight(), busy.toString());

    CompletableFuture<StringValue> next = client.request("slow", StringValue.of("next"),
        StringValue.class, CallOptions.DEFAULT.withTimeout(WAIT));
    Await.until("the next request waits in the queue", WAIT,
        () -> mesh.group("slow").orElseThrow().getQueued() == 1);
    release.countDown();

    assertEquals("done next", value(next, WAIT).getValue());
  }
}
