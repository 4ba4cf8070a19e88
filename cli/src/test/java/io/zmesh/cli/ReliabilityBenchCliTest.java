package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.cli.CliRunner.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Short versions of the reliability experiments of docs/reliability.md, with real processes:
 * the full ones (30 s of chaos, a million frames) are commands run on a quiet machine.
 */
class ReliabilityBenchCliTest {

  @Test
  @Timeout(120)
  void chaosResolvesEveryRequestOnce() {
    Result r = CliRunner.run("bench", "chaos", "--duration", "4s", "--in-flight", "16");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("unresolved 0, twice 0), past deadline 0"), r.out());
    assertFalse(r.out().contains("idempotent WORKER_LOST"), r.out());
    assertTrue(r.out().contains("PASSED"), r.out());
  }

  @Test
  @Timeout(120)
  void requestsMadeDuringABrokerOutageSucceed() {
    Result r = CliRunner.run("bench", "restart", "--after", "1s", "--rate", "100");
    assertEquals(0, r.code(), r.out() + r.err());
    String during = r.out().substring(r.out().indexOf("during the outage:"),
        r.out().indexOf("after the restart:"));
    assertTrue(during.contains("unresolved 0"), r.out());
    assertFalse(during.matches("(?s).*(UNAVAILABLE|DEADLINE|NO_WORKER).*"), r.out());
    assertFalse(r.out().contains("idempotent UNAVAILABLE"), r.out());
    assertFalse(r.out().contains("registered again -1"), r.out());
  }

  @Test
  @Timeout(120)
  void fuzzLeavesTheBrokerUpAndNothingBehind() {
    Result r = CliRunner.run("bench", "fuzz", "--frames", "3000");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("broker up: true"), r.out());
    assertTrue(r.out().contains("unresolved 0, twice 0)"), r.out());
    assertFalse(r.out().matches("(?s).*normal (?!OK)[A-Z_]+: .*"), r.out());
    assertTrue(r.out().contains("worker names 1, requests pending 0"), r.out());
    assertTrue(r.out().contains("internal errors 0"), r.out());
  }

  @Test
  @Timeout(180)
  void attacksLeaveTheBrokerAnswering() {
    Result r = CliRunner.run("bench", "attack", "--scale", "0.05", "--only", "waiting,declared");
    assertEquals(0, r.code(), r.out() + r.err());
    assertFalse(r.out().contains("NOT answered"), r.out());
    assertFalse(r.out().contains("broker up: false"), r.out());
    assertTrue(r.out().contains("OVERLOADED="), r.out());
    assertTrue(r.out().contains("12 closed by the broker at once"), r.out());
  }
}
