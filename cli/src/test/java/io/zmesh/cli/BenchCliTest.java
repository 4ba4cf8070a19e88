package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.zmesh.bench.proto.DispatchReport;
import io.zmesh.bench.proto.DispatchRun;
import io.zmesh.bench.proto.InstanceShare;
import io.zmesh.bench.proto.OverloadReport;
import io.zmesh.bench.proto.ReqRepReport;
import io.zmesh.bench.proto.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bench commands end to end, on tiny loads: they run, count exactly and print JSON that
 * parses back. Their figures are the benchmark's business, not asserted here.
 */
@Timeout(120)
class BenchCliTest {
  private static String run(String... args) {
    CliRunner.Result r = CliRunner.run(args);
    assertEquals(0, r.code(), r.err());
    return r.out();
  }

  private static int exitCode(String... args) {
    return CliRunner.run(args).code();
  }

  @Test
  void reqrepCountsAnExactNumberOfRequestsAndSharesThem() throws Exception {
    String json = run("bench", "reqrep", "--json", "--requests", "3000", "--duration", "60s",
        "--warmup", "0s", "--clients", "1", "--workers", "3", "--window", "16", "--baseline");
    ReqRepReport.Builder report = ReqRepReport.newBuilder();
    JsonFormat.parser().merge(json, report);
    Run run = report.getRuns(0);
    assertEquals(3000, run.getReplies());
    assertEquals(0, run.getErrors());
    long handled = 0;
    for (InstanceShare s : run.getInstancesList()) {
      handled += s.getHandled();
    }
    // Shares count what the workers handled while measuring, which may differ from the replies
    // counted by at most the window at either end.
    assertTrue(Math.abs(handled - 3000) <= 16, "handled " + handled);
    assertTrue(report.getBaseline().getReplies() >= 3000, report.getBaseline().toString());
    assertTrue(report.getRatio() > 0, report.toString());
  }

  @Test
  void reqrepRoundsAlternateAndTakeTheRatioOfTheMedians() throws Exception {
    String json = run("bench", "reqrep", "--json", "--requests", "1000", "--duration", "60s",
        "--warmup", "0s", "--clients", "1", "--workers", "2", "--window", "8", "--baseline",
        "--rounds", "3");
    ReqRepReport.Builder report = ReqRepReport.newBuilder();
    JsonFormat.parser().merge(json, report);
    assertEquals(3, report.getRounds());
    assertEquals(3, report.getRunsCount());
    assertEquals(3, report.getBaselineRunsCount());
    for (int i = 0; i < 3; i++) {
      assertEquals(i + 1, report.getRuns(i).getRound());
      assertEquals(i + 1, report.getBaselineRuns(i).getRound());
      assertEquals(1000, report.getRuns(i).getReplies());
    }
    Run zmesh = BenchReqRepCommand.median(report.getRunsList());
    Run base = BenchReqRepCommand.median(report.getBaselineRunsList());
    assertEquals(base, report.getBaseline());
    assertEquals(zmesh.getThroughput() / base.getThroughput(), report.getRatio(), 1e-9);
    String text = run("bench", "reqrep", "--requests", "500", "--duration", "60s", "--warmup",
        "0s", "--clients", "1", "--workers", "1", "--window", "4", "--baseline", "--rounds", "2");
    assertTrue(text.contains("ratio zmesh least-outstanding / baseline, of the medians: "), text);
    assertEquals(2, exitCode("bench", "reqrep", "--rounds", "3"));
    assertEquals(2, exitCode("bench", "reqrep", "--baseline", "--rounds", "0"));
  }

  @Test
  void reqrepProcsMeasuresSequentialCallsInThreeProcessesBesideTheBaseline() throws Exception {
    String json = run("bench", "reqrep", "--json", "--procs", "--sync", "--executor", "pool",
        "--warmup-requests", "500", "--requests", "300", "--baseline");
    ReqRepReport.Builder report = ReqRepReport.newBuilder();
    JsonFormat.parser().merge(json, report);
    assertTrue(report.getConfig().getProcs() && report.getConfig().getSync(), json);
    assertEquals(300, report.getRuns(0).getReplies(), json);
    assertEquals(300, report.getBaseline().getReplies(), json);
    assertEquals(3, report.getRuns(0).getCostsCount(), json);
    assertTrue(report.getRuns(0).getLatency().getP999Us() > 0, json);
    assertEquals(2, exitCode("bench", "reqrep", "--sync"));
    assertEquals(2, exitCode("bench", "reqrep", "--procs", "--broker", "tcp://127.0.0.1:1"));
  }

  @Test
  void overloadAnswersEveryRequestOfTheBurstExactly() throws Exception {
    String json = run("bench", "overload", "--json", "--workers", "2", "--concurrency", "3",
        "--queue-limit", "20", "--burst", "200");
    OverloadReport.Builder report = OverloadReport.newBuilder();
    JsonFormat.parser().merge(json, report);
    assertEquals(2 * 3 + 20, report.getExpectedReplies());
    assertEquals(report.getExpectedReplies(), report.getReplies(), report.toString());
    assertEquals(200 - report.getExpectedReplies(), report.getOverloaded(), report.toString());
    assertEquals(0, report.getOtherErrors());
    assertTrue(report.getExact());
  }

  @Test
  void dispatchRunsEachShapeAndReportsRatiosToTheFirst() throws Exception {
    String json = run("bench", "dispatch", "--json", "--duration", "200ms", "--warmup", "0s",
        "--idle", "10,500", "--large-group", "300", "--window", "64");
    DispatchReport.Builder report = DispatchReport.newBuilder();
    JsonFormat.parser().merge(json, report);
    assertEquals(3, report.getRunsCount());
    assertEquals(3, report.getRatiosCount());
    assertEquals(1.0, report.getRatios(0), 1e-9);
    assertEquals(500, report.getRuns(1).getIdleInstances());
    assertEquals(300, report.getRuns(2).getActiveInstances());
    for (DispatchRun r : report.getRunsList()) {
      assertTrue(r.getRequests() > 0 && r.getRate() > 0, r.toString());
    }
  }

  @Test
  void badBenchArgumentsAreUsageErrors() {
    assertEquals(2, exitCode("bench", "dispatch", "--active", "0"));
    assertEquals(2, exitCode("bench", "reqrep", "--executor", "threads"));
    assertEquals(2, exitCode("bench", "reqrep", "--slow", "5", "--workers", "2"));
    assertEquals(2, exitCode("bench", "reqrep", "--duration", "soon"));
  }
}
