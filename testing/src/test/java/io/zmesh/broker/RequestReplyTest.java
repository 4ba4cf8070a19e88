package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.failure;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests reach the worker they name, typed payloads both ways, calls between workers. */
class RequestReplyTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestMesh mesh;

  @BeforeEach
  void startBroker() {
    mesh = TestMesh.start();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  @Test
  @Timeout(30)
  void requestIsAnsweredByTheWorkerItNames() {
    mesh.startWorker("upper", b -> b.handle(StringValue.class,
        (s, ctx) -> StringValue.of(s.getValue().toUpperCase(Locale.ROOT) + "@" + ctx.worker())));
    mesh.startWorker("lower", b -> b.handle(StringValue.class,
        (s, ctx) -> StringValue.of(s.getValue().toLowerCase(Locale.ROOT) + "@" + ctx.worker())));
    MeshClient client = mesh.client();

    assertEquals("MIXED@upper", client.call("upper", StringValue.of("MiXeD"), StringValue.class)
        .getValue());
    assertEquals("mixed@lower", client.call("lower", StringValue.of("MiXeD"), StringValue.class)
        .getValue());
    // Many at once: each reply matches its own request.
    CompletableFuture<?>[] replies = new CompletableFuture<?>[20];
    for (int i = 0; i < replies.length; i++) {
      replies[i] = client.request("upper", StringValue.of("n" + i), StringValue.class);
    }
    for (int i = 0; i < replies.length; i++) {
      assertEquals(StringValue.of("N" + i + "@upper"), value(replies[i], WAIT));
    }
  }

  @Test
  @Timeout(30)
  void headersReachTheHandler() {
    mesh.startWorker("headers", b -> b.handle(StringValue.class,
        (s, ctx) -> StringValue.of(ctx.headers().getOrDefault("tenant", "<none>"))));
    MeshClient client = mesh.client();

    StringValue reply = client.call("headers", StringValue.of("x"), StringValue.class,
        CallOptions.DEFAULT.withHeader("tenant", "acme"));

    assertEquals("acme", reply.getValue());
  }

  @Test
  @Timeout(30)
  void asyncHandlerReplyArrives() {
    mesh.startWorker("async", b -> b.handleAsync(Int32Value.class,
        (n, ctx) -> CompletableFuture.supplyAsync(() -> Int32Value.of(n.getValue() * 2))));
    MeshClient client = mesh.client();

    assertEquals(42, client.call("async", Int32Value.of(21), Int32Value.class).getValue());
  }

  @Test
  @Timeout(30)
  void workerCallsAnotherWorker() {
    mesh.startWorker("db", b -> b.handle(StringValue.class,
        (key, ctx) -> StringValue.of("row(" + key.getValue() + ")")));
    mesh.startWorker("chat", b -> b.handle(StringValue.class, (msg, ctx) -> {
      StringValue row = ctx.call("db", msg, StringValue.class);
      return StringValue.of("chat saw " + row.getValue());
    }));
    MeshClient client = mesh.client();

    StringValue reply = client.call("chat", StringValue.of("alice"), StringValue.class);

    assertEquals("chat saw row(alice)", reply.getValue());
  }

  @Test
  @Timeout(30)
  void nestedCallTimeoutIsCappedByTheOuterDeadline() throws Exception {
    CountDownLatch releaseDb = new CountDownLatch(1);
    CompletableFuture<Duration> dbSawRemaining = new CompletableFuture<>();
    CompletableFuture<MeshException> nestedFailure = new CompletableFuture<>();
    mesh.startWorker("db", b -> b.handle(StringValue.class, (key, ctx) -> {
      dbSawRemaining.complete(ctx.timeRemaining());
      releaseDb.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return key;
    }));
    mesh.startWorker("chat", b -> b.handle(StringValue.class, (msg, ctx) -> {
      try {
        // Asks for far more time than the outer request has left.
        return ctx.call("db", msg, StringValue.class,
            CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30)));
      } catch (MeshException e) {
        nestedFailure.complete(e);
        throw e;
      }
    }));
    MeshClient client = mesh.client();
    try {
      long start = System.nanoTime();
      CompletableFuture<StringValue> outer = client.request("chat", StringValue.of("k"),
          StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofMillis(1_500)));

      Duration remaining = value(dbSawRemaining, WAIT);
      assertTrue(remaining.compareTo(Duration.ofMillis(1_500)) <= 0,
          "db was given " + remaining + ", more than the outer 1.5 s");
      MeshException nested = value(nestedFailure, WAIT);
      long nestedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(Code.DEADLINE_EXCEEDED, nested.code(), nested.status().toString());
      assertTrue(nestedMs < 5_000, "nested call ended after " + nestedMs + " ms, not by the"
          + " outer 1.5 s deadline");
      assertEquals(Code.DEADLINE_EXCEEDED, failure(outer, WAIT).code());
    } finally {
      releaseDb.countDown();
    }
  }

  @Test
  @Timeout(30)
  void requestOfAnUnhandledTypeIsInvalidArgumentNamingTheType() {
    mesh.startWorker("strings", b -> b.handle(StringValue.class, (s, ctx) -> s));
    MeshClient client = mesh.client();

    assertFails(Code.INVALID_ARGUMENT,
        client.request("strings", Int32Value.of(7), StringValue.class), WAIT,
        "google.protobuf.Int32Value", "'strings'", "google.protobuf.StringValue");
  }

  @Test
  @Timeout(30)
  void replyOfAnotherTypeThanExpectedIsInvalidArgument() {
    mesh.startWorker("strings", b -> b.handle(StringValue.class, (s, ctx) -> s));
    MeshClient client = mesh.client();

    assertFails(Code.INVALID_ARGUMENT,
        client.request("strings", StringValue.of("x"), Int32Value.class), WAIT,
        "reply from 'strings' is a google.protobuf.StringValue",
        "expected google.protobuf.Int32Value");
  }
}
