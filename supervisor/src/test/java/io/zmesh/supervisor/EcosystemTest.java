package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.CurveKeys;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.broker.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EcosystemTest {
  private static final Path FILE = Paths.get("/srv/mesh/mesh.yaml");
  private static final String APPS = "apps:\n  - {name: a, main: A}\n";

  @TempDir
  Path dir;

  private static List<String> problems(String yaml) {
    return assertThrows(EcosystemException.class, () -> Ecosystem.parse(yaml, FILE)).problems();
  }

  private static void assertHas(List<String> problems, String... parts) {
    for (String p : problems) {
      boolean all = true;
      for (String part : parts) {
        all &= p.contains(part);
      }
      if (all) {
        return;
      }
    }
    throw new AssertionError("no problem with " + List.of(parts) + " in " + problems);
  }

  @Test
  void readsEveryField() throws Exception {
    Ecosystem eco = Ecosystem.parse(String.join("\n",
        "broker:",
        "  bind: [tcp://127.0.0.1:6000, tcp://127.0.0.1:6001]",
        "  heartbeat: 500ms",
        "  liveness: 4",
        "  policy: round-robin",
        "supervisor:",
        "  pid_file: run/z.pid",
        "apps:",
        "  - name: chat",
        "    main: io.example.Chat",
        "    classpath: [lib/*, classes]",
        "    jvm_args: [-Xmx64m]",
        "    args: [--broker, '${broker}', --n, '${instance}']",
        "    env: {MODE: fast, EMPTY: }",
        "    instances: 4",
        "    ready_timeout: 20s",
        "    stop_timeout: 1m",
        "    autorestart: true",
        "    max_restarts: 3",
        "    restart_window: 30s",
        "    min_uptime: 2s",
        "    restart_delay: 200ms",
        "    max_restart_delay: 5s",
        "    memory_limit: 256MiB",
        "    logs: {out: 'out/${name}.log', max_size: 1MiB, keep: 2}",
        "  - name: tool",
        "    command: python3 tool.py",
        "    worker: tools",
        "    wait_ready: false",
        "    autorestart: no",
        ""), FILE);
    assertEquals(List.of("chat", "tool"), eco.appNames());
    assertEquals(List.of("tcp://127.0.0.1:6000", "tcp://127.0.0.1:6001"), eco.binds());
    assertEquals(Paths.get("/srv/mesh/run/z.pid"), eco.pidFile());
    AppSpec chat = eco.apps().get(0);
    assertEquals(AppSpec.Kind.MAIN, chat.kind);
    assertEquals(List.of("/srv/mesh/lib/*", "/srv/mesh/classes"), chat.classpath);
    assertEquals(4, chat.instances);
    assertEquals(Duration.ofSeconds(20), chat.readyTimeout);
    assertEquals(Duration.ofMinutes(1), chat.stopTimeout);
    assertEquals(3, chat.maxRestarts);
    assertEquals(256L << 20, chat.memoryLimit);
    assertEquals("/srv/mesh/out/${name}.log", chat.outFile);
    assertEquals(1L << 20, chat.logMaxSize);
    assertEquals(2, chat.logKeep);
    assertEquals("fast", chat.env.get("MODE"));
    assertEquals("", chat.env.get("EMPTY"));
    Launcher launcher = new Launcher("tcp://b:1", null, new LogBook(10), (p, spec) -> null);
    List<String> cmd = launcher.command(chat, 2);
    assertTrue(cmd.containsAll(List.of("-Xmx64m", "-cp", "/srv/mesh/lib/*:/srv/mesh/classes",
        "io.example.Chat", "--broker", "tcp://b:1", "--n", "2")), cmd.toString());
    AppSpec tool = eco.apps().get(1);
    assertEquals(List.of("python3", "tool.py"), launcher.command(tool, 0));
    assertEquals("tools", tool.worker);
    assertEquals(false, tool.waitReady);
    assertEquals(false, tool.autorestart);
    assertEquals(1, tool.instances);
    assertEquals(Ecosystem.DEFAULT_READY_TIMEOUT, tool.readyTimeout);
  }

  @Test
  void everyMistakeIsReportedWithItsLineAndField() {
    List<String> p = problems(String.join("\n",
        "brokr: {}",                                // 1
        "apps:",                                    // 2
        "  - name: chat",                           // 3
        "    main: io.example.Chat",                // 4
        "    instances: four",                      // 5
        "    ready_timeout: soon",                  // 6
        "    autorestart: sometimes",               // 7
        "    memory_limt: 1G",                      // 8
        "  - name: db",                             // 9
        "    args: [--x]",                          // 10
        "  - name: both",                           // 11
        "    jar: a.jar",                           // 12
        "    command: run",                         // 13
        "  - name: chat",                           // 14
        "    command: [x, '${nope}']",              // 15
        "    max_restarts: -1",                     // 16
        ""));
    assertHas(p, "line 1:", "brokr", "unknown field", "did you mean 'broker'");
    assertHas(p, "line 5:", "apps[0].instances", "whole number or 'max'", "four");
    assertHas(p, "line 6:", "apps[0].ready_timeout", "duration", "soon");
    assertHas(p, "line 7:", "apps[0].autorestart", "true or false");
    assertHas(p, "line 8:", "apps[0].memory_limt", "did you mean 'memory_limit'");
    assertHas(p, "line 9:", "apps[1]", "one of 'main'", "'jar' or 'command'");
    assertHas(p, "line 13:", "apps[2].command", "only one of");
    assertHas(p, "line 14:", "apps[3].name", "two apps are named 'chat'");
    assertHas(p, "line 15:", "apps[3].command", "${nope}");
    assertHas(p, "line 16:", "apps[3].max_restarts", "from 0");
    assertEquals(10, p.size(), p.toString());
  }

  @Test
  void brokenYamlAndEmptyFilesSayWhere() {
    assertHas(problems("apps:\n  - name: [unclosed\n"), "line 3", "not valid YAML");
    assertHas(problems(""), "line 1", "empty");
    assertHas(problems("- a\n- b\n"), "line 1", "expected a mapping");
    assertHas(problems("broker: {}\n"), "'apps' is missing");
    assertHas(problems("apps:\n  - name: zmesh.x\n    main: A\n"), "line 2", "reserved");
    assertHas(problems("apps:\n  - name: a\n    main: A\n    name: b\n"), "line 4", "twice");
    assertHas(problems("broker:\n  liveness: 0\napps:\n  - {name: a, main: A}\n"),
        "line 2", "broker.liveness", "from 1");
    assertHas(problems("broker:\n  policy: random\napps:\n  - {name: a, main: A}\n"),
        "line 2", "broker.policy");
    assertHas(problems("broker:\n  subscription_budget: 20\n  connection_budget: 10\n"
        + "apps:\n  - {name: a, main: A}\n"), "line 3", "broker.connection_budget",
        "must not exceed");
    assertHas(problems("apps:\n  - name: a\n    main: A\n    cwd: /no/such/dir\n"), "line 4",
        "no such directory");
    assertHas(problems("apps:\n  - name: a\n    command: x\n    classpath: lib\n"), "line 4",
        "goes with 'main' only");
  }

  /** Keys and an allow-list under {@code dir/keys}; the broker's pair. */
  private CurveKeys.Pair keys() throws Exception {
    CurveKeys.Pair broker = CurveKeys.generate();
    CurveKeys.write(broker, dir.resolve("keys/broker.key"), "broker");
    CurveKeys.write(CurveKeys.generate(), dir.resolve("keys/a.key"), "a");
    Files.writeString(dir.resolve("keys/allow.txtpb"), "key { name: \"a\" public_key: \""
        + CurveKeys.publicKey(dir.resolve("keys/a.key").toString()) + "\" register: \"a\" }\n");
    return broker;
  }

  @Test
  void readsEveryBrokerFieldAsZmeshBrokerTakesIt() throws Exception {
    CurveKeys.Pair broker = keys();
    Ecosystem eco = Ecosystem.parse(String.join("\n",
        "broker:",
        "  bind: tcp://127.0.0.1:6000",
        "  heartbeat: 500ms",
        "  liveness: 4",
        "  max_message_bytes: 256k",
        "  queue_limit: 50",
        "  queue_bytes: 4MiB",
        "  connection_requests: 500",
        "  max_connections: 64",
        "  max_worker_names: 32",
        "  memory_budget: 256MiB",
        "  registration_window: 0",
        "  request_timeout: 5s",
        "  max_request_timeout: 2m",
        "  cancel_grace: 1500ms",
        "  policy: round-robin",
        "  policy_for: {db: least-outstanding}",
        "  connection_budget: 2000",
        "  connection_budget_bytes: 8MiB",
        "  subscription_budget: 100",
        "  publish_window: 1000",
        "  publish_window_bytes: 512k",
        "  slow_subscriber_timeout: 250ms",
        "  curve_key: keys/broker.key_secret",
        "  allow: keys/allow.txtpb",
        "  require_curve: true",
        "apps:",
        "  - name: a",
        "    main: A",
        "    env: {ZMESH_KEY: keys/a.key_secret}",
        ""), dir.resolve("mesh.yaml"));
    BrokerOptions o = eco.brokerOptions().build();
    assertEquals(List.of("tcp://127.0.0.1:6000"), o.binds());
    assertEquals(Duration.ofMillis(500), o.heartbeatInterval());
    assertEquals(4, o.liveness());
    assertEquals(256 << 10, o.maxMessageBytes());
    assertEquals(50, o.queueLimit());
    assertEquals(4L << 20, o.queueBytes());
    assertEquals(500, o.connectionRequests());
    assertEquals(64, o.maxConnections());
    assertEquals(32, o.maxWorkerNames());
    assertEquals(256L << 20, o.memoryBudget());
    assertEquals(Duration.ZERO, o.registrationWindow());
    assertEquals(Duration.ofSeconds(5), o.defaultRequestTimeout());
    assertEquals(Duration.ofMinutes(2), o.maxRequestTimeout());
    assertEquals(Duration.ofMillis(1500), o.cancelGrace());
    assertEquals(Policy.ROUND_ROBIN, o.policy());
    assertEquals(Policy.LEAST_OUTSTANDING, o.policyFor("db"));
    assertEquals(2000, o.connectionBudgetMessages());
    assertEquals(8L << 20, o.connectionBudgetBytes());
    assertEquals(100, o.subscriptionBudgetMessages());
    // As zmesh broker: the half not given follows the lower connection budget.
    assertEquals(8L << 20, o.subscriptionBudgetBytes());
    assertEquals(1000, o.publishWindowMessages());
    assertEquals(512L << 10, o.publishWindowBytes());
    assertEquals(Duration.ofMillis(250), o.slowSubscriberTimeout());
    assertEquals(broker, o.curveKeys(), "read from the file's directory");
    assertEquals(dir.resolve("keys/allow.txtpb"), o.allowList());
    assertTrue(o.requireCurve());
  }

  @Test
  void brokerFieldsNotGivenHaveZmeshBrokersDefaults() throws Exception {
    BrokerOptions o = Ecosystem.parse(APPS, FILE).brokerOptions().build();
    BrokerOptions d = BrokerOptions.defaults();
    assertEquals(d.binds(), o.binds());
    assertEquals(d.queueBytes(), o.queueBytes());
    assertEquals(d.connectionRequests(), o.connectionRequests());
    assertEquals(d.maxConnections(), o.maxConnections());
    assertEquals(d.maxWorkerNames(), o.maxWorkerNames());
    assertEquals(d.memoryBudget(), o.memoryBudget());
    assertEquals(d.registrationWindow(), o.registrationWindow());
    assertEquals(d.maxRequestTimeout(), o.maxRequestTimeout());
    assertEquals(d.cancelGrace(), o.cancelGrace());
    assertEquals(d.publishWindowMessages(), o.publishWindowMessages());
    assertEquals(d.publishWindowBytes(), o.publishWindowBytes());
    assertEquals(d.slowSubscriberTimeout(), o.slowSubscriberTimeout());
    assertEquals(null, o.curveKeys());
    assertEquals(false, o.requireCurve());
    // memory_budget 0 is the default, as --memory-budget 0.
    assertEquals(d.memoryBudget(), Ecosystem.parse("broker: {memory_budget: 0}\n" + APPS, FILE)
        .brokerOptions().build().memoryBudget());
  }

  @Test
  void aBadBrokerValueOfEachKindIsReportedWithItsFieldAndLine() {
    List<String> p = problems(String.join("\n",
        "broker:",                                  // 1
        "  queue_bytes: lots",                      // 2
        "  memory_budget: 1000",                    // 3
        "  max_connections: 0",                     // 4
        "  max_worker_names: many",                 // 5
        "  cancel_grace: soon",                     // 6
        "  slow_subscriber_timeout: 2h",            // 7
        "  registration_window: -1s",               // 8
        "  publish_window: 0",                      // 9
        "  require_curve: maybe",                   // 10
        "  connection_requests: 99999999999999",    // 11
        "  publish_window_bytes: 100",              // 12
        "  queue_limt: 5",                          // 13
        "  max_request_timeout: 99999999999999999h", // 14
        "  subscription_budget_bytes: 99999999999G", // 15
        APPS));
    assertHas(p, "line 2:", "broker.queue_bytes", "expected a size", "lots");
    assertHas(p, "line 3:", "broker.memory_budget", "memory budget must be at least 1048576");
    assertHas(p, "line 4:", "broker.max_connections", "connection limit must be at least 1");
    assertHas(p, "line 5:", "broker.max_worker_names", "expected a whole number", "many");
    assertHas(p, "line 6:", "broker.cancel_grace", "expected a duration", "soon");
    assertHas(p, "line 7:", "broker.slow_subscriber_timeout", "1 to 3600000 ms");
    assertHas(p, "line 8:", "broker.registration_window", "expected a duration", "-1s");
    assertHas(p, "line 9:", "broker.publish_window", "from 1");
    assertHas(p, "line 10:", "broker.require_curve", "true or false");
    assertHas(p, "line 11:", "broker.connection_requests", "must be from", "99999999999999");
    assertHas(p, "line 12:", "broker.publish_window_bytes", "at least 1024 bytes");
    assertHas(p, "line 13:", "broker.queue_limt", "did you mean 'queue_limit'");
    assertHas(p, "line 14:", "broker.max_request_timeout", "too large");
    assertHas(p, "line 15:", "broker.subscription_budget_bytes", "too large");
    assertTrue(p.stream().allMatch(x -> x.startsWith("line ")), p.toString());
  }

  @Test
  void settingsThatDoNotFitTogetherAreReportedAtTheLaterField() {
    assertHas(problems("broker:\n  request_timeout: 20s\n  max_request_timeout: 10s\n" + APPS),
        "line 3:", "broker.max_request_timeout", "must not exceed the maximum");
    assertHas(problems("broker:\n  connection_budget_bytes: 1MiB\n  max_message_bytes: 2MiB\n"
        + APPS), "line 3:", "broker.max_message_bytes", "cannot hold a message");
    // The one field that breaks the defaults is named, wherever it is.
    assertHas(problems("broker:\n  connection_budget_bytes: 64k\n  max_message_bytes: 1MiB\n"
        + APPS), "line 2:", "broker.connection_budget_bytes", "cannot hold a message");
    assertHas(problems("broker:\n  subscription_budget: 0\n  connection_budget_bytes: lots\n"
        + APPS), "line 3:", "broker.connection_budget_bytes", "expected a size");
    // Fields that fit only together are no problem in either order.
    assertEquals(100L << 20, assertDoesNotThrowParse("broker:\n"
        + "  subscription_budget_bytes: 100MiB\n  connection_budget_bytes: 200MiB\n" + APPS)
        .subscriptionBudgetBytes());
  }

  private static BrokerOptions assertDoesNotThrowParse(String yaml) {
    try {
      return Ecosystem.parse(yaml, FILE).brokerOptions().build();
    } catch (EcosystemException e) {
      throw new AssertionError(e.problems().toString(), e);
    }
  }

  @Test
  void curveFilesAreCheckedWhenTheFileIsRead() throws Exception {
    keys();
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(dir.resolve("keys/bad.txtpb"), "key { name: \"x\" public_key: \"short\" }\n");
    List<String> p = assertThrows(EcosystemException.class, () -> Ecosystem.parse(String.join(
        "\n",
        "broker:",
        "  curve_key: keys/broker.key",                 // 2: the public half
        "  allow: keys/bad.txtpb",                      // 3
        "apps:",
        "  - name: a",
        "    main: A",
        "    env: {ZMESH_KEY: keys/none.key_secret}",  // 7
        ""), file)).problems();
    assertHas(p, "line 2:", "broker.curve_key", "holds no secret key");
    assertHas(p, "line 3:", "broker.allow", "allow-list", "bad.txtpb", "not a CURVE key");
    assertHas(p, "line 7:", "apps[0].env.ZMESH_KEY", "cannot read key file", "none.key_secret");
    assertEquals(3, p.size(), p.toString());
    assertHas(assertThrows(EcosystemException.class, () -> Ecosystem.parse(
        "broker:\n  curve_key: keys/missing.key_secret\n  allow: keys/allow.txtpb\n" + APPS,
        file)).problems(), "line 2:", "broker.curve_key", "cannot read key file");
    assertHas(assertThrows(EcosystemException.class, () -> Ecosystem.parse(
        "broker:\n  curve_key: keys/broker.key_secret\n" + APPS, file)).problems(),
        "line 2:", "broker.curve_key", "needs 'allow'");
    assertHas(assertThrows(EcosystemException.class, () -> Ecosystem.parse(
        "broker:\n  allow: keys/allow.txtpb\n" + APPS, file)).problems(),
        "line 2:", "broker.allow", "needs 'curve_key'");
    assertHas(assertThrows(EcosystemException.class, () -> Ecosystem.parse(
        "broker:\n  bind: tcp://0.0.0.0:5555\n  require_curve: true\n" + APPS, file))
        .problems(), "line 3:", "broker.require_curve", "CURVE is required");
    // A key per instance is read when the instance starts.
    Ecosystem.parse("apps:\n  - {name: a, main: A, env: {ZMESH_KEY: 'k/${instance}.key_secret'}}\n",
        file);
  }

  @Test
  void maxInstancesIsTheNumberOfProcessors() throws Exception {
    Ecosystem eco = Ecosystem.parse("apps:\n  - {name: a, main: A, instances: max}\n", FILE);
    assertEquals(Runtime.getRuntime().availableProcessors(), eco.apps().get(0).instances);
  }

  @Test
  void theSamplesFileIsValid() throws Exception {
    Path samples = Paths.get("..", "samples", "mesh.yaml");
    Ecosystem eco = Ecosystem.load(samples);
    assertEquals(List.of("db", "chat", "receive"), eco.appNames());
    assertEquals(4, eco.apps().get(1).instances);
    assertEquals("io.zmesh.samples.chat.ChatWorker", eco.apps().get(1).command.get(0));
  }
}
