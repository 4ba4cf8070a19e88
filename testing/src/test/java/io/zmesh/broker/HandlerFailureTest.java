package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the requester sees when a handler fails, and that the worker survives it. */
class HandlerFailureTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestMesh mesh;
  private MeshClient client;

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
    mesh.startWorker("fragile", b -> b
        .handle(StringValue.class, (s, ctx) -> {
          switch (s.getValue()) {
            case "throw":
              throw new IllegalStateException("disk on fire");
            case "invalid":
              throw Status.INVALID_ARGUMENT.withDescription("room name is empty").asException();
            case "null":
              return null;
            default:
              return StringValue.of("ok:" + s.getValue());
          }
        }));
    client = mesh.client();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  @Test
  @Timeout(30)
  void exceptionIsHandlerFailedWithItsMessage() {
    assertFails(Code.HANDLER_FAILED,
        client.request("fragile", StringValue.of("throw"), StringValue.class), WAIT,
        "worker 'fragile'", "IllegalStateException", "disk on fire");

    assertEquals(StringValue.of("ok:next"),
        client.call("fragile", StringValue.of("next"), StringValue.class),
        "the worker keeps serving after a failed request");
  }

  @Test
  @Timeout(30)
  void statusExceptionKeepsItsCodeAndDescription() {
    MeshException e = assertFails(Code.INVALID_ARGUMENT,
        client.request("fragile", StringValue.of("invalid"), StringValue.class), WAIT);

    assertEquals("room name is empty", e.status().description());
  }

  @Test
  @Timeout(30)
  void nullReplyIsHandlerFailed() {
    assertFails(Code.HANDLER_FAILED,
        client.request("fragile", StringValue.of("null"), StringValue.class), WAIT,
        "handler returned null");
  }

  @Test
  @Timeout(30)
  void failedAsyncStageIsHandlerFailed() {
    mesh.startWorker("async", b -> b.handleAsync(StringValue.class,
        (s, ctx) -> CompletableFuture.<StringValue>failedFuture(
            new UnsupportedOperationException("not today"))));

    assertFails(Code.HANDLER_FAILED,
        client.request("async", StringValue.of("x"), StringValue.class), WAIT,
        "worker 'async'", "not today");
  }
}
