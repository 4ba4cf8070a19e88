package io.zmesh.cli;

import io.zmesh.bench.proto.DispatchReport;
import io.zmesh.bench.proto.DispatchRun;
import io.zmesh.broker.DispatchBench;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh bench dispatch}: the broker's routing cost against the number of instances. */
@Command(
    name = "dispatch",
    mixinStandardHelpOptions = true,
    description = {
        "The broker's routing alone (balancer, tables, deadlines, re-weighing; no sockets):"
            + " requests routed and answered per second with few and with many registered"
            + " instances, in one run, as ratios to the first run.",
        "Runs, in order: --active instances with each --idle count of idle instances under"
            + " other names; then, with --large-group, that many instances all serving the"
            + " benchmarked name."})
final class BenchDispatchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--idle", split = ",", paramLabel = "N", defaultValue = "10,10000",
      description = "Idle instance counts (default: ${DEFAULT-VALUE}).")
  List<Integer> idle;

  @Option(names = "--active", paramLabel = "N", defaultValue = "8",
      description = "Instances serving the benchmarked name (default: ${DEFAULT-VALUE}).")
  int active;

  @Option(names = "--large-group", paramLabel = "N", defaultValue = "10000",
      description = "Also run with this many instances serving the name; 0 skips it"
          + " (default: ${DEFAULT-VALUE}).")
  int largeGroup;

  @Option(names = "--window", paramLabel = "N", defaultValue = "256",
      description = "Requests outstanding (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "5s",
      converter = DurationConverter.class,
      description = "Measured time per run (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "2s",
      converter = DurationConverter.OrZero.class,
      description = "Unmeasured warm-up per run (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--json", description = "Print the whole result as one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    if (active < 1 || window < 1 || largeGroup < 0 || idle.stream().anyMatch(n -> n < 0)) {
      throw new Main.UsageException("--active and --window must be at least 1; counts at least 0");
    }
    double warm = warmup.toMillis() / 1000.0;
    double secs = duration.toMillis() / 1000.0;
    // Credit for the whole window on every instance, so nothing queues and each run routes the
    // same way; the large group's instances share the window.
    int credit = Math.max(1, (window + active - 1) / active);
    DispatchReport.Builder report = DispatchReport.newBuilder();
    for (int n : idle) {
      add(report, DispatchBench.run(active + " instances + " + n + " idle", active, credit, n,
          window, warm, secs));
    }
    if (largeGroup > 0) {
      add(report, DispatchBench.run(largeGroup + " instances", largeGroup,
          Math.max(1, (window + largeGroup - 1) / largeGroup), 0, window, warm, secs));
    }
    double first = report.getRuns(0).getRate();
    for (DispatchRun r : report.getRunsList()) {
      report.addRatios(first > 0 ? r.getRate() / first : 0);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(json ? MessageTypes.builtin().toNaturalJson(report.build(), false) : render(report));
    out.flush();
    return 0;
  }

  private static void add(DispatchReport.Builder report, DispatchBench.Result r) {
    report.addRuns(DispatchRun.newBuilder()
        .setLabel(r.label())
        .setActiveInstances(r.activeInstances())
        .setIdleInstances(r.idleInstances())
        .setRequests(r.requests())
        .setSeconds(r.seconds())
        .setRate(r.rate()));
  }

  private static String render(DispatchReport.Builder report) {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-28s %14s %8s%n",
        "RUN", "REQUESTS/S", "RATIO"));
    for (int i = 0; i < report.getRunsCount(); i++) {
      DispatchRun r = report.getRuns(i);
      b.append(String.format(Locale.ROOT, "%-28s %,14.0f %8.3f%n", r.getLabel(), r.getRate(),
          report.getRatios(i)));
    }
    return b.toString().stripTrailing();
  }
}
