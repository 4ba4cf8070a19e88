package io.zmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.broker.Broker;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Users start things in any order: a worker started before its broker waits for it. */
@Timeout(60)
class StartBeforeBrokerTest {
  private static String freeEndpoint() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "tcp://127.0.0.1:" + s.getLocalPort();
    }
  }

  private static Worker.Builder echo(String endpoint) {
    return Worker.builder()
        .name("early")
        .options(MeshOptions.builder().broker(endpoint).handshakeTimeout(Duration.ofMillis(200))
            .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(50)).build())
        .closeOnShutdown(false)
        .handle(StringValue.class, (s, ctx) -> s);
  }

  @Test
  void startWaitsForABrokerThatComesUpLater() throws Exception {
    String endpoint = freeEndpoint();
    int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    try (Worker worker = echo(endpoint).build()) {
      CompletableFuture<Worker> started = CompletableFuture.supplyAsync(worker::start);
      // Something that accepts TCP but never answers HELLO stands in for the broker: the
      // worker's second connection proves it outlived a handshake timeout and dialled again.
      try (ServerSocket silent = new ServerSocket(port, 8, InetAddress.getLoopbackAddress())) {
        silent.setSoTimeout(10_000);
        try (Socket first = silent.accept(); Socket second = silent.accept()) {
          assertTrue(first.isConnected() && second.isConnected());
        }
      }
      assertFalse(started.isDone(), "start gave up without a start timeout");
      try (Broker broker = Broker.start(TestMesh.options(endpoint).build());
          MeshClient client = MeshClient.connect(TestMesh.meshOptions(broker.endpoint()))) {
        assertSame(worker, Await.value(started, TestMesh.SETTLE));
        assertTrue(worker.isRegistered());
        assertEquals("hi", client.call("early", StringValue.of("hi"), StringValue.class)
            .getValue());
      }
    }
  }

  @Test
  void aStartTimeoutIsOptIn() throws Exception {
    String endpoint = freeEndpoint();
    Worker worker = echo(endpoint).startTimeout(Duration.ofMillis(300)).build();
    MeshException e = assertThrows(MeshException.class, worker::start);
    assertEquals(Code.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains(endpoint), e.getMessage());
    assertFalse(worker.isRegistered());
    assertThrows(IllegalArgumentException.class,
        () -> echo(endpoint).startTimeout(Duration.ZERO));
  }
}
