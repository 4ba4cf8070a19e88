package io.zmesh.supervisor;

import io.zmesh.CurveKeys;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.broker.Policy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@code broker} section of an ecosystem file: every field read as {@code zmesh broker}'s
 * option of the same name is, through the same {@link BrokerOptions.Builder} method, so the
 * checks and defaults are the same; each refusal is reported at its field.
 */
final class BrokerSection {
  private static final List<String> FIELDS = List.of("bind", "heartbeat", "liveness",
      "max_message_bytes", "queue_limit", "queue_bytes", "connection_requests",
      "max_connections", "max_worker_names", "memory_budget", "registration_window",
      "request_timeout", "max_request_timeout", "cancel_grace", "policy", "policy_for",
      "subscription_budget", "subscription_budget_bytes", "connection_budget",
      "connection_budget_bytes", "publish_window", "publish_window_bytes",
      "slow_subscriber_timeout", "curve_key", "allow", "require_curve");
  private static final Duration MILLISECOND = Duration.ofMillis(1);

  private BrokerSection() {}

  /**
   * Reads section {@code b}: its endpoints into {@code binds}, its settings into {@code out} in
   * the file's order; problems go to the file's list through {@code b}.
   */
  static void read(ConfigNode b, Path dir, List<String> binds,
      List<Consumer<BrokerOptions.Builder>> out) {
    if (!b.expectMapping()) {
      return;
    }
    // Every value goes through the builder method zmesh broker's option uses, so the checks
    // and defaults are the same; a refusal is reported at the field.
    List<Setting> settings = new ArrayList<>();
    ConfigNode v;
    if ((v = b.get("bind")) != null) {
      binds.addAll(v.strings());
    }
    setting(b, settings, "heartbeat", n -> n.duration(MILLISECOND),
        BrokerOptions.Builder::heartbeatInterval);
    setting(b, settings, "liveness", n -> n.integer(1, 1000), BrokerOptions.Builder::liveness);
    setting(b, settings, "max_message_bytes", n -> n.size(1024),
        (x, n) -> x.maxMessageBytes((int) Math.min(Integer.MAX_VALUE, n)));
    setting(b, settings, "queue_limit", n -> n.integer(0, Integer.MAX_VALUE),
        BrokerOptions.Builder::queueLimit);
    setting(b, settings, "queue_bytes", n -> n.size(0), BrokerOptions.Builder::queueBytes);
    setting(b, settings, "connection_requests", BrokerSection::anyInt,
        BrokerOptions.Builder::connectionRequests);
    setting(b, settings, "max_connections", BrokerSection::anyInt,
        BrokerOptions.Builder::maxConnections);
    setting(b, settings, "max_worker_names", BrokerSection::anyInt,
        BrokerOptions.Builder::maxWorkerNames);
    setting(b, settings, "memory_budget", n -> n.size(0), BrokerOptions.Builder::memoryBudget);
    setting(b, settings, "registration_window", n -> n.duration(Duration.ZERO),
        BrokerOptions.Builder::registrationWindow);
    setting(b, settings, "request_timeout", n -> n.duration(MILLISECOND),
        BrokerOptions.Builder::defaultRequestTimeout);
    setting(b, settings, "max_request_timeout", n -> n.duration(MILLISECOND),
        BrokerOptions.Builder::maxRequestTimeout);
    setting(b, settings, "cancel_grace", n -> n.duration(MILLISECOND),
        BrokerOptions.Builder::cancelGrace);
    setting(b, settings, "slow_subscriber_timeout", n -> n.duration(MILLISECOND),
        BrokerOptions.Builder::slowSubscriberTimeout);
    setting(b, settings, "policy", BrokerSection::policy, BrokerOptions.Builder::policy);
    if ((v = b.get("policy_for")) != null) {
      for (String name : v.stringMap().keySet()) {
        ConfigNode item = v.get(name);
        Policy p = item == null ? null : policy(item);
        add(item, settings, p, x -> x.policy(name, p));
      }
    }
    // As zmesh broker: an unset half of the subscription budget follows a lower connection
    // budget.
    long[] connection = limit(b, settings, "connection_budget",
        BrokerOptions.DEFAULT_CONNECTION_BUDGET_MESSAGES,
        BrokerOptions.DEFAULT_CONNECTION_BUDGET_BYTES, BrokerOptions.Builder::connectionBudget);
    limit(b, settings, "subscription_budget",
        (int) Math.min(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES, connection[0]),
        Math.min(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_BYTES, connection[1]),
        BrokerOptions.Builder::subscriptionBudget);
    limit(b, settings, "publish_window", BrokerOptions.DEFAULT_PUBLISH_WINDOW_MESSAGES,
        BrokerOptions.DEFAULT_PUBLISH_WINDOW_BYTES, BrokerOptions.Builder::publishWindow);
    readCurve(b, dir, settings);
    b.finish(FIELDS);
    settings.sort(Comparator.comparingInt(x -> x.at.line()));
    for (Setting x : settings) {
      out.add(x.apply);
    }
    // The settings must also fit together, as BrokerOptions checks them (a request timeout
    // above the maximum, budgets that do not hold a message). The problem is reported at the
    // last field, in the file's order, without which they would fit.
    String misfit = misfit(settings, null);
    if (misfit != null) {
      ConfigNode at = b;
      for (Setting x : settings) {
        if (misfit(settings, x) == null) {
          at = x.at;
        }
      }
      at.problem(misfit);
    }
  }

