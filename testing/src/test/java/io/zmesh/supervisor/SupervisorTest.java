package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.bench.SupervisedWorkerMain;
import io.zmesh.proto.AppStatus;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.LogLine;
import io.zmesh.proto.LogsReply;
import io.zmesh.proto.LogsRequest;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import io.zmesh.testing.Await;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Restarts, the errored state and memory limits, with worker processes under a supervisor. */
@Timeout(180)
class SupervisorTest {
  private static final Duration START = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  private String app(String name, int instances, String args, String extra) {
    return app(name, instances, args, "-Xmx64m", extra);
  }

  private String app(String name, int instances, String args, String heap, String extra) {
    return "  - name: " + name + "\n"
        + "    main: " + SupervisedWorkerMain.class.getName() + "\n"
        + "    jvm_args: [-XX:TieredStopAtLevel=1, -XX:+UseSerialGC, -Xss512k, " + heap + "]\n"
        + "    args: [" + args + "]\n"
        + "    instances: " + instances + "\n"
        + (extra.contains("ready_timeout") ? "" : "    ready_timeout: 60s\n")
        + "    logs: {out: \"" + dir.resolve("${name}-${instance}.out") + "\", err: \""
        + dir.resolve("${name}-${instance}.err") + "\"}\n"
        + extra;
  }

  private Supervisor start(String apps) throws Exception {
    String yaml = "broker: {bind: \"tcp://127.0.0.1:*\"}\napps:\n" + apps;
    return Supervisor.start(Ecosystem.parse(yaml, dir.resolve("mesh.yaml")));
  }

