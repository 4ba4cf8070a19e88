package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.supervisor.Ecosystem;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.testing.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zmesh top} in a real pseudo-terminal: tmux runs it in a detached pane of a server of
 * the test's own; the test reads the screen with capture-pane and quits with the q key.
 */
@Timeout(150)
class TopTmuxTest {
  private static final String TMUX = "/usr/bin/tmux";

  @TempDir
  Path dir;

  private final String socket = "zmesh-top-" + ProcessHandle.current().pid();

  private String tmux(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(TMUX, "-L", socket));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("tmux " + List.of(args) + " hung");
    }
    return p.exitValue() == 0 ? out : null;
  }

  private String screen() {
    try {
      String s = tmux("capture-pane", "-p", "-t", "top");
      return s != null ? s : "<no pane; sessions: " + tmux("list-sessions") + ">";
    } catch (IOException | InterruptedException e) {
      return e.toString();
    }
  }

  @Test
  void topShowsEveryInstanceLiveAndQuitsOnQ() throws Exception {
    assertTrue(Files.isExecutable(Paths.get(TMUX)), "tmux is installed by .ci/run");
    String endpoint = "tcp://127.0.0.1:" + UpCliTest.freePort();
    Path file = UpCliTest.meshFile(dir, endpoint, 2);
    try (Supervisor supervisor = Supervisor.start(Ecosystem.load(file))) {
      assertEquals(2, supervisor.started().get(90, TimeUnit.SECONDS).online());
      String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
      String command = java + " -cp '" + System.getProperty("java.class.path") + "' "
          + Main.class.getName() + " top --broker " + endpoint + "; echo top exited $?; sleep 30";
      try {
        assertTrue(tmux("new-session", "-d", "-s", "top", "-x", "150", "-y", "30",
            command) != null, "tmux could not start a session");
        Await.until("top shows both instances online", Duration.ofSeconds(60), () -> {
          String s = screen();
          return s.contains("zmesh top") && s.contains("(q quits)")
              && s.matches("(?s).*echo\\s+0\\s+\\d+\\s+online.*")
              && s.matches("(?s).*echo\\s+1\\s+\\d+\\s+online.*")
              && s.contains("REQ/S") && s.contains("echo online 2/2");
        }, this::screen);
        String first = screen();
        Await.until("top refreshes each second", Duration.ofSeconds(20),
            () -> !screen().lines().findFirst().orElse("").equals(
                first.lines().findFirst().orElse("")), this::screen);
        tmux("send-keys", "-t", "top", "q");
        // After q the pane's shell runs `sleep`: top has left its alternate screen.
        Await.until("q quits top", Duration.ofSeconds(20), () -> !screen().contains("REQ/S"),
            this::screen);
      } finally {
        tmux("kill-server");
      }
    }
  }
}
