package io.zmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A blocking {@code call} is woken by the I/O thread itself: its reply, and its failure, never
 * go through the callback executor, which asynchronous requests still use.
 */
@Timeout(60)
class BlockingCallTest {
  @Test
  void callsAreAnsweredWithoutTheCallbackExecutorAndRequestsThroughIt() throws Exception {
    try (TestMesh mesh = TestMesh.start()) {
      mesh.startWorker("echo", b -> b.handle(StringValue.class,
          (s, ctx) -> StringValue.of("echo:" + s.getValue())));
      AtomicInteger callbacks = new AtomicInteger();
      Executor counting = task -> {
        callbacks.incrementAndGet();
        task.run();
      };
      MeshClient client = mesh.track(MeshClient.connect(TestMesh.meshOptions(mesh.endpoint())
          .toBuilder().callbackExecutor(counting).build()));
      Await.until("connected", TestMesh.SETTLE, client::isConnected);
      for (int i = 0; i < 100; i++) {
        assertEquals("echo:" + i,
            client.call("echo", StringValue.of("" + i), StringValue.class).getValue());
      }
      MeshException e = assertThrows(MeshException.class,
          () -> client.call("nobody", StringValue.of("x"), StringValue.class));
      assertEquals(Code.NO_WORKER, e.code());
      // A reply of the wrong type fails on the caller's thread, as a request's does.
      MeshException wrong = assertThrows(MeshException.class,
          () -> client.call("echo", StringValue.of("x"), com.google.protobuf.Int64Value.class));
      assertEquals(Code.INVALID_ARGUMENT, wrong.code());
      assertEquals(0, callbacks.get(), "a blocking call used the callback executor");
      assertEquals("echo:async", client.request("echo", StringValue.of("async"),
          StringValue.class).get().getValue());
      assertEquals(1, callbacks.get(), "an asynchronous request completes on the executor");
      // Within a handler too.
      mesh.startWorker("relay", b -> b.handle(StringValue.class,
          (s, ctx) -> ctx.call("echo", s, StringValue.class, CallOptions.DEFAULT
              .withTimeout(Duration.ofSeconds(5)))));
      assertEquals("echo:via", client.call("relay", StringValue.of("via"), StringValue.class)
          .getValue());
    }
  }
}
