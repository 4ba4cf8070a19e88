package io.zmesh.cli;

import io.zmesh.bench.ProcsBench;
import io.zmesh.bench.RawBaseline;
import io.zmesh.bench.ReqRepBench;
import io.zmesh.bench.proto.ReqRepConfig;
import io.zmesh.bench.proto.ReqRepReport;
import io.zmesh.bench.proto.Run;
import io.zmesh.broker.Policy;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh bench reqrep}. */
@Command(
    name = "reqrep",
    mixinStandardHelpOptions = true,
    description = {
        "Asynchronous request/reply through the broker: throughput, latency percentiles"
            + " (p50/p99/p99.9) and each instance's share.",
        "Starts a broker (unless --broker), the workers and the clients in this process."},
    footer = {"", "Examples:",
        "  zmesh bench reqrep --baseline",
        "  zmesh bench reqrep --baseline --rounds 5",
        "  zmesh bench reqrep --workers 8 --requests 100000",
        "  zmesh bench reqrep --executor pool --service-time 1ms --slow 1 --compare-policies"})
final class BenchReqRepCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BenchOptions load;

  @Option(names = "--baseline",
      description = "Also measure raw JeroMQ (DEALER -> ROUTER forwarder -> DEALER echo) and print the ratio.")
  boolean baseline;

  @Option(names = "--compare-policies",
      description = "Run once per balancing policy and print them side by side.")
  boolean comparePolicies;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
      description = "With --baseline: measure both sides N times, alternating which goes first;"
          + " the ratio is of the medians (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--procs",
      description = "Run the broker (or the raw forwarder), the workers and the clients each in a"
          + " process of their own, and report each process's CPU time, context switches and"
          + " allocation per reply.")
  boolean procs;

  @Option(names = "--sync",
      description = "With --procs: one thread's sequential calls (window 1) after"
          + " --warmup-requests unmeasured ones; measures --requests calls (default 100000).")
  boolean sync;

  @Option(names = "--warmup-requests", paramLabel = "N", defaultValue = "100000",
      description = "With --sync: unmeasured calls first (default: ${DEFAULT-VALUE}).")
  long warmupRequests;

  @Option(names = "--json", description = "Print the whole result as one JSON object.")
  boolean json;

  private Run.Builder zmesh(ReqRepBench.Config c) throws Exception {
    return procs ? ProcsBench.reqrep(c, sync, warmupRequests, false) : ReqRepBench.run(c);
  }

  private Run.Builder base(ReqRepBench.Config c) throws Exception {
    return procs ? ProcsBench.reqrep(c, sync, warmupRequests, true) : RawBaseline.reqrep(c);
  }

  @Override
  public Integer call() throws Exception {
    ReqRepBench.Config config = load.config();
    if (sync && !procs) {
      throw new Main.UsageException("--sync needs --procs");
    }
    if (procs && (config.broker() != null || comparePolicies || config.idleInstances() > 0
        || config.slow() > 0 || !config.serviceTime().isZero())) {
      throw new Main.UsageException("--procs runs its own broker, echo workers and clients:"
          + " no --broker, --compare-policies, --idle-instances, --slow or --service-time");
    }
    if (sync) {
      config = config.withRequests(config.requests() > 0 ? config.requests() : 100_000);
    }
    if (comparePolicies && config.broker() != null) {
      throw new Main.UsageException("--compare-policies needs the in-process broker (no --broker)");
    }
    if (rounds < 1) {
      throw new Main.UsageException("--rounds must be at least 1");
    }
    if (rounds > 1 && (!baseline || comparePolicies)) {
      throw new Main.UsageException("--rounds needs --baseline, and no --compare-policies");
    }
    PrintWriter out = spec.commandLine().getOut();
    ReqRepReport.Builder report = ReqRepReport.newBuilder().setConfig(describeAll(config));
    if (!json) {
      out.println(procs ? BenchReport.header(config).replace("broker in-process",
          "broker, workers and clients in 3 processes" + (sync ? ", one thread's sequential"
              + " calls after " + warmupRequests + " unmeasured" : "")) : BenchReport.header(config));
      out.flush();
    }
    if (rounds > 1) {
      runRounds(config, report);
      out.println(json ? MessageTypes.builtin().toNaturalJson(report.build(), false)
          : BenchReport.renderRounds(report.build()));
      out.flush();
      return 0;
    }
    if (comparePolicies) {
      for (Policy p : Policy.values()) {
        report.addRuns(ReqRepBench.run(config.withPolicy(p)));
      }
    } else {
      report.addRuns(zmesh(config));
    }
    if (baseline) {
      Run.Builder base = base(config);
      report.setBaseline(base);
    }
    if (baseline && report.getBaseline().getThroughput() > 0) {
      report.setRatio(report.getRuns(0).getThroughput() / report.getBaseline().getThroughput());
    }
    out.println(json ? MessageTypes.builtin().toNaturalJson(report.build(), false)
        : BenchReport.render(report.build()));
    out.flush();
    return 0;
  }

  /**
   * Both sides {@link #rounds} times, A B then B A, so neither always runs first: on two cores
   * a run's rate depends on how its threads happen to be placed, and a median of runs that
   * each start afresh says more than any one of them.
   */
  private void runRounds(ReqRepBench.Config config, ReqRepReport.Builder report)
      throws Exception {
    List<Run> zmesh = new ArrayList<>();
    List<Run> bases = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      boolean baseFirst = round % 2 == 0;
      for (int i = 0; i < 2; i++) {
        boolean isBase = (i == 0) == baseFirst;
        Run run = (isBase ? base(config) : zmesh(config)).setRound(round).build();
        (isBase ? bases : zmesh).add(run);
      }
    }
    report.setRounds(rounds).addAllRuns(zmesh).addAllBaselineRuns(bases);
    Run base = median(bases);
    report.setBaseline(base);
    if (base.getThroughput() > 0) {
      report.setRatio(median(zmesh).getThroughput() / base.getThroughput());
    }
  }

  /** The run of median throughput (the upper one of an even number). */
  static Run median(List<Run> runs) {
    List<Run> sorted = new ArrayList<>(runs);
    sorted.sort(Comparator.comparingDouble(Run::getThroughput));
    return sorted.get(sorted.size() / 2);
  }

  static ReqRepConfig describe(ReqRepBench.Config c) {
    return ReqRepConfig.newBuilder()
        .setBroker(c.broker() == null ? "in-process" : c.broker())
        .setClients(c.clients())
        .setWorkers(c.workers())
        .setSize(c.size())
        .setWindow(c.window())
        .setDurationS(c.seconds())
        .setRequests(c.requests())
        .setWarmupS(c.warmupSeconds())
        .setConcurrency(c.concurrency())
        .setServiceTimeUs(c.serviceTime().toNanos() / 1e3)
        .setSlow(c.slow())
        .setSlowFactor(c.slowFactor())
        .setExecutor(c.inline() ? "inline" : "pool")
        .setHeartbeatMs(c.heartbeat().toMillis())
        .build();
  }

  private ReqRepConfig describeAll(ReqRepBench.Config c) {
    return describe(c).toBuilder().setProcs(procs).setSync(sync)
        .setWarmupRequests(sync ? warmupRequests : 0).build();
  }
}
