package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.Names;
import io.zmesh.proto.ServiceReply;
import io.zmesh.proto.ServiceRequest;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Workers and clients outlive their broker: they fail fast while it is gone and come back. */
class BrokerRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Reconnecting takes a liveness window, a backoff and a handshake; allow for a slow machine. */
  private static final Duration RECONNECT = Duration.ofSeconds(15);
  private static final CallOptions SHORT = CallOptions.DEFAULT.withTimeout(Duration.ofMillis(500));

  private static int port(String endpoint) {
    return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
  }

  /** A loopback port nothing listens on (just closed; nobody else binds it in the meantime). */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether {@code client} can reach a broker that lists {@code name}. */
  private static boolean reaches(MeshClient client, String name) {
    try {
      return client.call(Names.SERVICE_LOOKUP, ServiceRequest.newBuilder().setName(name).build(),
          ServiceReply.class, SHORT).getInstances() == 1;
    } catch (MeshException e) {
      return false; // still reconnecting
    }
  }

  @Test
  @Timeout(60)
  void workerAndClientComeBackAfterABrokerRestartOnTheSamePort() {
    try (TestMesh mesh = TestMesh.start(TestMesh.livenessOptions())) {
      Worker worker = mesh.startWorker("echo", b -> b.instanceId("echo-1")
          .handle(StringValue.class, (s, ctx) -> StringValue.of("echo " + s.getValue())));
      MeshClient client = mesh.client();
      assertEquals("echo before", client.call("echo", StringValue.of("before"),
          StringValue.class).getValue());
      String endpoint = mesh.endpoint();
      Await.until("the worker to have run half a second", WAIT,
          () -> mesh.instance("echo", "echo-1").get().getUptimeMs() >= 500);

      mesh.broker().close();
      Await.until("worker and client notice the broker is gone", WAIT,
          () -> !worker.isRegistered() && !client.isConnected());
      // Meanwhile requests fail at their deadline instead of hanging.
      assertFails(Code.UNAVAILABLE,
          client.request("echo", StringValue.of("during"), StringValue.class, SHORT), WAIT,
          "not connected to broker " + endpoint);

      mesh.replaceBroker(Broker.start(
          TestMesh.livenessOptions("tcp://127.0.0.1:" + port(endpoint)).build()));
      assertEquals(endpoint, mesh.endpoint());

      Await.until("the worker registers again by itself", RECONNECT,
          () -> worker.isRegistered() && mesh.instance("echo", "echo-1").isPresent());
      // The instance's own uptime, not the time since it registered with the new broker.
      assertTrue(mesh.instance("echo", "echo-1").get().getUptimeMs() >= 500);
      Await.until("the old client reaches the new broker", RECONNECT,
          () -> reaches(client, "echo"));
      assertEquals("echo after", client.call("echo", StringValue.of("after"),
          StringValue.class).getValue());
      assertEquals(1, mesh.stats().getWorkers());
    }
  }

  @Test
  @Timeout(30)
  void requestToABrokerThatIsDownFailsWithUnavailableAtItsDeadline() throws Exception {
    String endpoint = "tcp://127.0.0.1:" + closedPort();
    try (MeshClient client = MeshClient.connect(TestMesh.meshOptions(endpoint))) {
      assertFalse(client.awaitConnected(Duration.ofMillis(200)));

      long start = System.nanoTime();
      MeshException e = assertFails(Code.UNAVAILABLE,
          client.request("echo", StringValue.of("x"), StringValue.class, SHORT), WAIT,
          "not connected to broker " + endpoint);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertTrue(ms >= SHORT.timeout().toMillis() - 20, "failed before its deadline: " + ms);
      assertTrue(ms < SHORT.timeout().toMillis() + 2_000, "failed " + ms + " ms in; " + e);
      // The blocking form ends too.
      assertFails(Code.UNAVAILABLE, CompletableFuture.supplyAsync(
          () -> client.call("echo", StringValue.of("y"), StringValue.class, SHORT)), WAIT);
    }
  }

  @Test
  @Timeout(60)
  void requestMadeWhileTheBrokerIsDownIsSentWhenItComesUp() throws Exception {
    String endpoint = "tcp://127.0.0.1:" + closedPort();
    try (MeshClient client = MeshClient.connect(TestMesh.meshOptions(endpoint))) {
      CompletableFuture<StringValue> reply = client.request("late", StringValue.of("patient"),
          StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))
              .withWaitForWorker(true));
      assertFalse(client.awaitConnected(Duration.ofMillis(200)));
      assertFalse(reply.isDone());

      try (TestMesh mesh = TestMesh.start(TestMesh.livenessOptions(endpoint))) {
        mesh.startWorker("late", b -> b.handle(StringValue.class,
            (s, ctx) -> StringValue.of(s.getValue() + " got through")));

        assertEquals("patient got through", value(reply, RECONNECT).getValue());
      }
    }
  }
}
