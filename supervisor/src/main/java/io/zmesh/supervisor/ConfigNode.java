package io.zmesh.supervisor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One YAML node of the ecosystem file with its path ({@code apps[0].instances}) and line, and
 * typed reads that record a problem (path, line, what is wrong) instead of throwing, so one
 * pass reports every mistake. A mapping remembers which keys were read; {@link #finish} reports
 * the others as unknown fields.
 */
final class ConfigNode {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?", Pattern.CASE_INSENSITIVE);

  private final Node node;
  private final String path;
  private final List<String> problems;
  private final Set<String> read = new HashSet<>();
  private Map<String, NodeTuple> entries;

  ConfigNode(Node node, String path, List<String> problems) {
    this.node = node;
    this.path = path;
    this.problems = problems;
  }

  String path() {
    return path;
  }

  /** Problems recorded so far in the whole file. */
  int problemCount() {
    return problems.size();
  }

  int line() {
    return node.getStartMark().getLine() + 1;
  }

  void problem(String what) {
    problems.add("line " + line() + ": " + (path.isEmpty() ? "" : path + ": ") + what);
  }

  boolean isMapping() {
    return node instanceof MappingNode;
  }

  /** Checks this is a mapping; false (with a problem) when it is not. */
  boolean expectMapping() {
    if (isMapping()) {
      entries();
      return true;
    }
    problem("expected a mapping of fields, got " + describe(node));
    return false;
  }

  private Map<String, NodeTuple> entries() {
    if (entries == null) {
      entries = new LinkedHashMap<>();
      if (node instanceof MappingNode) {
        for (NodeTuple t : ((MappingNode) node).getValue()) {
          ConfigNode key = new ConfigNode(t.getKeyNode(), path, problems);
          if (!(t.getKeyNode() instanceof ScalarNode)) {
            key.problem("a field name must be plain text");
            continue;
          }
          String name = ((ScalarNode) t.getKeyNode()).getValue();
          if (entries.put(name, t) != null) {
            key.problem("field '" + name + "' is given twice");
          }
        }
      }
    }
    return entries;
  }

  /** The value of field {@code key}, or null when absent (or explicitly null). */
  ConfigNode get(String key) {
    read.add(key);
    NodeTuple t = entries().get(key);
    if (t == null || isNull(t.getValueNode())) {
      return null;
    }
    return new ConfigNode(t.getValueNode(), join(key), problems);
  }

  /** The text of field {@code key} when it is a plain value, else null; records nothing. */
  String scalar(String key) {
    NodeTuple t = entries().get(key);
    return t != null && t.getValueNode() instanceof ScalarNode && !isNull(t.getValueNode())
        ? ((ScalarNode) t.getValueNode()).getValue() : null;
  }

  boolean has(String key) {
    NodeTuple t = entries().get(key);
    return t != null && !isNull(t.getValueNode());
  }

  private String join(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Reports every field not read as unknown, naming the known ones. */
  void finish(List<String> known) {
    for (Map.Entry<String, NodeTuple> e : entries().entrySet()) {
      if (!read.contains(e.getKey())) {
        new ConfigNode(e.getValue().getKeyNode(), join(e.getKey()), problems)
            .problem("unknown field" + suggestion(e.getKey(), known) + " (known: "
                + String.join(", ", known) + ")");
      }
    }
  }

  private static String suggestion(String key, List<String> known) {
    String k = key.toLowerCase(Locale.ROOT).replace('-', '_');
    for (String candidate : known) {
      if (candidate.equals(k) || distance(candidate, k) <= 2) {
        return "; did you mean '" + candidate + "'?";
      }
    }
    return "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  // ------------------------------------------------------------ typed reads of this node

  /** The node's text when it is a scalar, else null with a problem. */
  String text() {
    if (node instanceof ScalarNode) {
      return ((ScalarNode) node).getValue();
    }
    problem("expected a single value, got " + describe(node));
    return null;
  }

  String string() {
    return text();
  }

  Integer integer(int min, int max) {
    String t = text();
    if (t == null) {
      return null;
    }
    String digits = t.trim().replace("_", "");
    if (!digits.matches("-?\\d+")) {
      problem("expected a whole number, got '" + t + "'");
      return null;
    }
    // Past int's range is out of range, not "not a number".
    long v = digits.length() > 12 ? (digits.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE)
        : Long.parseLong(digits);
    if (v < min || v > max) {
      problem("must be from " + min + " to " + max + ", got " + digits);
      return null;
    }
    return (int) v;
  }

  Boolean bool() {
    if (node instanceof ScalarNode && node.getTag().equals(Tag.BOOL)) {
      String t = ((ScalarNode) node).getValue().toLowerCase(Locale.ROOT);
      return t.equals("true") || t.equals("yes") || t.equals("on") || t.equals("y");
    }
    problem("expected true or false, got " + describe(node));
    return null;
  }

  /** {@code 500ms}, {@code 30s}, {@code 1m}, {@code 1h}, or a number of milliseconds. */
  Duration duration(Duration min) {
    String t = text();
    if (t == null) {
      return null;
    }
    String v = t.trim().toLowerCase(Locale.ROOT);
    Duration d = null;
    Matcher m = DURATION.matcher(v);
    boolean bare = v.matches("\\d+");
    if ((bare && v.length() > 12) || (!bare && m.matches() && m.group(1).length() > 12)) {
      // More than 12 digits is a typing mistake, and must not overflow a Duration.
      problem("too large: '" + t + "'");
      return null;
    }
    if (bare) {
      d = Duration.ofMillis(Long.parseLong(v));
    } else if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms":
          d = Duration.ofMillis(n);
          break;
        case "s":
          d = Duration.ofSeconds(n);
          break;
        case "m":
          d = Duration.ofMinutes(n);
          break;
        default:
          d = Duration.ofHours(n);
      }
    }
    if (d == null) {
      problem("expected a duration such as 500ms, 30s or 2m, got '" + t + "'");
      return null;
    }
    if (d.compareTo(min) < 0) {
      problem("must be at least " + min.toMillis() + "ms, got '" + t + "'");
      return null;
    }
    return d;
  }

  /** {@code 512MiB}, {@code 1G}, {@code 300k}, or a number of bytes (powers of 1024). */
  Long size(long min) {
    String t = text();
    if (t == null) {
      return null;
    }
    Matcher m = SIZE.matcher(t.trim());
    if (!m.matches()) {
      problem("expected a size such as 512MiB, 1G or 65536, got '" + t + "'");
      return null;
    }
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    long factor = unit.startsWith("k") ? 1L << 10 : unit.startsWith("m") ? 1L << 20
        : unit.startsWith("g") ? 1L << 30 : 1;
    // Up to 2^53 bytes (8 PiB): beyond is a typing mistake, and must not overflow.
    if (m.group(1).length() > 16 || Long.parseLong(m.group(1)) > (1L << 53) / factor) {
      problem("too large: '" + t + "'");
      return null;
    }
    long v = Long.parseLong(m.group(1)) * factor;
    if (v < min) {
      problem("must be at least " + min + " bytes, got '" + t + "'");
      return null;
    }
    return v;
  }

  /** A single value or a list of values. */
  List<String> strings() {
    List<String> out = new ArrayList<>();
    if (node instanceof SequenceNode) {
      List<Node> items = ((SequenceNode) node).getValue();
      for (int i = 0; i < items.size(); i++) {
        ConfigNode item = new ConfigNode(items.get(i), path + "[" + i + "]", problems);
        String t = item.text();
        if (t != null) {
          out.add(t);
        }
      }
    } else {
      String t = text();
      if (t != null) {
        out.add(t);
      }
    }
    return out;
  }

  /** A mapping of names to single values. */
  Map<String, String> stringMap() {
    Map<String, String> out = new LinkedHashMap<>();
    if (!expectMapping()) {
      return out;
    }
    for (String key : entries().keySet()) {
      read.add(key);
      NodeTuple t = entries().get(key);
      ConfigNode value = new ConfigNode(t.getValueNode(), join(key), problems);
      String v = isNull(t.getValueNode()) ? "" : value.text();
      if (v != null) {
        out.put(key, v);
      }
    }
    return out;
  }

  /** The items of a list; a problem and none when this is not a list. */
  List<ConfigNode> items() {
    List<ConfigNode> out = new ArrayList<>();
    if (!(node instanceof SequenceNode)) {
      problem("expected a list, got " + describe(node));
      return out;
    }
    List<Node> items = ((SequenceNode) node).getValue();
    for (int i = 0; i < items.size(); i++) {
      out.add(new ConfigNode(items.get(i), path + "[" + i + "]", problems));
    }
    return out;
  }

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode && n.getTag().equals(Tag.NULL);
  }

  private static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    return "'" + ((ScalarNode) n).getValue() + "'";
  }
}
