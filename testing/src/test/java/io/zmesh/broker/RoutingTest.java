package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.GroupInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests for names with no worker: refused at once, or held until one registers. */
class RoutingTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestMesh mesh;
  private MeshClient client;

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
    client = mesh.client();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  @Test
  @Timeout(30)
  void unknownNameIsNoWorkerNamingIt() {
    long start = System.nanoTime();
    assertFails(Code.NO_WORKER,
        client.request("nobody-home", StringValue.of("x"), StringValue.class), WAIT,
        "no worker named 'nobody-home'");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(ms < CallOptions.DEFAULT_TIMEOUT.toMillis() / 2,
        "NO_WORKER must come at once, not at the deadline; took " + ms + " ms");
    assertEquals(1, mesh.counter("errors.no_worker"));
  }

  @Test
  @Timeout(30)
  void invalidNameIsInvalidArgument() {
    assertFails(Code.INVALID_ARGUMENT,
        client.request("no spaces allowed", StringValue.of("x"), StringValue.class), WAIT,
        "'no spaces allowed'");
  }

  @Test
  @Timeout(30)
  void waitingRequestIsServedOnceTheWorkerRegisters() {
    CompletableFuture<StringValue> reply = client.request("latecomer", StringValue.of("early"),
        StringValue.class, CallOptions.DEFAULT.withWaitForWorker(true).withTimeout(WAIT));
    // The broker holds it in the name's queue: no instance yet.
    Await.until("the request is queued at the broker for 'latecomer'", WAIT,
        () -> mesh.group("latecomer").map(g -> g.getQueued() == 1 && g.getInstances() == 0)
            .orElse(false));
    assertFalse(reply.isDone(), "answered before any worker registered: " + reply);

    mesh.startWorker("latecomer", b -> b.handle(StringValue.class,
        (s, ctx) -> StringValue.of("served " + s.getValue())));

    assertEquals("served early", value(reply, WAIT).getValue());
  }

  @Test
  @Timeout(30)
  void waitingRequestWithoutWorkerEndsAtItsDeadline() {
    Duration timeout = Duration.ofMillis(400);
    long start = System.nanoTime();
    MeshException e = assertFails(Code.DEADLINE_EXCEEDED,
        client.request("ghost", StringValue.of("x"), StringValue.class,
            CallOptions.DEFAULT.withWaitForWorker(true).withTimeout(timeout)), WAIT);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertTrue(ms >= timeout.toMillis() - 50, "ended early, after " + ms + " ms");
    assertTrue(ms < timeout.toMillis() + 3_000, "ended late, after " + ms + " ms");
    String why = e.status().description();
    // The broker's answer names the worker; the SDK's own timer (50 ms later) only says when.
    assertTrue(why.startsWith("no worker named 'ghost' registered within ")
        || why.startsWith("no answer within the deadline of 400 ms"), why);
    Await.until("the broker counts the deadline", WAIT,
        () -> mesh.counter("errors.deadline_exceeded") == 1);
    Await.until("the broker forgets the empty group 'ghost'", WAIT,
        () -> mesh.group("ghost").isEmpty());
  }

  @Test
  @Timeout(30)
  void requestsQueueBehindABusyWorkerInOrder() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    mesh.startWorker("single", b -> b.concurrency(1).handle(StringValue.class, (s, ctx) -> {
      seen.add(s.getValue());
      release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return s;
    }));
    try {
      List<CompletableFuture<StringValue>> replies = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        replies.add(client.request("single", StringValue.of("r" + i), StringValue.class));
      }
      Await.until("four requests wait in the queue", WAIT,
          () -> mesh.group("single").map(GroupInfo::getQueued).orElse(0) == 4);
      release.countDown();
      for (int i = 0; i < 5; i++) {
        assertEquals("r" + i, value(replies.get(i), WAIT).getValue());
      }
      assertEquals(List.of("r0", "r1", "r2", "r3", "r4"), seen);
    } finally {
      release.countDown();
    }
  }
}
