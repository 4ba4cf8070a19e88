package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {
  private static final long MS = 1_000_000L;

  private static AppSpec spec(String extra) throws Exception {
    return Ecosystem.parse("apps:\n  - name: a\n    main: A\n" + extra, Paths.get("m.yaml"))
        .apps().get(0);
  }

  @Test
  void backoffDoublesUpToItsMaximumAndStartsOverAfterMinUptime() throws Exception {
    RestartPolicy p = new RestartPolicy(spec("    restart_delay: 100ms\n"
        + "    max_restart_delay: 400ms\n    min_uptime: 1s\n    max_restarts: 100\n"));
    long[] steps = {100, 200, 400, 400};
    long now = 0;
    for (long step : steps) {
      long d = p.onExit(now += 10 * MS, 0);
      assertTrue(d >= step * MS / 2 && d <= step * MS, step + " ms step gave " + d / MS);
    }
    long d = p.onExit(now + 10 * MS, 2_000 * MS); // it had stayed up: back to the first step
    assertTrue(d <= 100 * MS, "after a long uptime " + d / MS);
  }

  @Test
  void tooManyRestartsWithinTheWindowIsErrored() throws Exception {
    RestartPolicy p = new RestartPolicy(spec("    max_restarts: 3\n    restart_window: 10s\n"));
    long now = 0;
    for (int i = 0; i < 3; i++) {
      assertTrue(p.onExit(now += MS, 0) >= 0);
    }
    assertEquals(RestartPolicy.ERRORED, p.onExit(now + MS, 0));
  }

  @Test
  void restartsOutsideTheWindowDoNotCount() throws Exception {
    RestartPolicy p = new RestartPolicy(spec("    max_restarts: 2\n    restart_window: 1s\n"));
    assertTrue(p.onExit(0, 0) >= 0);
    assertTrue(p.onExit(100 * MS, 0) >= 0);
    assertTrue(p.onExit(1_500 * MS, 0) >= 0, "both fell out of the window");
    assertTrue(p.onExit(1_600 * MS, 0) >= 0);
    assertEquals(RestartPolicy.ERRORED, p.onExit(1_700 * MS, 0));
    p.reset();
    assertTrue(p.onExit(1_800 * MS, 0) >= 0, "a restart by hand starts the count over");
  }

  @Test
  void noAutorestartMeansStopped() throws Exception {
    assertEquals(RestartPolicy.STOPPED,
        new RestartPolicy(spec("    autorestart: false\n")).onExit(0, 0));
  }
}
