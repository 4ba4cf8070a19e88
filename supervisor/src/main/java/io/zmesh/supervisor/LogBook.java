package io.zmesh.supervisor;

import io.zmesh.proto.LogLine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The newest lines of each app's instances and of what the supervisor said about them, for
 * {@code zmesh logs}: at most {@code linesPerApp} lines and {@link #BYTES_PER_APP} bytes per app,
 * numbered in one sequence so a follower asks for what came after the last it saw. Any thread.
 */
final class LogBook {
  /** Text kept per app, at most. */
  static final long BYTES_PER_APP = 1 << 20;

  private final int linesPerApp;
  private final Map<String, ArrayDeque<LogLine>> apps = new HashMap<>();
  private final Map<String, Long> bytes = new HashMap<>();
  private long seq;

  LogBook(int linesPerApp) {
    this.linesPerApp = linesPerApp;
  }

  synchronized void add(String app, int slot, String stream, String text) {
    LogLine line = LogLine.newBuilder()
        .setSeq(++seq)
        .setApp(app)
        .setSlot(slot)
        .setStream(stream)
        .setAtMs(System.currentTimeMillis())
        .setText(text)
        .build();
    ArrayDeque<LogLine> lines = apps.computeIfAbsent(app, a -> new ArrayDeque<>());
    lines.addLast(line);
    long held = bytes.merge(app, (long) size(line), Long::sum);
    while (lines.size() > linesPerApp || held > BYTES_PER_APP && lines.size() > 1) {
      held -= size(lines.pollFirst());
    }
    bytes.put(app, held);
  }

  private static int size(LogLine line) {
    return line.getText().length() * 2 + 64;
  }

  /** The newest {@code max} lines after {@code after}, of {@code app} or of all when empty. */
  synchronized List<LogLine> read(String app, long after, int max) {
    List<LogLine> out = new ArrayList<>();
    for (Map.Entry<String, ArrayDeque<LogLine>> e : apps.entrySet()) {
      if (app.isEmpty() || app.equals(e.getKey())) {
        for (LogLine l : e.getValue()) {
          if (l.getSeq() > after) {
            out.add(l);
          }
        }
      }
    }
    out.sort(Comparator.comparingLong(LogLine::getSeq));
    return out.size() > max ? new ArrayList<>(out.subList(out.size() - max, out.size())) : out;
  }

  synchronized long last() {
    return seq;
  }

  static String text(byte[] bytes, int len) {
    int end = len;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
      end--;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }
}
