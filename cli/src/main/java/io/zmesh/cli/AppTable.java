package io.zmesh.cli;

import io.zmesh.proto.AppStatus;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.SupervisorStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders {@code zmesh.supervisor.status} as the tables of {@code zmesh ls} and {@code top}. */
final class AppTable {
  private AppTable() {}

  /** Key of an instance's process, for rates between two samples. */
  static String key(InstanceStatus i) {
    return i.getApp() + "/" + i.getSlot() + "/" + i.getPid();
  }

  /**
   * The instances, one row each. With {@code rates} (handled and errors per second by {@link
   * #key}), adds the columns of {@code zmesh top}.
   */
  static String render(SupervisorStatus status, Map<String, double[]> rates) {
    List<String[]> rows = new ArrayList<>();
    boolean top = rates != null;
    rows.add(top
        ? new String[] {"APP", "#", "PID", "STATUS", "CPU", "MEM", "IN-FLIGHT", "REQ/S", "ERR/S",
            "RESTARTS", "UPTIME"}
        : new String[] {"APP", "#", "PID", "STATUS", "RESTARTS", "UPTIME", "CPU", "MEM",
            "IN-FLIGHT", "HANDLED", "ERRORS", "INSTANCE"});
    for (AppStatus a : status.getAppsList()) {
      for (InstanceStatus i : a.getInstanceList()) {
        String pid = i.getPid() == 0 ? "-" : Long.toString(i.getPid());
        String state = state(i);
        String cpu = i.getPid() == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", i.getCpuPercent());
        String mem = i.getPid() == 0 ? "-" : bytes(i.getMemoryBytes());
        String up = i.getUptimeMs() == 0 ? "-" : WorkerTable.age(i.getUptimeMs());
        if (top) {
          double[] r = rates.getOrDefault(key(i), new double[2]);
          rows.add(new String[] {a.getName(), Integer.toString(i.getSlot()), pid, state, cpu, mem,
              Integer.toString(i.getInFlight()), String.format(Locale.ROOT, "%.0f", r[0]),
              String.format(Locale.ROOT, "%.0f", r[1]), Integer.toString(i.getRestarts()), up});
        } else {
          rows.add(new String[] {a.getName(), Integer.toString(i.getSlot()), pid, state,
              Integer.toString(i.getRestarts()), up, cpu, mem, Integer.toString(i.getInFlight()),
              Long.toString(i.getHandled()), Long.toString(i.getErrors()),
              i.getInstanceId().isEmpty() ? "-" : i.getInstanceId()});
        }
      }
    }
    StringBuilder out = new StringBuilder();
    Columns.append(rows, false, out);
    List<String> notes = new ArrayList<>();
    for (AppStatus a : status.getAppsList()) {
      notes.add(a.getName() + " " + a.getStatus() + " " + a.getOnline() + "/" + a.getInstances());
    }
    out.append('\n').append(String.join(", ", notes)).append('\n');
    if (status.getUnsupervisedCount() > 0) {
      out.append("registered but not supervised: ")
          .append(String.join(", ", status.getUnsupervisedList())).append('\n');
    }
    return out.toString();
  }

  private static String state(InstanceStatus i) {
    String s = i.getStatus();
    if (s.equals("waiting")) {
      return "restart in " + WorkerTable.age(i.getRestartInMs());
    }
    if (s.equals("online") && i.getBrokerState().equals("draining")) {
      return "draining";
    }
    return s;
  }

  static String bytes(long b) {
    if (b < 1 << 20) {
      return (b >> 10) + "K";
    }
    if (b < 1L << 30) {
      return String.format(Locale.ROOT, "%.0fM", b / 1048576.0);
    }
    return String.format(Locale.ROOT, "%.1fG", b / 1073741824.0);
  }
}
