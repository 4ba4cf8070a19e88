package io.zmesh.cli;

import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.SubscriptionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders {@code zmesh.topics} as the table of {@code zmesh ls --topics}. */
public final class TopicTable {
  private TopicTable() {}

  public static String render(ListTopicsReply reply) {
    StringBuilder out = new StringBuilder();
    long dropped = 0;
    if (reply.getSubscriptionsCount() == 0) {
      out.append("no subscriptions\n");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"PATTERN", "GROUP", "TYPE", "SUBSCRIBER", "DELIVERED", "DROPPED",
          "SKIPPED", "OUTSTANDING", "BUDGET", "AGE"});
      for (SubscriptionInfo s : reply.getSubscriptionsList()) {
        dropped += s.getDropped();
        rows.add(new String[] {
            s.getPattern(),
            s.getGroup().isEmpty() ? "-" : s.getGroup(),
            s.getMessageType().isEmpty() ? "any" : s.getMessageType(),
            s.getClientName() + " (pid " + s.getPid() + "@" + s.getHost() + ")",
            Long.toString(s.getDelivered()),
            Long.toString(s.getDropped()),
            Long.toString(s.getSkipped()),
            s.getOutstandingMessages() + " / " + bytes(s.getOutstandingBytes()),
            s.getBudgetMessages() + " / " + bytes(s.getBudgetBytes()),
            WorkerTable.age(s.getAgeMs())});
      }
      Columns.append(rows, false, out);
    }
    out.append(String.format(Locale.ROOT,
        "%nmessages published %d, delivered %d, with no subscriber %d; dropped by the"
            + " subscriptions listed %d%n",
        reply.getPublished(), reply.getDelivered(), reply.getUnmatched(), dropped));
    return out.toString();
  }

  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    double kib = n / 1024.0;
    return kib < 1024 ? String.format(Locale.ROOT, "%.1f KiB", kib)
        : String.format(Locale.ROOT, "%.1f MiB", kib / 1024);
  }
}
