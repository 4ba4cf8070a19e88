package io.zmesh.cli;

import io.zmesh.bench.ProcsBench;
import io.zmesh.bench.PubSubBench;
import io.zmesh.bench.RawPubSub;
import io.zmesh.bench.ZmeshPubSub;
import io.zmesh.bench.proto.PubSubConfig;
import io.zmesh.bench.proto.PubSubReport;
import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.bench.proto.PubSubSide;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh bench pubsub}. */
@Command(
    name = "pubsub",
    mixinStandardHelpOptions = true,
    description = {
        "One publisher -> N subscribers of one topic through an in-process broker: messages"
            + " delivered per second, beside raw JeroMQ (PUB -> XSUB|XPUB proxy -> SUB) measured"
            + " in the same run, and their ratio.",
        "With --unrelated, instead the rate with " + PubSubBench.FEW_UNRELATED + " and with N"
            + " unrelated subscriptions registered, and their ratio.",
        "The two sides alternate for --rounds rounds (A B, B A, ...); ratios are of the medians."},
    footer = {"", "Examples:",
        "  zmesh bench pubsub",
        "  zmesh bench pubsub --subscribers 8 --size 1000 --rounds 1",
        "  zmesh bench pubsub --unrelated",
        "  zmesh bench pubsub --unrelated 1000000 --json"})
