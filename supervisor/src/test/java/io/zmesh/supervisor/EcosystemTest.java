package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EcosystemTest {
  private static final Path FILE = Paths.get("/srv/mesh/mesh.yaml");

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
    Launcher launcher = new Launcher("tcp://b:1", new LogBook(10), (p, spec) -> null);
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
        + "apps:\n  - {name: a, main: A}\n"), "line 2", "broker", "must not exceed");
    assertHas(problems("apps:\n  - name: a\n    main: A\n    cwd: /no/such/dir\n"), "line 4",
        "no such directory");
    assertHas(problems("apps:\n  - name: a\n    command: x\n    classpath: lib\n"), "line 4",
        "goes with 'main' only");
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
