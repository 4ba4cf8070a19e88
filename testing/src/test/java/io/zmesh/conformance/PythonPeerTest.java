package io.zmesh.conformance;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ErrorStatus;
import io.zmesh.proto.StatusCode;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The peer in a second language, testing/src/test/python/zmesh_peer.py, written from
 * docs/protocol.md alone, against a real broker with the Java SDK on the other side of each
 * exchange. Needs Debian's /usr/bin/python3 with python3-zmq and python3-protobuf, and protoc
 * (protobuf-compiler), which generates the peer's classes from the .proto files into target/.
 * Skipped where they are missing, except in CI (CI=true), where .ci/run installs them.
 */
@Timeout(60)
class PythonPeerTest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final Path SCRIPT = Path.of("src", "test", "python", "zmesh_peer.py");
  private static final Path GENERATED = Path.of("target", "python-peer");
  private static final Duration WAIT = Duration.ofSeconds(20);

  private TestMesh mesh;
  private final List<Process> processes = new ArrayList<>();
  private final List<Path> logs = new ArrayList<>();

  @BeforeAll
  static void generate() throws Exception {
    String missing = missingTools();
    if (missing != null) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI must run the Python peer, but " + missing
            + "; .ci/run installs python3-zmq, python3-protobuf and protobuf-compiler");
      }
      Assumptions.abort("Python peer skipped: " + missing
          + " (apt-get install python3-zmq python3-protobuf protobuf-compiler)");
    }
    Files.createDirectories(GENERATED);
    Path protos = Path.of("..", "proto", "src", "main", "proto");
    run(List.of("protoc", "--proto_path=" + protos, "--proto_path=/usr/include",
        "--python_out=" + GENERATED, "zmesh/v1/mesh.proto", "zmesh/v1/admin.proto"));
  }

  /** Why the peer cannot run here, or null. */
  private static String missingTools() throws InterruptedException {
    if (!new File(PYTHON).canExecute()) {
      return PYTHON + " does not exist";
    }
    try {
      if (exitCode(List.of(PYTHON, "-c", "import zmq, google.protobuf")) != 0) {
        return PYTHON + " lacks the zmq or google.protobuf module";
      }
      if (exitCode(List.of("protoc", "--version")) != 0) {
        return "protoc does not run";
      }
    } catch (IOException e) {
      return "cannot run " + e.getMessage();
    }
    return null;
  }

  private static int exitCode(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("protoc", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "protoc did not finish");
    assertEquals(0, p.exitValue(), () -> "protoc failed: " + read(log));
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }

  @BeforeEach
  void startBroker() {
    mesh = TestMesh.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    mesh.close();
  }

  /** Starts the peer in {@code role}; its output goes to a log the test reads. */
  private Path peer(String role, String... args) throws IOException {
    Path log = Files.createTempFile(GENERATED, role + "-", ".log");
    List<String> command = new ArrayList<>(List.of(PYTHON, SCRIPT.toString(), mesh.endpoint(),
        role));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("PYTHONPATH", GENERATED.toString());
    processes.add(pb.start());
    logs.add(log);
    return log;
  }

  private static void awaitLine(Path log, String line) {
    Await.until("the Python peer prints '" + line + "'", WAIT,
        () -> read(log).lines().anyMatch(l -> l.equals(line)), () -> read(log));
  }

  private Process last() {
    return processes.get(processes.size() - 1);
  }

  private static void awaitExit(Process p, Path log) throws InterruptedException {
    assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), () -> "still running: " + read(log));
    assertEquals(0, p.exitValue(), () -> "the Python peer failed:\n" + read(log));
  }

  @Test
  @Checks({"V-4", "V-5", "PL-2"})
  void pythonWorkerAnswersJavaRequestsAndEveryCancelThenDrains() throws Exception {
    Path log = peer("worker", "pyecho", "py-1");
    awaitLine(log, "connected zmesh/1.0");
    awaitLine(log, "registered pyecho");
    MeshClient client = mesh.client();
    assertEquals("py:hi", client.call("pyecho", StringValue.of("hi"), StringValue.class)
        .getValue());

    // A request the worker holds until its CANCEL: concurrency 1, so the next call succeeds
    // only because the worker answered the CANCEL and got its credit back.
    assertFails(Code.DEADLINE_EXCEEDED, client.request("pyecho", StringValue.of("hold"),
        StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofMillis(300))), WAIT);
    Await.until("the worker answers the CANCEL", WAIT,
        () -> read(log).contains("cancelled "), () -> read(log));
    assertEquals("py:again", client.call("pyecho", StringValue.of("again"), StringValue.class)
        .getValue());
    assertEquals(0, mesh.counter("workers_disconnected_stuck"));

    last().destroy(); // SIGTERM: DRAIN, its answer, DISCONNECT
    awaitExit(last(), log);
    assertTrue(read(log).contains("drained"), read(log));
    Await.until("the instance is gone", WAIT, () -> mesh.activeInstances("pyecho") == 0);
  }

  @Test
  @Checks("ID-4")
  void pythonClientCallsAndCancelsAtAJavaWorker() throws Exception {
    mesh.startWorker("jecho", b -> b.concurrency(2).handle(StringValue.class, (s, ctx) -> {
      if (s.getValue().equals("hold")) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ctx.isCancelled() && System.nanoTime() < end) {
          Thread.sleep(5);
        }
        throw Status.CANCELLED.withDescription("the requester cancelled").asException();
      }
      return StringValue.of("java:" + s.getValue());
    }));
    Path log = peer("client", "jecho");
    awaitExit(last(), log);
    String out = read(log);
    assertTrue(out.contains("reply java:from python\n"), out);
    assertTrue(out.contains("cancel answered CANCELLED\n"), out);
    assertTrue(out.contains("unknown service NO_WORKER\n"), out);
  }

  @Test
  @Checks("ID-4")
  void pythonSubscriberAndPublisherMeetJavaOnes() throws Exception {
    Path sub = peer("subscriber", "py.>", "20");
    awaitLine(sub, "subscribed 524288 67108864");
    Process subscriber = last();
    MeshClient client = mesh.client();
    for (int i = 0; i < 20; i++) {
      client.publish("py.news", StringValue.of("j-" + i));
    }
    awaitExit(subscriber, sub);
    StringBuilder expected = new StringBuilder("messages ");
    for (int i = 0; i < 20; i++) {
      expected.append(i == 0 ? "" : ",").append("j-").append(i);
    }
    assertTrue(read(sub).contains(expected + "\n"), read(sub));

    Queue<String> got = new ConcurrentLinkedQueue<>();
    Subscription s = client.subscribe("java.news", StringValue.class,
        (m, ctx) -> got.add(m.getValue()));
    value(s.ready(), WAIT);
    Path pub = peer("publisher", "java.news", "10");
    awaitExit(last(), pub);
    Await.until("the Java subscriber has the ten", WAIT, () -> got.size() == 10);
    assertEquals("py-0", got.peek());
  }

  @Test
  @Checks("U-3")
  void pythonPeerAcknowledgesWhatItReadsAndSoReadsFarMoreThanTheBound() throws Exception {
    mesh.close();
    mesh = TestMesh.start(TestMesh.options().maxMessageBytes(32 << 10)
        .connectionBudget(1_000, 64 << 10));
    String big = "x".repeat(16 << 10);
    mesh.startWorker("bulk", b -> b.handle(StringValue.class, (s, ctx) -> StringValue.of(big)));
    // Ten times the 64 KiB the broker sends a connection that acknowledges nothing.
    Path log = peer("fetcher", "bulk", "40");
    awaitExit(last(), log);
    assertTrue(read(log).contains("fetched 40 " + 40 * big.length() + "\n"), read(log));
  }

  @Test
  @Checks("E-1")
  void aStatusNumberNoPeerKnowsReadsAsInternal() throws Exception {
    try (RawConnection odd = RawConnection.worker(mesh.endpoint(), "odd", "odd-1", 2)) {
      Path log = peer("status", "odd");
      Envelope first = odd.nextRequest();
      odd.send(RawConnection.error(first.getId(), StatusCode.INTERNAL, "from a later version")
          .toBuilder().setStatus(ErrorStatus.newBuilder().setCodeValue(99)
              .setMessage("from a later version")).build());
      awaitExit(last(), log);
      assertTrue(read(log).contains("status INTERNAL from a later version\n"), read(log));

      CompletableFuture<StringValue> java = mesh.client().request("odd", StringValue.of("?"),
          StringValue.class, CallOptions.DEFAULT);
      Envelope second = odd.nextRequest();
      odd.send(RawConnection.error(second.getId(), StatusCode.INTERNAL, "")
          .toBuilder().setStatus(ErrorStatus.newBuilder().setCodeValue(99)
              .setMessage("from a later version")).build());
      assertFails(Code.INTERNAL, java, WAIT, "from a later version");
    }
  }

  @Test
  @Checks("C-7")
  void pythonPeerFailsItsPendingRequestWhenTheBrokerStops() throws Exception {
    Path log = peer("waiter", "nobody-yet");
    awaitLine(log, "waiting 1");
    long start = System.nanoTime();
    mesh.broker().close();
    awaitExit(last(), log);
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(read(log).contains("request 1 failed: connection ended: the broker is stopping"),
        read(log));
    // Told by the broker, not by its own liveness (200 ms x 5).
    assertTrue(ms < 5_000, "ended " + ms + " ms after the broker stopped");
  }
}