final class BenchPubSubCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--subscribers", paramLabel = "N", defaultValue = "4",
      description = "Subscribers (default: ${DEFAULT-VALUE}).")
  int subscribers;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "100",
      description = "Payload bytes (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Measured time of each run (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "5s",
      converter = DurationConverter.OrZero.class,
      description = "Unmeasured warm-up of each run, and the length of an unmeasured run"
          + " before them all (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
      description = "Rounds of the two runs compared (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--unrelated", paramLabel = "N", arity = "0..1", fallbackValue = "100000",
      description = "Compare the rate with " + PubSubBench.FEW_UNRELATED + " and with N (default"
          + " ${FALLBACK-VALUE}) subscriptions no message matches.")
  Integer unrelated;

  @Option(names = "--executor", paramLabel = "pool|inline", defaultValue = "pool",
      description = "pool: handlers on each client's callback thread, the SDK's default;"
          + " inline: on its I/O thread, like the baseline's subscribers (default:"
          + " ${DEFAULT-VALUE}).")
  String executor;

  @Option(names = "--procs",
      description = "Run the broker (or the raw proxy), the subscribers and the publisher each in"
          + " a process of their own, and report each process's CPU time, context switches and"
          + " allocation per delivered message.")
  boolean procs;

  @Option(names = "--stalled", paramLabel = "N", defaultValue = "0",
      description = "Add N subscribers whose handler never returns (zmesh only; default:"
          + " ${DEFAULT-VALUE}).")
  int stalled;

  @Option(names = "--json", description = "Print the whole result as one JSON object.")
  boolean json;

  /** One side of the comparison. */
  private interface Side {
    PubSubRun.Builder run() throws Exception;
  }

  @Override
  public Integer call() throws Exception {
    PubSubBench.Config config = config();
    PrintWriter out = spec.commandLine().getOut();
    if (!json) {
      out.println(header(config));
      out.flush();
    }
    PubSubBench.Config baseConfig = config.withStalled(0);
    Side base = procs
        ? () -> ProcsBench.pubsub(baseConfig, true)
        : unrelated == null
            ? () -> RawPubSub.run(baseConfig)
            : () -> ZmeshPubSub.run(config.withUnrelated(PubSubBench.FEW_UNRELATED));
    Side compared = procs ? () -> ProcsBench.pubsub(config, false) : () -> ZmeshPubSub.run(config);
    if (!procs) {
      ZmeshPubSub.run(config.jitWarmup()); // each process of --procs warms up on its own
    }
    PubSubReport.Builder report = PubSubReport.newBuilder().setConfig(describe(config));
    List<PubSubRun> bases = new ArrayList<>();
    List<PubSubRun> compareds = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      // A B, then B A: neither side always runs first.
      boolean baseFirst = round % 2 == 1;
      for (int i = 0; i < 2; i++) {
        boolean isBase = (i == 0) == baseFirst;
        PubSubRun run = (isBase ? base : compared).run().setRound(round).build();
        (isBase ? bases : compareds).add(run);
        report.addRuns(run);
      }
    }
    report.setBase(median(bases)).setCompared(median(compareds));
    report.setRatio(ratio(report.getCompared().getDeliveredPerSecond(),
        report.getBase().getDeliveredPerSecond()));
    report.setPublishedRatio(ratio(report.getCompared().getPublishedPerSecond(),
        report.getBase().getPublishedPerSecond()));
    out.println(json ? MessageTypes.builtin().toNaturalJson(report.build(), false)
        : render(report.build()));
    out.flush();
    return 0;
  }

  private PubSubBench.Config config() {
    if (!executor.equals("inline") && !executor.equals("pool")) {
      throw new Main.UsageException("--executor must be pool or inline, not '" + executor + "'");
    }
    if (unrelated != null && unrelated <= PubSubBench.FEW_UNRELATED) {
      throw new Main.UsageException("--unrelated must be more than " + PubSubBench.FEW_UNRELATED);
    }
    if (rounds < 1) {
      throw new Main.UsageException("--rounds must be at least 1");
    }
    if (procs && unrelated != null) {
      throw new Main.UsageException("--unrelated runs in one process; drop --procs");
    }
    try {
      return new PubSubBench.Config(subscribers, size, warmup.toMillis() / 1000.0,
          duration.toMillis() / 1000.0, unrelated == null ? 0 : unrelated,
          executor.equals("inline"), stalled);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    }
  }

  private static PubSubSide median(List<PubSubRun> runs) {
    double[] delivered = runs.stream().mapToDouble(PubSubRun::getDeliveredPerSecond).toArray();
    double[] published = runs.stream().mapToDouble(PubSubRun::getPublishedPerSecond).toArray();
    return PubSubSide.newBuilder()
        .setLabel(runs.get(0).getLabel())
        .setDeliveredPerSecond(median(delivered))
        .setPublishedPerSecond(median(published))
        .build();
  }

  private static double median(double[] values) {
    Arrays.sort(values);
    int n = values.length;
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  }

  private static double ratio(double a, double b) {
    return b > 0 ? a / b : 0;
  }

  private String header(PubSubBench.Config c) {
    return String.format(Locale.ROOT,
        "1 publisher -> %d subscribers of one topic%s, %d-byte payloads, %s handlers; %d round%s"
            + " of %.0f s after %.0f s warm-up per run; %s", c.subscribers(),
        c.stalled() > 0 ? " (+ " + c.stalled() + " stalled)" : "",
        c.size(), c.inline() ? "inline" : "pooled", rounds, rounds == 1 ? "" : "s", c.seconds(),
        c.warmupSeconds(), procs ? "broker, subscribers and publisher in 3 processes"
            : "in-process broker");
  }

  private PubSubConfig describe(PubSubBench.Config c) {
    return PubSubConfig.newBuilder()
        .setPublishers(1)
        .setSubscribers(c.subscribers())
        .setSize(c.size())
        .setDurationS(c.seconds())
        .setWarmupS(c.warmupSeconds())
        .setUnrelated(c.unrelated())
        .setExecutor(c.inline() ? "inline" : "pool")
        .setRounds(rounds)
        .setProcs(procs)
        .setStalled(c.stalled())
        .build();
  }

  static String render(PubSubReport report) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RUN", "ROUND", "DELIVERED/S", "PUBLISHED/S", "DELIVERED", "SHARE",
        "GAPS", "LOST", "SPREAD", "PER SUBSCRIBER"});
    for (PubSubRun r : report.getRunsList()) {
      StringBuilder per = new StringBuilder();
      for (long n : r.getPerSubscriberList()) {
        per.append(per.length() == 0 ? "" : " ").append(n);
      }
      rows.add(new String[] {
          r.getLabel(),
          Integer.toString(r.getRound()),
          String.format(Locale.ROOT, "%,.0f", r.getDeliveredPerSecond()),
          String.format(Locale.ROOT, "%,.0f", r.getPublishedPerSecond()),
          Long.toString(r.getDelivered()),
          String.format(Locale.ROOT, "%.1f%%", r.getDeliveredShare() * 100),
          Long.toString(r.getGaps()),
          Long.toString(r.getLost()),
          String.format(Locale.ROOT, "%.1f%%", r.getSpread() * 100),
          per.toString()});
    }
    StringBuilder out = new StringBuilder();
    Columns.append(rows, true, out);
    BenchReport.appendCosts(report.getRunsList().stream()
        .map(r -> new BenchReport.Costs(r.getLabel() + " #" + r.getRound(), r.getCostsList()))
        .toList(), "delivered message", out);
    for (PubSubRun r : report.getRunsList()) {
      if (r.getStalledDropped() > 0 || r.getBrokerHeapBytes() > 0 && !r.getLabel().contains("raw")) {
        out.append(String.format(Locale.ROOT,
            "%s #%d: stalled subscriptions dropped %d, hold %,d bytes at the broker; broker heap"
                + " %,d bytes%n", r.getLabel(), r.getRound(), r.getStalledDropped(),
            r.getStalledOutstandingBytes(), r.getBrokerHeapBytes()));
      }
    }
    PubSubSide base = report.getBase();
    PubSubSide compared = report.getCompared();
    out.append(String.format(Locale.ROOT,
        "%nmedian delivered/s: %s %,.0f, %s %,.0f%nratio %s / %s: %.2f delivered, %.2f"
            + " published%n",
        base.getLabel(), base.getDeliveredPerSecond(), compared.getLabel(),
        compared.getDeliveredPerSecond(), compared.getLabel(), base.getLabel(),
        report.getRatio(), report.getPublishedRatio()));
    return out.toString().stripTrailing();
  }
}
