package io.zmesh.broker;

import io.zmesh.worker.internal.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** How a {@link Broker} runs. Immutable; build with {@link #builder()}. */
public final class BrokerOptions {
  /** The endpoint bound when none is given. */
  public static final String DEFAULT_BIND = "tcp://127.0.0.1:5555";

  /** Heartbeats go both ways at this interval: 1 s. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

  /** A peer silent for this many intervals is dead: 3. */
  public static final int DEFAULT_LIVENESS = 3;

  /** Largest envelope accepted: 1 MiB. Larger ones get INVALID_ARGUMENT. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;

  /** Requests waiting per worker name for credit before OVERLOADED: 10,000. */
  public static final int DEFAULT_QUEUE_LIMIT = 10_000;

  /** Deadline of a request that carries none: 10 s. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final List<String> binds;
  private final Duration heartbeatInterval;
  private final int liveness;
  private final int maxMessageBytes;
  private final int queueLimit;
  private final Duration defaultRequestTimeout;
  private final Policy policy;
  private final Map<String, Policy> policies;
  private final Ticker ticker;

  private BrokerOptions(Builder b) {
    this.binds = b.binds.isEmpty()
        ? List.of(DEFAULT_BIND) : Collections.unmodifiableList(new ArrayList<>(b.binds));
    this.heartbeatInterval = b.heartbeatInterval;
    this.liveness = b.liveness;
    this.maxMessageBytes = b.maxMessageBytes;
    this.queueLimit = b.queueLimit;
    this.defaultRequestTimeout = b.defaultRequestTimeout;
    this.policy = b.policy;
    this.policies = Collections.unmodifiableMap(new HashMap<>(b.policies));
    this.ticker = b.ticker;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static BrokerOptions defaults() {
    return builder().build();
  }

  /** ZeroMQ endpoints to bind; {@code tcp://127.0.0.1:*} picks a free port. */
  public List<String> binds() {
    return binds;
  }

  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  public int liveness() {
    return liveness;
  }

  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  public int queueLimit() {
    return queueLimit;
  }

  public Duration defaultRequestTimeout() {
    return defaultRequestTimeout;
  }

  /** The policy of worker names without one of their own. */
  public Policy policy() {
    return policy;
  }

  /** The policy for worker {@code name}. */
  public Policy policyFor(String name) {
    return policies.getOrDefault(name, policy);
  }

  Ticker ticker() {
    return ticker;
  }

  /** Builds {@link BrokerOptions}; every setter is optional. */
  public static final class Builder {
    private final List<String> binds = new ArrayList<>();
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private int liveness = DEFAULT_LIVENESS;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private int queueLimit = DEFAULT_QUEUE_LIMIT;
    private Duration defaultRequestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Policy policy = Policy.LEAST_OUTSTANDING;
    private final Map<String, Policy> policies = new HashMap<>();
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** Adds an endpoint to bind; may be called more than once. */
    public Builder bind(String endpoint) {
      binds.add(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    public Builder heartbeatInterval(Duration interval) {
      if (interval.toMillis() < 1 || interval.toMillis() > 3_600_000) {
        throw new IllegalArgumentException("heartbeat interval must be in [1 ms, 1 h]: " + interval);
      }
      this.heartbeatInterval = interval;
      return this;
    }

    public Builder liveness(int liveness) {
      if (liveness < 1 || liveness > 1000) {
        throw new IllegalArgumentException("liveness must be in [1, 1000]: " + liveness);
      }
      this.liveness = liveness;
      return this;
    }

    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("max message size must be at least 1024 bytes: " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    public Builder queueLimit(int limit) {
      if (limit < 0) {
        throw new IllegalArgumentException("queue limit must not be negative: " + limit);
      }
      this.queueLimit = limit;
      return this;
    }

    public Builder defaultRequestTimeout(Duration timeout) {
      if (timeout.toMillis() < 1) {
        throw new IllegalArgumentException("request timeout must be positive: " + timeout);
      }
      this.defaultRequestTimeout = timeout;
      return this;
    }

    public Builder policy(Policy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The policy for one worker name, overriding {@link #policy}. */
    public Builder policy(String workerName, Policy policy) {
      policies.put(Objects.requireNonNull(workerName, "workerName"),
          Objects.requireNonNull(policy, "policy"));
      return this;
    }

    /** Time source of every timer: tests move a fake one. */
    Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public BrokerOptions build() {
      return new BrokerOptions(this);
    }
  }
}
