package io.zmesh.proto;

/**
 * The topic and pattern grammar, shared by the broker and the SDK so both refuse the same
 * strings. docs/protocol.md ("Names and grammars") states it.
 *
 * <p>A topic is 1 to {@value #MAX_LENGTH} characters: tokens separated by {@code .}, each token
 * one or more printable ASCII characters other than {@code .}, {@code *} and {@code >}. A
 * pattern is a topic in which a whole token may be {@code *} (exactly one token) and the last
 * token may be {@code >} (one or more tokens), as in NATS.
 */
public final class Topics {
  public static final int MAX_LENGTH = 256;

  /** Topics under this prefix are the broker's own; peers may subscribe but not publish. */
  public static final String RESERVED_PREFIX = "zmesh.";

  /**
   * The default budget of one subscription, in messages and envelope bytes the broker may have
   * sent and not seen credited back (docs/protocol.md, Topics).
   */
  public static final int DEFAULT_BUDGET_MESSAGES = 512 * 1024;
  public static final long DEFAULT_BUDGET_BYTES = 64L << 20;

  public static final String ONE = "*";
  public static final String REST = ">";

  private Topics() {}

  /** Null when {@code topic} is a valid topic to publish to, otherwise why it is not. */
  public static String checkTopic(String topic) {
    return check(topic, false);
  }

  /** Null when {@code pattern} is a valid subscription pattern, otherwise why it is not. */
  public static String checkPattern(String pattern) {
    return check(pattern, true);
  }

  /**
   * Null when {@code group} is a valid name of a subscription group (1 to {@value #MAX_LENGTH}
   * printable ASCII characters, no space), otherwise why it is not. The empty group, broadcast,
   * is not a group name.
   */
  public static String checkGroup(String group) {
    return Names.checkPrintable("group name", group, MAX_LENGTH);
  }

  public static boolean isReserved(String topic) {
    return topic.startsWith(RESERVED_PREFIX);
  }

  // Checked on every publish, so a loop rather than a regular expression.
  private static String check(String s, boolean pattern) {
    String what = pattern ? "pattern" : "topic";
    if (s == null || s.isEmpty()) {
      return what + " is empty";
    }
    if (s.length() > MAX_LENGTH) {
      return what + " is longer than " + MAX_LENGTH + " characters";
    }
    int start = 0;
    int n = s.length();
    for (int i = 0; i <= n; i++) {
      if (i < n && s.charAt(i) != '.') {
        char c = s.charAt(i);
        if (c <= 0x20 || c >= 0x7f) {
          return what + " '" + s + "' holds a character other than printable ASCII";
        }
        continue;
      }
      int len = i - start;
      if (len == 0) {
        return what + " '" + s + "' has an empty token (leading, trailing or double '.')";
      }
      for (int j = start; j < i; j++) {
        char c = s.charAt(j);
        if (c == '*' || c == '>') {
          if (!pattern) {
            return "topic '" + s + "' holds a wildcard; '*' and '>' are for patterns";
          }
          if (len != 1) {
            return "pattern '" + s + "': '" + c + "' must be a whole token";
          }
          if (c == '>' && i != n) {
            return "pattern '" + s + "': '>' may only be the last token";
          }
        }
      }
      start = i + 1;
    }
    return null;
  }

  /** Whether {@code topic} matches {@code pattern}; both assumed valid. */
  public static boolean matches(String pattern, String topic) {
    int p = 0;
    int t = 0;
    int pn = pattern.length();
    int tn = topic.length();
    while (p < pn && t < tn) {
      int pe = pattern.indexOf('.', p);
      if (pe < 0) {
        pe = pn;
      }
      int te = topic.indexOf('.', t);
      if (te < 0) {
        te = tn;
      }
      int plen = pe - p;
      if (plen == 1 && pattern.charAt(p) == '>') {
        return true;
      }
      boolean one = plen == 1 && pattern.charAt(p) == '*';
      if (!one && (plen != te - t || !pattern.regionMatches(p, topic, t, plen))) {
        return false;
      }
      p = pe + 1;
      t = te + 1;
    }
    return p >= pn && t >= tn;
  }
}
