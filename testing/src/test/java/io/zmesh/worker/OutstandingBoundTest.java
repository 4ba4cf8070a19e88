package io.zmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A connection bounds its own outstanding requests and says OVERLOADED at once beyond. */
@Timeout(60)
class OutstandingBoundTest {
  private static final CallOptions CALL = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20));

  @Test
  void beyondTheBoundARequestFailsAtOnceWithOverloaded() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (TestMesh mesh = TestMesh.start()) {
      mesh.startWorker("slow", b -> b.concurrency(1).handle(StringValue.class, (s, ctx) -> {
        release.await(20, TimeUnit.SECONDS);
        return s;
      }));
      MeshClient client = mesh.track(MeshClient.connect(TestMesh.meshOptions(mesh.endpoint())
          .toBuilder().maxOutstandingRequests(5).build()));
      List<CompletableFuture<StringValue>> held = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        held.add(client.request("slow", StringValue.of("r" + i), StringValue.class, CALL));
      }
      long start = System.nanoTime();
      CompletableFuture<StringValue> beyond =
          client.request("slow", StringValue.of("beyond"), StringValue.class, CALL);
      assertTrue(beyond.isDone(), "refused on the calling thread, not at a deadline");
      MeshException e = Await.failure(beyond, Duration.ofSeconds(1));
      Await.assertStatus(Code.OVERLOADED, e, "5 requests outstanding");
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));

      release.countDown();
      for (CompletableFuture<StringValue> f : held) {
        Await.value(f, TestMesh.SETTLE);
      }
      // Answered requests, replies and failures alike, give their place back.
      for (int i = 0; i < 12; i++) {
        Await.assertFails(Code.NO_WORKER,
            client.request("nobody", StringValue.of("x"), StringValue.class, CALL),
            TestMesh.SETTLE);
      }
      assertEquals("again",
          client.call("slow", StringValue.of("again"), StringValue.class, CALL).getValue());
    }
  }
}
