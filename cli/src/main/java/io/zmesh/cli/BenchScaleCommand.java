package io.zmesh.cli;

import io.zmesh.bench.ReqRepBench;
import io.zmesh.bench.proto.ReqRepReport;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh bench scale}: dispatch rate against the number of registered instances. */
@Command(
    name = "scale",
    mixinStandardHelpOptions = true,
    description = {
        "The request/reply rate with few and with many registered idle instances (10 per name,"
            + " in child processes), in one run, and their ratio: dispatch must not scan them."})
final class BenchScaleCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BenchOptions load;

  @Option(names = "--idle", split = ",", paramLabel = "N", defaultValue = "10,10000",
      description = "Idle instance counts to compare (default: ${DEFAULT-VALUE}).")
  List<Integer> idle;

  @Option(names = "--json", description = "Print the whole result as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    // 10,000 instances beating once a second would measure heartbeats, not dispatch; a fleet
    // that large runs with a longer interval.
    ReqRepBench.Config config = load.config(Duration.ofSeconds(5));
    PrintWriter out = spec.commandLine().getOut();
    if (!json) {
      out.println(BenchReport.header(config));
      out.flush();
    }
    ReqRepReport.Builder report = ReqRepReport.newBuilder()
        .setConfig(BenchReqRepCommand.describe(config));
    for (int n : idle) {
      report.addRuns(ReqRepBench.run(config.withIdleInstances(n)));
    }
    if (report.getRunsCount() >= 2 && report.getRuns(0).getThroughput() > 0) {
      // The ratio of the last run (most instances) to the first.
      report.setRatio(report.getRuns(report.getRunsCount() - 1).getThroughput()
          / report.getRuns(0).getThroughput());
    }
    out.println(json ? MessageTypes.builtin().toNaturalJson(report.build(), false)
        : BenchReport.render(report.build())
            + String.format(java.util.Locale.ROOT, "%nrate with %d idle instances / rate with %d: %.3f",
                idle.get(idle.size() - 1), idle.get(0), report.getRatio()));
    out.flush();
    return 0;
  }
}
