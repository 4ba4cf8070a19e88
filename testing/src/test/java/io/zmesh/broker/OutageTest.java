package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A short broker outage is invisible to requests with time left. */
@Timeout(60)
class OutageTest {
  private static final CallOptions TEN_SECONDS =
      CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));

  private static int port(String endpoint) {
    return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
  }

  @Test
  void requestsMadeWhileTheBrokerIsDownSucceedOnceItIsBack() {
    // Liveness of 5 s: the outage is over before anyone declares the other lost.
    try (TestMesh mesh = TestMesh.start(TestMesh.options()
        .heartbeatInterval(Duration.ofSeconds(1)).liveness(5))) {
      mesh.startWorker("echo", b -> b.handle(StringValue.class,
          (s, ctx) -> StringValue.of("echo " + s.getValue())));
      MeshClient client = mesh.client();
      assertEquals("echo before",
          client.call("echo", StringValue.of("before"), StringValue.class).getValue());
      String endpoint = mesh.endpoint();
      mesh.broker().close();

      // Sent into a socket whose broker is gone: the new broker will not know them.
      List<CompletableFuture<StringValue>> during = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        during.add(client.request("echo", StringValue.of("during " + i), StringValue.class,
            TEN_SECONDS));
      }
      mesh.replaceBroker(Broker.start(TestMesh.options("tcp://127.0.0.1:" + port(endpoint))
          .heartbeatInterval(Duration.ofSeconds(1)).liveness(5).build()));
      for (int i = 0; i < during.size(); i++) {
        assertEquals("echo during " + i, Await.value(during.get(i), Duration.ofSeconds(15))
            .getValue());
      }
    }
  }

  @Test
  void justAfterAStartARequestForAnUnknownNameWaitsForItsWorker() throws Exception {
    try (TestMesh mesh = TestMesh.start(TestMesh.options()
        .heartbeatInterval(Duration.ofSeconds(1)).liveness(3))) {
      MeshClient client = mesh.client();
      CompletableFuture<StringValue> early =
          client.request("late", StringValue.of("x"), StringValue.class, TEN_SECONDS);
      CompletableFuture<StringValue> never =
          client.request("never", StringValue.of("x"), StringValue.class, TEN_SECONDS);
      mesh.startWorker("late", b -> b.handle(StringValue.class, (s, ctx) -> s));
      assertEquals("x", Await.value(early, TestMesh.SETTLE).getValue());
      // A name that nobody registers within the window gets the true answer when it ends,
      // not at the request's deadline.
      long start = System.nanoTime();
      Await.assertFails(Code.NO_WORKER, never, TestMesh.SETTLE, "'never'");
      assertTrue(System.nanoTime() - start < 5_000_000_000L);
      // After the window the answer is at once.
      Await.assertFails(Code.NO_WORKER,
          client.request("never", StringValue.of("x"), StringValue.class, TEN_SECONDS),
          Duration.ofSeconds(1));
    }
  }

  @Test
  void aNameThatJustLostItsLastInstanceWaitsForTheNextOne() throws Exception {
    // Liveness window 1 s (200 ms x 5); the broker's own start window passes first.
    try (TestMesh mesh = TestMesh.start()) {
      MeshClient client = mesh.client();
      Await.assertFails(Code.NO_WORKER,
          client.request("crashy", StringValue.of("x"), StringValue.class, TEN_SECONDS),
          TestMesh.SETTLE);
      mesh.startWorker("crashy", b -> b.handle(StringValue.class, (s, ctx) -> s)).close();
      // As a supervisor restarting a crashed worker: the request waits for the new instance.
      CompletableFuture<StringValue> during =
          client.request("crashy", StringValue.of("during"), StringValue.class, TEN_SECONDS);
      mesh.startWorker("crashy", b -> b.handle(StringValue.class, (s, ctx) -> s));
      assertEquals("during", Await.value(during, TestMesh.SETTLE).getValue());
    }
  }
}