  private static SupervisorStatus status(MeshClient c) {
    return c.call(Supervisor.STATUS, StatusRequest.getDefaultInstance(), SupervisorStatus.class,
        CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10)));
  }

  private static AppStatus app(MeshClient c, String name) {
    return status(c).getAppsList().stream().filter(a -> a.getName().equals(name)).findFirst()
        .orElseThrow();
  }

  private static String logs(MeshClient c, String app) {
    LogsReply r = c.call(Supervisor.LOGS, LogsRequest.newBuilder().setApp(app).setLines(1000)
        .build(), LogsReply.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10)));
    return r.getLinesList().stream().map(l -> l.getSlot() + " " + l.getStream() + " "
        + l.getText()).collect(Collectors.joining("\n"));
  }

  @Test
  void crashLoopEndsErroredWhileTheOthersServe() throws Exception {
    try (Supervisor s = start(app("steady", 1, "", "")
        + app("crashy", 1, "--exit-after, '0'", "    max_restarts: 2\n"
            + "    restart_delay: 50ms\n    max_restart_delay: 200ms\n"))) {
      Supervisor.Startup up = s.started().get(START.toSeconds(), TimeUnit.SECONDS);
      assertEquals(1, up.online());
      assertEquals(1, up.failed());
      try (MeshClient c = MeshClient.connect(s.endpoints().get(0))) {
        Load load = new Load(c, "steady", 4, false);
        Await.until("crashy errored", START, () -> app(c, "crashy").getStatus().equals("errored"),
            () -> logs(c, "crashy"));
        load.stop();
        assertEquals(Map.of(), load.failures, "steady kept serving");
        assertTrue(load.ok.get() > 0);
        InstanceStatus i = app(c, "crashy").getInstance(0);
        assertEquals("errored", i.getStatus());
        assertEquals(2, i.getRestarts());
        assertEquals("exit code 3", i.getLastExit());
        assertEquals("online", app(c, "steady").getStatus());
        String log = logs(c, "crashy");
        assertTrue(log.contains("errored: 2 restarts within"), log);
        assertTrue(log.contains("err exiting with status 3"), "the instance's own stderr: " + log);
        // Nothing of crashy runs: its requests fail at once instead of waiting.
        MeshException e = Await.failure(c.request("crashy", StringValue.of("x"),
            StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))),
            Duration.ofSeconds(5));
        assertEquals(Code.NO_WORKER, e.code());
      }
    }
  }

  @Test
  void anInstanceOverItsMemoryLimitIsReplacedWithoutAFailedRequest() throws Exception {
    // Each request keeps 256 KiB: an instance passes 160 MiB within a few seconds of load.
    try (Supervisor s = start(app("leaky", 2, "--leak-kb, '256', --work, '10'", "-Xmx400m",
        "    memory_limit: 160MiB\n"))) {
      assertEquals(2, s.started().get(START.toSeconds(), TimeUnit.SECONDS).online());
      try (MeshClient c = MeshClient.connect(s.endpoints().get(0))) {
        Load load = new Load(c, "leaky", 4, false);
        Await.until("an instance replaced for its memory", START, () -> {
          String log = logs(c, "leaky");
          return log.contains("over its memory limit") && app(c, "leaky").getInstanceList()
              .stream().anyMatch(i -> i.getRestarts() >= 1 && i.getStatus().equals("online"));
        }, () -> logs(c, "leaky"));
        Thread.sleep(500); // load goes on across the handover
        load.stop();
        assertEquals(Map.of(), load.failures, logs(c, "leaky"));
        assertTrue(load.ok.get() > 100, "load " + load.ok);
        String log = logs(c, "leaky");
        assertTrue(log.contains("stopping pid") && log.contains("memory limit"), log);
        Await.until("the replaced instance's last lines reach its log", Duration.ofSeconds(10),
            () -> logs(c, "leaky").matches("(?s).*err .*worker 'leaky' \\(.*\\) stopped.*"),
            () -> logs(c, "leaky"));
      }
    }
  }

  @Test
  void anInstanceNotReadyInTimeIsKilledAsAFailedStart() throws Exception {
    try (Supervisor s = start(app("slow", 1, "--start-delay, '60000'", "    ready_timeout: 1500ms\n"
        + "    max_restarts: 1\n    restart_delay: 50ms\n    max_restart_delay: 100ms\n"))) {
      Supervisor.Startup up = s.started().get(START.toSeconds(), TimeUnit.SECONDS);
      assertEquals(0, up.online());
      assertEquals(1, up.failed());
      try (MeshClient c = MeshClient.connect(s.endpoints().get(0))) {
        Await.until("slow errored", START, () -> app(c, "slow").getStatus().equals("errored"),
            () -> logs(c, "slow"));
        InstanceStatus i = app(c, "slow").getInstance(0);
        assertEquals(1, i.getRestarts());
        assertEquals("not ready within 1500 ms", i.getLastExit());
        assertTrue(logs(c, "slow").contains("not ready within 1500 ms: killed, a failed start"));
      }
    }
  }

  @Test
  void pastTheStopTimeoutAnInstanceIsKilledAndItsRequestsGetWorkerLost() throws Exception {
    // Each request takes 30 s, the worker would drain for 60 s: the 1 s stop timeout wins.
    try (Supervisor s = start(app("stuck", 1,
        "--work, '30000', --drain-timeout, '60000', --log-requests, 'true'",
        "    stop_timeout: 1s\n"))) {
      assertEquals(1, s.started().get(START.toSeconds(), TimeUnit.SECONDS).online());
      try (MeshClient c = MeshClient.connect(s.endpoints().get(0))) {
        java.util.concurrent.CompletableFuture<StringValue> held = c.request("stuck",
            StringValue.of("x"), StringValue.class,
            CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(60)));
        Await.until("the instance handles the request", Duration.ofSeconds(20),
            () -> logs(c, "stuck").contains("out handling x"), () -> logs(c, "stuck"));
        long t0 = System.nanoTime();
        c.call(Supervisor.SCALE, io.zmesh.proto.ScaleRequest.newBuilder().setApp("stuck")
            .setInstances(0).build(), io.zmesh.proto.AppReply.class,
            CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30)));
        MeshException e = Await.failure(held, Duration.ofSeconds(20));
        assertEquals(Code.WORKER_LOST, e.code(), e.toString());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "killed at 1 s");
        assertTrue(logs(c, "stuck").contains("killed: still running 1000 ms after SIGTERM"),
            logs(c, "stuck"));
        assertEquals("stopped", app(c, "stuck").getStatus());
      }
    }
  }

  @Test
  void theFilesBrokerSettingsReachTheBroker() throws Exception {
    // An app whose process never registers: its name is held, so requests to it queue.
    String yaml = "broker:\n"
        + "  bind: \"tcp://127.0.0.1:*\"\n"
        + "  memory_budget: 4MiB\n"
        + "  queue_bytes: 8KiB\n"
        + "  max_request_timeout: 30s\n"
        + "apps:\n"
        + "  - name: held\n"
        + "    command: [sleep, '120']\n"
        + "    ready_timeout: 60s\n"
        + "    stop_timeout: 2s\n"
        + "    logs: {out: \"" + dir.resolve("held.out") + "\", err: \""
        + dir.resolve("held.err") + "\"}\n";
    try (Supervisor s = Supervisor.start(Ecosystem.parse(yaml, dir.resolve("mesh.yaml")));
        MeshClient c = MeshClient.connect(s.endpoints().get(0))) {
      assertEquals(4L << 20, s.broker().stats().get(10, TimeUnit.SECONDS)
          .getCountersOrDefault("memory_budget_bytes", 0));
      CallOptions wait = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20));
      java.util.concurrent.CompletableFuture<StringValue> small =
          c.request("held", StringValue.of("x"), StringValue.class, wait);
      // 8 KiB of requests may wait for the name; one more is refused at once.
      MeshException full = Await.failure(c.request("held", StringValue.of("x".repeat(9000)),
          StringValue.class, wait), Duration.ofSeconds(10));
      Await.assertStatus(Code.OVERLOADED, full, "8192 bytes");
      MeshException tooLong = Await.failure(c.request("held", StringValue.of("x"),
          StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(40))),
          Duration.ofSeconds(10));
      Await.assertStatus(Code.INVALID_ARGUMENT, tooLong, "30000");
      assertTrue(!small.isDone(), "the small request still waits for an instance");
      small.cancel(true);
    }
  }

  /** Request loops until stopped; failures counted by code. */
  static final class Load {
    final MeshClient client;
    final String worker;
    final CallOptions options;
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong ok = new AtomicLong();
    final AtomicLong open = new AtomicLong();
    final Map<Code, Long> failures = new ConcurrentHashMap<>();

    Load(MeshClient client, String worker, int loops, boolean idempotent) {
      this.client = client;
      this.worker = worker;
      this.options = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30))
          .withIdempotent(idempotent);
      for (int i = 0; i < loops; i++) {
        next();
      }
    }

    private void next() {
      if (!running.get()) {
        return;
      }
      open.incrementAndGet();
      client.request(worker, StringValue.of("x"), StringValue.class, options)
          .whenComplete((r, e) -> {
            if (e == null) {
              ok.incrementAndGet();
            } else {
              failures.merge(MeshException.statusOf(e).code(), 1L, Long::sum);
            }
            open.decrementAndGet();
            next();
          });
    }

    void stop() {
      running.set(false);
      Await.until("the load's last requests answered", Duration.ofSeconds(40),
          () -> open.get() == 0);
    }
  }

  static String lines(LogsReply r) {
    return r.getLinesList().stream().map(LogLine::getText).collect(Collectors.joining("\n"));
  }
}
