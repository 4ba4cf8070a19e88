package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.CurveKeys;
import io.zmesh.bench.SupervisedWorkerMain;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.CliRunner.Result;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.testing.Await;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code zmesh up} and the commands that talk to a supervisor, as users run them. */
@Timeout(180)
class UpCliTest {
  private static final Duration START = Duration.ofSeconds(90);

  @TempDir
  Path dir;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** An ecosystem file with one app of {@code instances} test workers. */
  static Path meshFile(Path dir, String endpoint, int instances) throws IOException {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, "broker:\n  bind: \"" + endpoint + "\"\n"
        + "apps:\n"
        + "  - name: echo\n"
        + "    main: " + SupervisedWorkerMain.class.getName() + "\n"
        + "    jvm_args: [-XX:TieredStopAtLevel=1, -XX:+UseSerialGC, -Xmx64m, -Xss512k]\n"
        + "    instances: " + instances + "\n"
        + "    ready_timeout: 60s\n", StandardCharsets.UTF_8);
    return file;
  }

  static SupervisorStatus status(String endpoint) {
    try (MeshClient c = MeshClient.connect(endpoint)) {
      return c.call(Supervisor.STATUS, StatusRequest.getDefaultInstance(),
          SupervisorStatus.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5)));
    }
  }

  static List<Long> onlinePids(String endpoint) {
    List<Long> pids = new ArrayList<>();
    try {
      for (InstanceStatus i : status(endpoint).getApps(0).getInstanceList()) {
        if (i.getStatus().equals("online")) {
          pids.add(i.getPid());
        }
      }
    } catch (RuntimeException notYet) {
      // the broker is not up yet
    }
    return pids;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void aBrokenFileStartsNothingAndNamesEachMistake() throws IOException {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, "apps:\n  - name: a\n    instances: two\n  - name: b\n    main: B\n"
        + "    colour: red\n");
    Result r = CliRunner.run("up", file.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("line 2: apps[0]: how to start the app is missing"), r.err());
    assertTrue(r.err().contains("line 3: apps[0].instances"), r.err());
    assertTrue(r.err().contains("line 6: apps[1].colour: unknown field"), r.err());
    assertTrue(r.err().contains("nothing was started"), r.err());
    Result missing = CliRunner.run("up", dir.resolve("none.yaml").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("no ecosystem file"), missing.err());
  }

  @Test
  void commandsSayWhenNoSupervisorRuns() throws IOException {
    String nothing = "tcp://127.0.0.1:" + freePort();
    Result r = CliRunner.run("reload", "echo", "--broker", nothing);
    assertEquals(Main.STATUS_EXIT_BASE + 9, r.code(), r.err());
    assertTrue(r.err().contains("no supervisor is running: nothing answers at " + nothing),
        r.err());
    try (Broker plain = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build())) {
      for (String[] args : List.of(new String[] {"down"}, new String[] {"logs"},
          new String[] {"scale", "echo", "2"}, new String[] {"top", "--count", "1"})) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--broker", plain.endpoint()));
        Result p = CliRunner.run(all.toArray(new String[0]));
        assertEquals(Main.STATUS_EXIT_BASE + 1, p.code(), all + ": " + p.err());
        assertTrue(p.err().contains("not started by 'zmesh up'"), p.err());
      }
      Result ls = CliRunner.run("ls", "--broker", plain.endpoint());
      assertEquals(0, ls.code(), "ls still lists a plain broker's workers: " + ls.err());
      assertTrue(ls.out().contains("no workers registered"), ls.out());
    }
  }

  @Test
  void detachedSupervisorAnswersLsLogsScaleAndDown() throws Exception {
    String endpoint = "tcp://127.0.0.1:" + freePort();
    Path file = meshFile(dir, endpoint, 1);
    Path pidFile = dir.resolve("zmesh.pid");
    long pid = 0;
    try {
      Result up = CliRunner.run("up", file.toString(), "--detach");
      assertEquals(0, up.code(), up.out() + up.err());
      assertTrue(up.out().contains("1 instances online"), up.out());
      pid = Long.parseLong(Files.readString(pidFile).trim());
      assertTrue(alive(pid));
      Result again = CliRunner.run("up", file.toString(), "--detach");
      assertEquals(1, again.code());
      assertTrue(again.err().contains("already runs as pid " + pid), again.err());

      Result ls = CliRunner.run("ls", "--broker", endpoint);
      assertEquals(0, ls.code(), ls.err());
      assertTrue(ls.out().matches("(?s).*echo\\s+0\\s+\\d+\\s+online\\s+0.*"), ls.out());
      try (Worker extra = Worker.builder().name("extra").broker(endpoint)
          .closeOnShutdown(false).handle(StringValue.class, (s, ctx) -> s).build().start()) {
        Result both = CliRunner.run("ls", "--broker", endpoint);
        assertTrue(both.out().contains("registered but not supervised: extra/"
            + extra.instanceId()), both.out());
        Result json = CliRunner.run("ls", "--json", "--broker", endpoint);
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().matches("(?s).*\"status\"\\s*:\\s*\"online\".*"), json.out());
      }
      Result scale = CliRunner.run("scale", "echo", "2", "--broker", endpoint);
      assertEquals(0, scale.code(), scale.err());
      assertTrue(scale.out().contains("scaled to 2 instances"), scale.out());
      assertTrue(scale.out().contains("echo online 2/2"), scale.out());
      Result logs = CliRunner.run("logs", "echo", "--lines", "100", "--broker", endpoint);
      assertEquals(0, logs.code(), logs.err());
      assertTrue(logs.out().contains("echo-1 zmesh | started pid"), logs.out());
      assertTrue(logs.out().contains("echo-0 out | worker echo ready as"), logs.out());
      List<Long> children = onlinePids(endpoint);
      assertEquals(2, children.size());

      Result down = CliRunner.run("down", "--broker", endpoint);
      assertEquals(0, down.code(), down.err());
      assertTrue(down.out().contains("stopped 2 instances"), down.out());
      long supervisor = pid;
      Await.until("the supervisor exits", Duration.ofSeconds(20), () -> !alive(supervisor));
      for (long child : children) {
        assertFalse(alive(child), "instance " + child + " outlived the supervisor");
      }
      Await.until("the pid file is removed", Duration.ofSeconds(5), () -> !Files.exists(pidFile));
      String log = Files.readString(dir.resolve("logs/zmesh.log"));
      assertTrue(log.contains("stopped (exit code 143 after SIGTERM)"), log);
    } finally {
      if (pid != 0) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void instancesDieWithASupervisorKilledBySigkillAndDrainOnSigterm() throws Exception {
    for (boolean sigkill : new boolean[] {true, false}) {
      String endpoint = "tcp://127.0.0.1:" + freePort();
      Path sub = Files.createDirectories(dir.resolve(sigkill ? "kill" : "term"));
      Path file = meshFile(sub, endpoint, 2);
      Path out = sub.resolve("up.out");
      Process up = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java")
          .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName(), "up",
          file.toString())
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      try {
        Await.until("2 instances online", START, () -> onlinePids(endpoint).size() == 2,
            () -> read(out));
        List<Long> children = onlinePids(endpoint);
        if (sigkill) {
          up.destroyForcibly();
        } else {
          up.destroy();
        }
        assertTrue(up.waitFor(60, TimeUnit.SECONDS));
        for (long child : children) {
          Await.until("instance " + child + " exits with the supervisor",
              Duration.ofSeconds(10), () -> !alive(child));
        }
        if (!sigkill) {
          String log = read(out);
          assertTrue(log.contains("stopping pid " + children.get(0)
              + ": the supervisor is stopping"), log);
          assertTrue(log.contains("stopped (exit code 143 after SIGTERM)"), log);
          assertTrue(log.contains("zmesh up: stopped"), log);
        }
      } finally {
        Optional.of(up).filter(Process::isAlive).ifPresent(Process::destroyForcibly);
      }
    }
  }

  @Test
  void underCurveTheCommandsTakeTheOperatorsKey() throws Exception {
    Path keys = dir.resolve("keys");
    for (String name : List.of("broker", "ops", "viewer")) {
      assertEquals(0, CliRunner.run("keygen", "--dir", keys.toString(), name).code());
    }
    Files.writeString(keys.resolve("allow.txtpb"), "key { name: \"ops\" public_key: \""
        + CurveKeys.publicKey(keys.resolve("ops.key").toString()) + "\" admin: \"write\" }\n"
        + "key { name: \"viewer\" public_key: \""
        + CurveKeys.publicKey(keys.resolve("viewer.key").toString()) + "\" admin: \"read\" }\n");
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, "broker:\n  bind: \"tcp://127.0.0.1:*\"\n"
        + "  curve_key: keys/broker.key_secret\n  allow: keys/allow.txtpb\n"
        + "apps:\n  - name: idle\n    command: [sleep, '120']\n    wait_ready: false\n"
        + "    stop_timeout: 2s\n");
    try (Supervisor s = Supervisor.start(io.zmesh.supervisor.Ecosystem.load(file))) {
      assertEquals(1, s.started().get(START.toSeconds(), TimeUnit.SECONDS).online());
      String endpoint = s.endpoints().get(0);
      String brokerKey = keys.resolve("broker.key").toString();
      Result ls = CliRunner.run("ls", "--broker", endpoint, "--broker-key", brokerKey,
          "--key", keys.resolve("viewer.key_secret").toString());
      assertEquals(0, ls.code(), ls.err());
      assertTrue(ls.out().matches("(?s).*idle\\s+0\\s+\\d+\\s+online.*"), ls.out());
      Result denied = CliRunner.run("reload", "idle", "--broker", endpoint,
          "--broker-key", brokerKey, "--key", keys.resolve("viewer.key_secret").toString());
      assertEquals(Main.STATUS_EXIT_BASE + Code.PERMISSION_DENIED.number(), denied.code(),
          denied.err());
      assertTrue(denied.err().contains("key 'viewer' may not"), denied.err());
      Result reload = CliRunner.run("reload", "idle", "--broker", endpoint,
          "--broker-key", brokerKey, "--key", keys.resolve("ops.key_secret").toString());
      assertEquals(0, reload.code(), reload.err());
      Result plain = CliRunner.run("reload", "idle", "--broker", endpoint,
          "--connect-timeout", "500ms");
      assertEquals(Main.STATUS_EXIT_BASE + Code.UNAVAILABLE.number(), plain.code(), plain.err());
      assertTrue(plain.err().contains("a broker with CURVE answers only clients with its key"),
          plain.err());
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
