package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.bench.ReloadBench;
import io.zmesh.bench.proto.ReloadReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Steady load at a 4-instance worker process group under a supervisor while zmesh reload
 * replaces every instance (also with a 3 s start), or while one is killed with SIGKILL. The
 * figures for docs come from {@code zmesh bench reload}, which is this at a larger scale.
 */
@Timeout(240)
class ReloadTest {
  private static final Duration LOAD = Duration.ofSeconds(1);

  @TempDir
  Path dir;

  private ReloadReport run(ReloadBench.Mode mode, int clients, long startMs, long workMs)
      throws Exception {
    ReloadReport r = ReloadBench.run(new ReloadBench.Config(mode, 4, clients, startMs, workMs,
        LOAD, LOAD, dir));
    assertTrue(r.getRequests() > 100, "too little load to show anything: " + r);
    assertEquals(r.getRequests(), r.getReplies() + sum(r.getFailuresMap())
        + sum(r.getIdempotentFailuresMap()), "every request ended once: " + r);
    assertEquals(0, r.getWrongReplies(), r.toString());
    assertTrue(r.getReplaced(), "processes not replaced: " + r);
    return r;
  }

  @Test
  void reloadUnderLoadFailsNoRequest() throws Exception {
    ReloadReport r = run(ReloadBench.Mode.RELOAD, 8, 0, 5);
    assertEquals(Map.of(), r.getFailuresMap(), r.toString());
    assertEquals(r.getRequests(), r.getReplies());
  }

  @Test
  void reloadOfSlowStartingInstancesFailsNoRequest() throws Exception {
    ReloadReport r = run(ReloadBench.Mode.RELOAD, 8, 3_000, 5);
    assertEquals(Map.of(), r.getFailuresMap(), r.toString());
    assertTrue(r.getOperationMs() >= 4 * 3_000, "each replacement started in 3 s: " + r);
  }

  @Test
  void sigkillUnderLoadFailsOnlyInFlightRequestsWithWorkerLost() throws Exception {
    // 100 ms per request keeps requests in flight at every instance when one is killed.
    ReloadReport r = run(ReloadBench.Mode.KILL, 16, 0, 100);
    assertTrue(Set.of("WORKER_LOST").containsAll(r.getFailuresMap().keySet()), r.toString());
    assertTrue(r.getFailuresMap().getOrDefault("WORKER_LOST", 0L) <= 8 * 4,
        "no more than the killed instance held: " + r);
    assertEquals(Map.of(), r.getIdempotentFailuresMap(),
        "idempotent requests go to another instance: " + r);
    // Restarted after restart_delay (100 ms) plus the JVM's start.
    assertTrue(r.getOperationMs() < 30_000, r.toString());
  }

  private static long sum(Map<String, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }
}