  /** The builder's complaint about {@code settings} without {@code left}, or null if none. */
  private static String misfit(List<Setting> settings, Setting left) {
    try {
      BrokerOptions.Builder x = BrokerOptions.builder();
      for (Setting s : settings) {
        if (s != left) {
          s.apply.accept(x);
        }
      }
      x.build();
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * {@code curve_key} (the broker's secret key file) and {@code allow} (the allow-list), read
   * as {@code zmesh broker --curve-key --allow} reads them, and {@code require_curve}.
   */
  private static void readCurve(ConfigNode b, Path dir, List<Setting> settings) {
    ConfigNode keyNode = b.get("curve_key");
    ConfigNode allowNode = b.get("allow");
    CurveKeys.Pair keys = null;
    String keyFile = keyNode == null ? null : keyNode.string();
    if (keyFile != null) {
      try {
        keys = CurveKeys.readPair(dir.resolve(keyFile));
      } catch (IllegalArgumentException e) {
        keyNode.problem(e.getMessage());
      }
    }
    String allowFile = allowNode == null ? null : allowNode.string();
    if (allowFile != null) {
      Path allow = dir.resolve(allowFile);
      if (keyNode == null) {
        allowNode.problem("'allow' needs 'curve_key', the broker's secret key file");
      }
      // Checked even when the key did not read, so that both problems are reported at once.
      CurveKeys.Pair server = keys != null ? keys : CurveKeys.generate();
      add(allowNode, settings, allow, x -> x.curve(server, allow));
    } else if (keyNode != null) {
      keyNode.problem("'curve_key' needs 'allow', the allow-list of the keys that may connect");
    }
    ConfigNode required = b.get("require_curve");
    Boolean require = required == null ? null : required.bool();
    if (Boolean.TRUE.equals(require) && keyNode == null) {
      required.problem("CURVE is required but 'curve_key' and 'allow' are not given");
    } else {
      add(required, settings, require, x -> x.requireCurve(require));
    }
  }

  private static Integer anyInt(ConfigNode n) {
    return n.integer(Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  /** One field's setting of the builder, with the field it came from. */
  private record Setting(ConfigNode at, Consumer<BrokerOptions.Builder> apply) {}

  /** Field {@code key}, read by {@code read} and set by {@code set}, when present. */
  private static <T> void setting(ConfigNode b, List<Setting> settings, String key,
      Function<ConfigNode, T> read, BiConsumer<BrokerOptions.Builder, T> set) {
    ConfigNode v = b.get(key);
    if (v != null) {
      T value = read.apply(v);
      add(v, settings, value, x -> set.accept(x, value));
    }
  }

  /**
   * A limit in messages ({@code KEY}) and bytes ({@code KEY_bytes}), set together, the half not
   * given at its default.
   *
   * @return the messages and bytes it sets, the defaults when not given or not valid
   */
  private static long[] limit(ConfigNode b, List<Setting> settings, String key, int messages,
      long bytes, Limit setter) {
    ConfigNode m = b.get(key);
    ConfigNode by = b.get(key + "_bytes");
    if (m == null && by == null) {
      return new long[] {messages, bytes};
    }
    // Boxed on both sides: a value that did not read is null, not unboxed.
    Integer n = m == null ? Integer.valueOf(messages)
        : m.integer(1, BrokerOptions.MAX_BUDGET_MESSAGES);
    Long size = by == null ? Long.valueOf(bytes) : by.size(1024);
    add(m != null ? m : by, settings, n == null || size == null ? null : n,
        x -> setter.set(x, n, size));
    return n == null || size == null ? new long[] {messages, bytes} : new long[] {n, size};
  }

  /** {@link BrokerOptions.Builder#connectionBudget} and the other limits of two halves. */
  private interface Limit {
    BrokerOptions.Builder set(BrokerOptions.Builder b, int messages, long bytes);
  }

  private static Policy policy(ConfigNode v) {
    String t = v.string();
    if (t == null) {
      return null;
    }
    try {
      return Policy.parse(t);
    } catch (IllegalArgumentException e) {
      v.problem(e.getMessage());
      return null;
    }
  }

  /** Adds {@code setting} when its value was read; a builder that refuses it is a problem. */
  private static void add(ConfigNode at, List<Setting> settings, Object value,
      Consumer<BrokerOptions.Builder> setting) {
    if (value == null) {
      return;
    }
    try {
      setting.accept(BrokerOptions.builder());
      settings.add(new Setting(at, setting));
    } catch (IllegalArgumentException e) {
      at.problem(e.getMessage());
    }
  }
}
