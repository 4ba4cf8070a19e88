package io.zmesh.cli;

import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.WorkerInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders {@code zmesh.workers} as the table of {@code zmesh ls}. */
public final class WorkerTable {
  private WorkerTable() {}

  public static String render(ListWorkersReply reply) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "INSTANCE", "PID", "HOST", "STATE", "CONC", "IN-FLIGHT",
        "HANDLED", "ERRORS", "LATENCY", "UPTIME", "HEARTBEAT"});
    for (WorkerInfo w : reply.getWorkersList()) {
      rows.add(new String[] {
          w.getName(), w.getInstanceId(), Long.toString(w.getPid()), w.getHost(), w.getState(),
          Integer.toString(w.getConcurrency()), Integer.toString(w.getInFlight()),
          Long.toString(w.getHandled()), Long.toString(w.getErrors()),
          micros(w.getLatencyAvgUs()), age(w.getUptimeMs()), age(w.getLastHeartbeatAgeMs()) + " ago"});
    }
    StringBuilder out = new StringBuilder();
    Columns.append(rows, false, out);
    boolean queued = false;
    for (GroupInfo g : reply.getGroupsList()) {
      queued |= g.getQueued() > 0;
    }
    if (queued || reply.getWorkersCount() == 0) {
      out.append('\n');
      List<String[]> groups = new ArrayList<>();
      groups.add(new String[] {"GROUP", "INSTANCES", "QUEUED", "POLICY"});
      for (GroupInfo g : reply.getGroupsList()) {
        groups.add(new String[] {g.getName(), Integer.toString(g.getInstances()),
            Integer.toString(g.getQueued()), g.getPolicy()});
      }
      if (groups.size() == 1) {
        out.append("no workers registered\n");
      } else {
        Columns.append(groups, false, out);
      }
    }
    return out.toString();
  }

  static String micros(double us) {
    if (us <= 0) {
      return "-";
    }
    return us < 1000 ? String.format(Locale.ROOT, "%.0fus", us)
        : String.format(Locale.ROOT, "%.1fms", us / 1000);
  }

  static String age(long ms) {
    if (ms < 1000) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s < 120) {
      return s + "s";
    }
    long m = s / 60;
    return m < 120 ? m + "m" : (m / 60) + "h" + (m % 60) + "m";
  }
}
