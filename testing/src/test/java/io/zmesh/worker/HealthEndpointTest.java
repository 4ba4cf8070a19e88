package io.zmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.StringValue;
import io.zmesh.bench.SupervisedWorkerMain;
import io.zmesh.supervisor.Ecosystem;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The opt-in HTTP port for systemd and Kubernetes probes. */
@Timeout(120)
class HealthEndpointTest {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path dir;

  private static int get(int port, String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void readyOnlyWhileRegisteredLiveUntilClosed() throws Exception {
    try (TestMesh mesh = TestMesh.start()) {
      Worker w = mesh.workerBuilder("probed").handle(StringValue.class, (s, ctx) -> s)
          .closeOnShutdown(false).build();
      try (HealthEndpoint h = HealthEndpoint.start(w, new InetSocketAddress("127.0.0.1", 0))) {
        assertEquals(503, get(h.port(), "/readyz"), "not registered before start");
        assertEquals(200, get(h.port(), "/livez"));
        w.start();
        assertEquals(200, get(h.port(), "/readyz"));
        assertEquals(404, get(h.port(), "/other"));
        int code = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.port()
            + "/readyz")).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        assertEquals(405, code);
        w.close();
        assertEquals(503, get(h.port(), "/readyz"), "a drained worker is not ready");
        assertEquals(503, get(h.port(), "/livez"), "a closed worker is not live");
      }
    }
  }

  @Test
  void zmeshHealthPortOpensItForAWorkerProcess() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    String yaml = "broker: {bind: \"tcp://127.0.0.1:*\"}\napps:\n"
        + "  - name: probed\n"
        + "    main: " + SupervisedWorkerMain.class.getName() + "\n"
        + "    jvm_args: [-XX:TieredStopAtLevel=1, -XX:+UseSerialGC, -Xmx64m]\n"
        + "    env: {ZMESH_HEALTH_PORT: \"127.0.0.1:" + port + "\"}\n"
        + "    logs: {out: \"" + dir.resolve("out") + "\", err: \"" + dir.resolve("err") + "\"}\n";
    try (Supervisor s = Supervisor.start(Ecosystem.parse(yaml, dir.resolve("mesh.yaml")))) {
      assertEquals(1, s.started().get(90, TimeUnit.SECONDS).online());
      assertEquals(200, get(port, "/readyz"));
      assertEquals(200, get(port, "/livez"));
    }
    Await.until("the port closes with the worker", Duration.ofSeconds(10), () -> {
      try {
        get(port, "/livez");
        return false;
      } catch (IOException e) {
        return true;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertThrows(IOException.class, () -> get(port, "/readyz"));
  }
}
