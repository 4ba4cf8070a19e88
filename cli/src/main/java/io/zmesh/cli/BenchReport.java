package io.zmesh.cli;

import io.zmesh.bench.ReqRepBench;
import io.zmesh.bench.proto.InstanceShare;
import io.zmesh.bench.proto.Latency;
import io.zmesh.bench.proto.ProcessCost;
import io.zmesh.bench.proto.ReqRepReport;
import io.zmesh.bench.proto.Run;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Text rendering of bench results. */
final class BenchReport {
  private BenchReport() {}

  static String header(ReqRepBench.Config c) {
    return String.format(Locale.ROOT,
        "%d clients x window %d -> %d workers (credit %d, %s handlers%s%s), %d-byte payloads, %s"
            + " after %.0f s warm-up, broker %s%s",
        c.clients(), c.window(), c.workers(), c.concurrency(), c.inline() ? "inline" : "pooled",
        c.serviceTime().isZero() ? "" : ", service time " + c.serviceTime().toNanos() / 1000 + " us",
        c.slow() > 0 ? ", " + c.slow() + " of them " + c.slowFactor() + "x slower" : "",
        c.size(), c.requests() > 0 ? c.requests() + " requests" : c.seconds() + " s",
        c.warmupSeconds(), c.broker() == null ? "in-process" : c.broker(),
        c.idleInstances() > 0 || c.heartbeat().toMillis() != 1000
            ? ", heartbeat " + c.heartbeat().toMillis() + " ms" : "");
  }

  static String render(ReqRepReport report) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RUN", "REPLIES/S", "REPLIES", "ERRORS", "P50", "P99", "P99.9", "MAX",
        "SPREAD"});
    if (report.hasBaseline()) {
      rows.add(row(report.getBaseline()));
    }
    for (Run r : report.getRunsList()) {
      rows.add(row(r));
    }
    StringBuilder out = new StringBuilder();
    Columns.append(rows, true, out);
    appendCosts(costs(report), "reply", out);
    if (report.hasBaseline()) {
      out.append(String.format(Locale.ROOT, "%nratio %s / baseline: %.2f%n",
          report.getRuns(0).getLabel(), report.getRatio()));
    }
    for (Run r : report.getRunsList()) {
      if (r.getInstancesCount() > 0) {
        out.append(String.format(Locale.ROOT, "%nshares, %s:", r.getLabel()));
        for (InstanceShare s : r.getInstancesList()) {
          out.append(String.format(Locale.ROOT, " %s%s %.1f%%", s.getInstanceId(),
              s.getSlowness() > 1 ? "(" + s.getSlowness() + "x slow)" : "", s.getShare() * 100));
        }
        out.append('\n');
      }
      if (r.getErrorsByCodeCount() > 0) {
        out.append("errors, ").append(r.getLabel()).append(": ").append(r.getErrorsByCodeMap())
            .append('\n');
      }
    }
    return out.toString().stripTrailing();
  }

  /** A report of rounds: each run with its round, then the medians and their ratio. */
  static String renderRounds(ReqRepReport report) {
    List<Run> all = new ArrayList<>(report.getRunsList());
    all.addAll(report.getBaselineRunsList());
    all.sort(Comparator.comparingInt(Run::getRound));
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RUN", "ROUND", "REPLIES/S", "REPLIES", "ERRORS", "P50", "P99",
        "P99.9", "MAX", "SPREAD"});
    for (Run r : all) {
      String[] cells = row(r);
      String[] withRound = new String[cells.length + 1];
      withRound[0] = cells[0];
      withRound[1] = Integer.toString(r.getRound());
      System.arraycopy(cells, 1, withRound, 2, cells.length - 1);
      rows.add(withRound);
    }
    StringBuilder out = new StringBuilder();
    Columns.append(rows, true, out);
    appendCosts(costs(report), "reply", out);
    Run zmesh = BenchReqRepCommand.median(report.getRunsList());
    out.append(String.format(Locale.ROOT, "%nmedian replies/s: %s %,.0f, %s %,.0f%n",
        report.getBaseline().getLabel(), report.getBaseline().getThroughput(), zmesh.getLabel(),
        zmesh.getThroughput()));
    out.append(String.format(Locale.ROOT, "ratio %s / baseline, of the medians: %.2f",
        zmesh.getLabel(), report.getRatio()));
    return out.toString();
  }

  private static String[] row(Run r) {
    Latency l = r.getLatency();
    return new String[] {
        r.getLabel() + (r.getIdleInstances() > 0 ? " + " + r.getIdleInstances() + " idle" : ""),
        String.format(Locale.ROOT, "%,.0f", r.getThroughput()),
        Long.toString(r.getReplies()),
        Long.toString(r.getErrors()),
        us(l.getP50Us()), us(l.getP99Us()), us(l.getP999Us()), us(l.getMaxUs()),
        r.getInstancesCount() > 0 ? String.format(Locale.ROOT, "%.1f%%", r.getSpread() * 100) : "-",
    };
  }

  private static List<Costs> costs(ReqRepReport report) {
    List<Run> all = new ArrayList<>(report.getRunsList());
    if (report.getBaselineRunsCount() > 0) {
      all.addAll(report.getBaselineRunsList());
    } else if (report.hasBaseline()) {
      all.add(report.getBaseline());
    }
    all.sort(Comparator.comparingInt(Run::getRound));
    List<Costs> costs = new ArrayList<>();
    for (Run r : all) {
      costs.add(new Costs(r.getLabel() + (r.getRound() > 0 ? " #" + r.getRound() : ""),
          r.getCostsList()));
    }
    return costs;
  }

  /** One run's per-process costs, under a name. */
  record Costs(String run, List<ProcessCost> costs) {}

  /**
   * A table of what each process of each {@code --procs} run spent per {@code unit}: CPU time,
   * context switches and allocated bytes. Nothing when no run has costs.
   */
  static void appendCosts(List<Costs> runs, String unit, StringBuilder out) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RUN", "PROCESS", "CPU MS", "CPU US/MSG", "SWITCHES/MSG",
        "BYTES/MSG"});
    for (Costs r : runs) {
      for (ProcessCost c : r.costs()) {
        rows.add(new String[] {r.run(), c.getRole(),
            String.format(Locale.ROOT, "%,.0f", c.getCpuMs()),
            String.format(Locale.ROOT, "%.3f", c.getCpuUsPerMessage()),
            String.format(Locale.ROOT, "%.4f", c.getSwitchesPerMessage()),
            String.format(Locale.ROOT, "%.0f", c.getBytesPerMessage())});
      }
    }
    if (rows.size() > 1) {
      out.append(String.format(Locale.ROOT, "%nper %s, each process (kernel CPU time and context"
          + " switches of all its threads, bytes its threads allocated):%n", unit));
      Columns.append(rows, true, out);
    }
  }

  static String us(double us) {
    return us < 1000 ? String.format(Locale.ROOT, "%.0fus", us)
        : String.format(Locale.ROOT, "%.2fms", us / 1000);
  }
}
