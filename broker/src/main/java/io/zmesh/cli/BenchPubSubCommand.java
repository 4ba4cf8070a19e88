package io.zmesh.cli;

import io.zmesh.bench.PubSubBench;
import io.zmesh.bench.RawPubSub;
import io.zmesh.bench.ZmeshPubSub;
import io.zmesh.bench.proto.PubSubConfig;
import io.zmesh.bench.proto.PubSubReport;
import io.zmesh.bench.proto.PubSubRun;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
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
            + " unrelated subscriptions registered, and their ratio."},
    footer = {"", "Examples:",
        "  zmesh bench pubsub",
        "  zmesh bench pubsub --subscribers 8 --size 1000 --duration 20s",
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
      converter = DurationConverter.class,
      description = "Unmeasured warm-up of each run, and the length of an unmeasured run"
          + " before them all (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--unrelated", paramLabel = "N", arity = "0..1", fallbackValue = "100000",
      description = "Compare the rate with " + PubSubBench.FEW_UNRELATED + " and with N (default"
          + " ${FALLBACK-VALUE}) subscriptions no message matches.")
  Integer unrelated;

  @Option(names = "--executor", paramLabel = "pool|inline", defaultValue = "pool",
      description = "pool: handlers on each client's callback thread, the SDK's default;"
          + " inline: on its I/O thread, like the baseline's subscribers (default:"
          + " ${DEFAULT-VALUE}).")
  String executor;

  @Option(names = "--json", description = "Print the whole result as one JSON object.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (!executor.equals("inline") && !executor.equals("pool")) {
      throw new Main.UsageException("--executor must be pool or inline, not '" + executor + "'");
    }
    PubSubBench.Config config;
    try {
      config = new PubSubBench.Config(subscribers, size, warmup.toMillis() / 1000.0,
          duration.toMillis() / 1000.0, unrelated == null ? 0 : unrelated,
          executor.equals("inline"));
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    }
    if (unrelated != null && unrelated <= PubSubBench.FEW_UNRELATED) {
      throw new Main.UsageException("--unrelated must be more than " + PubSubBench.FEW_UNRELATED);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (!json) {
      out.println(header(config));
      out.flush();
    }
    PubSubReport.Builder report = PubSubReport.newBuilder().setConfig(describe(config));
    ZmeshPubSub.run(config.jitWarmup());
    if (unrelated == null) {
      report.setBaseline(RawPubSub.run(config));
      report.addRuns(ZmeshPubSub.run(config));
      report.setRatio(ratio(report.getRuns(0), report.getBaseline()));
    } else {
      report.addRuns(ZmeshPubSub.run(config.withUnrelated(PubSubBench.FEW_UNRELATED)));
      report.addRuns(ZmeshPubSub.run(config));
      report.setRatio(ratio(report.getRuns(1), report.getRuns(0)));
    }
    out.println(json ? MessageTypes.builtin().toJson(report.build(), false)
        : render(report.build(), unrelated != null));
    out.flush();
    return 0;
  }

  private static double ratio(PubSubRun run, PubSubRun base) {
    return base.getDeliveredPerSecond() > 0
        ? run.getDeliveredPerSecond() / base.getDeliveredPerSecond() : 0;
  }

  private static String header(PubSubBench.Config c) {
    return String.format(Locale.ROOT,
        "1 publisher -> %d subscribers of one topic, %d-byte payloads, %s handlers, %.0f s after"
            + " %.0f s warm-up each, in-process broker", c.subscribers(), c.size(),
        c.inline() ? "inline" : "pooled", c.seconds(), c.warmupSeconds());
  }

  private static PubSubConfig describe(PubSubBench.Config c) {
    return PubSubConfig.newBuilder()
        .setPublishers(1)
        .setSubscribers(c.subscribers())
        .setSize(c.size())
        .setDurationS(c.seconds())
        .setWarmupS(c.warmupSeconds())
        .setUnrelated(c.unrelated())
        .setExecutor(c.inline() ? "inline" : "pool")
        .build();
  }

  static String render(PubSubReport report, boolean unrelated) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RUN", "DELIVERED/S", "PUBLISHED/S", "DELIVERED", "SHARE", "GAPS",
        "PER SUBSCRIBER"});
    if (report.hasBaseline()) {
      rows.add(row(report.getBaseline()));
    }
    for (PubSubRun r : report.getRunsList()) {
      rows.add(row(r));
    }
    StringBuilder out = new StringBuilder();
    Columns.append(rows, true, out);
    if (unrelated && report.getRunsCount() >= 2) {
      PubSubRun few = report.getRuns(0);
      PubSubRun many = report.getRuns(report.getRunsCount() - 1);
      out.append(String.format(Locale.ROOT,
          "%nrate with %d unrelated subscriptions / rate with %d: delivered %.3f, published"
              + " %.3f%n",
          many.getUnrelatedSubscriptions(), few.getUnrelatedSubscriptions(), report.getRatio(),
          few.getPublishedPerSecond() > 0
              ? many.getPublishedPerSecond() / few.getPublishedPerSecond() : 0));
    } else if (report.hasBaseline() && report.getRunsCount() > 0) {
      out.append(String.format(Locale.ROOT, "%nratio %s / baseline: %.2f%n",
          report.getRuns(0).getLabel(), report.getRatio()));
    }
    return out.toString().stripTrailing();
  }

  private static String[] row(PubSubRun r) {
    StringBuilder per = new StringBuilder();
    for (long n : r.getPerSubscriberList()) {
      per.append(per.length() == 0 ? "" : " ").append(n);
    }
    return new String[] {
        r.getLabel(),
        String.format(Locale.ROOT, "%,.0f", r.getDeliveredPerSecond()),
        String.format(Locale.ROOT, "%,.0f", r.getPublishedPerSecond()),
        Long.toString(r.getDelivered()),
        String.format(Locale.ROOT, "%.1f%%", r.getDeliveredShare() * 100),
        Long.toString(r.getGaps()),
        per.toString()};
  }
}
