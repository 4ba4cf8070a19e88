package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.zmesh.bench.proto.PubSubReport;
import io.zmesh.bench.proto.PubSubRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code zmesh bench pubsub} runs end to end; short runs, so only the shape is checked. */
@Timeout(120)
class BenchPubSubTest {
  @Test
  void baselineAndMeshSideBySideAsJson() throws Exception {
    CliRunner.Result r = CliRunner.run("bench", "pubsub", "--duration", "500ms", "--warmup",
        "200ms", "--subscribers", "2", "--rounds", "2", "--json");
    assertEquals(0, r.code(), r.err());
    PubSubReport.Builder report = PubSubReport.newBuilder();
    JsonFormat.parser().merge(r.out(), report);
    assertEquals(2, report.getConfig().getSubscribers());
    assertEquals(4, report.getRunsCount(), r.out());
    // A B, then B A.
    assertTrue(report.getRuns(0).getLabel().contains("XPUB/XSUB"), r.out());
    assertEquals("zmesh", report.getRuns(1).getLabel());
    assertEquals("zmesh", report.getRuns(2).getLabel());
    assertEquals(2, report.getRuns(3).getRound());
    for (PubSubRun run : report.getRunsList()) {
      assertEquals(2, run.getPerSubscriberCount());
      assertTrue(run.getDelivered() > 0, r.out());
    }
    assertTrue(report.getBase().getLabel().contains("XPUB/XSUB"), r.out());
    assertTrue(report.getRatio() > 0, r.out());
  }

  @Test
  void procsRunEachPartInItsOwnProcessAndReportTheirCosts() throws Exception {
    CliRunner.Result r = CliRunner.run("bench", "pubsub", "--procs", "--duration", "1s",
        "--warmup", "500ms", "--subscribers", "2", "--stalled", "1", "--rounds", "1", "--json");
    assertEquals(0, r.code(), r.err());
    PubSubReport.Builder report = PubSubReport.newBuilder();
    JsonFormat.parser().merge(r.out(), report);
    assertTrue(report.getConfig().getProcs());
    assertEquals(2, report.getRunsCount(), r.out());
    for (PubSubRun run : report.getRunsList()) {
      assertEquals(2, run.getPerSubscriberCount());
      assertTrue(run.getDelivered() > 0, r.out());
      assertEquals(0, run.getLost(), r.out());
      assertEquals(3, run.getCostsCount(), r.out());
      assertTrue(run.getCosts(0).getCpuMs() > 0, r.out());
    }
    // The stalled subscriber is zmesh's only; the broker reports what it holds for it.
    PubSubRun zmesh = report.getRuns(1);
    assertEquals("zmesh", zmesh.getLabel());
    assertTrue(zmesh.getStalledOutstandingBytes() > 0, r.out());
    assertTrue(zmesh.getBrokerHeapBytes() > 0, r.out());
  }

  @Test
  void unrelatedSubscriptionsComparedAsText() {
    CliRunner.Result r = CliRunner.run("bench", "pubsub", "--duration", "500ms", "--warmup",
        "200ms", "--subscribers", "1", "--rounds", "1", "--unrelated", "2000");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("zmesh + 10 unrelated"), r.out());
    assertTrue(r.out().contains("ratio zmesh + 2000 unrelated / zmesh + 10 unrelated:"),
        r.out());
  }

  @Test
  void badArgumentsAreUsageErrors() {
    assertEquals(2, CliRunner.run("bench", "pubsub", "--unrelated", "5").code());
    assertEquals(2, CliRunner.run("bench", "pubsub", "--subscribers", "0").code());
    assertEquals(2, CliRunner.run("bench", "pubsub", "--rounds", "0").code());
    assertEquals(2, CliRunner.run("bench", "pubsub", "--executor", "fast").code());
    assertEquals(2, CliRunner.run("bench", "pubsub", "--procs", "--unrelated").code());
    assertEquals(2, CliRunner.run("bench", "pubsub", "--stalled", "-1").code());
  }
}
