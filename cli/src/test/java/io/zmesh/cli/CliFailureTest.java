package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Empty;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.cli.CliRunner.Result;
import io.zmesh.testing.TestMesh;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Usage mistakes get one line and exit 2 before anything connects; answers are exact. */
@Timeout(60)
class CliFailureTest {
  private static TestMesh mesh;

  @BeforeAll
  static void start() {
    mesh = TestMesh.start();
    mesh.startWorker("echo", b -> b.handle(StringValue.class, (s, ctx) -> s)
        .handle(Empty.class, (e, ctx) -> e));
    mesh.client().subscribe("chat.room.>", StringValue.class, (m, ctx) -> { });
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static void assertUsage(Result r, String... parts) {
    assertEquals(2, r.code(), r.err());
    for (String part : parts) {
      assertTrue(r.err().contains(part), r.err());
    }
    assertFalse(r.err().contains("Exception"), r.err());
  }

  @Test
  void aBrokerUrlWithoutSchemeIsAUsageError() {
    // Refused while the arguments are parsed: nothing connects, nothing is retried.
    assertUsage(CliRunner.run("ls", "--broker", "localhost:5555"),
        "'localhost:5555' is not a ZeroMQ endpoint", "tcp://");
    assertUsage(CliRunner.run("call", "--broker", "tcp://127.0.0.1", "echo",
        "google.protobuf.StringValue"), "tcp://HOST:PORT");
    assertUsage(CliRunner.run("pub", "--broker", "tcp://127.0.0.1:99999", "a.b",
        "google.protobuf.StringValue", "\"x\""), "port 99999");
  }

  @Test
  void noBrokerIsOneLineNamingTheUrl() throws Exception {
    String nobody;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = "tcp://127.0.0.1:" + s.getLocalPort();
    }
    for (String[] args : new String[][] {
        {"ls"}, {"call", "echo", "google.protobuf.Empty"},
        {"pub", "a.b", "google.protobuf.StringValue", "\"x\""}, {"sub", "a.>"}}) {
      String[] full = java.util.Arrays.copyOf(args, args.length + 4);
      System.arraycopy(new String[] {"--broker", nobody, "--connect-timeout", "300ms"}, 0,
          full, args.length, 4);
      Result r = CliRunner.run(full);
      assertEquals(Main.STATUS_EXIT_BASE + Code.UNAVAILABLE.number(), r.code(), args[0]);
      assertEquals("error: UNAVAILABLE: no broker answering at " + nobody + " within 300 ms",
          r.err().trim(), args[0]);
    }
  }

  @Test
  void aMalformedMetricsAddressIsAUsageError() {
    assertUsage(CliRunner.run("broker", "--bind", "tcp://127.0.0.1:*", "--metrics-bind", "9464"),
        "--metrics-bind takes HOST:PORT");
  }

  @Test
  void zeroAndNegativeDurationsAreUsageErrors() {
    assertUsage(CliRunner.run("call", "--broker", mesh.endpoint(), "--timeout", "0s", "echo",
        "google.protobuf.StringValue"), "'0s' is not a positive duration");
    assertUsage(CliRunner.run("ls", "--broker", mesh.endpoint(), "--timeout", "PT-1S"),
        "not a positive duration");
  }

  @Test
  void theJsonOfCallIsOptional() {
    Result r = CliRunner.run("call", "--broker", mesh.endpoint(), "echo", "google.protobuf.Empty");
    assertEquals(0, r.code(), r.err());
    assertEquals("{ }", r.out().trim());
  }

  @Test
  void lsOfAnUnknownNameSaysSoAndExitsNoWorker() {
    Result r = CliRunner.run("ls", "--broker", mesh.endpoint(), "nobody");
    assertEquals(Main.STATUS_EXIT_BASE + Code.NO_WORKER.number(), r.code(), r.out());
    assertTrue(r.err().contains("no worker named 'nobody' is registered"), r.err());
    assertFalse(r.out().contains("NAME"), "no empty table: " + r.out());
    assertEquals(0, CliRunner.run("ls", "--broker", mesh.endpoint(), "echo").code());
  }

  @Test
  void lsJsonHasNumbersAndPlainStrings() throws Exception {
    Result workers = CliRunner.run("ls", "--broker", mesh.endpoint(), "--json");
    assertEquals(0, workers.code(), workers.err());
    JsonNode w = new ObjectMapper().readTree(workers.out()).get("workers").get(0);
    assertTrue(w.get("pid").isNumber(), workers.out());
    assertTrue(w.get("handled").isNumber(), workers.out());

    Result topics = CliRunner.run("ls", "--broker", mesh.endpoint(), "--topics", "--json");
    assertEquals(0, topics.code(), topics.err());
    assertTrue(topics.out().contains("\"chat.room.>\""), topics.out());
    assertFalse(topics.out().contains("\\u003e"), topics.out());
  }
}
