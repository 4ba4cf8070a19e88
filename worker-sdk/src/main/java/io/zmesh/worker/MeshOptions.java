package io.zmesh.worker;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How a {@link MeshClient} or {@link Worker} connects to the broker. Immutable; build with
 * {@link #builder()}. Heartbeat interval and liveness are not set here: the broker announces
 * them when the connection is made, so both ends agree.
 */
public final class MeshOptions {
  /** The broker used when neither the options nor {@code ZMESH_BROKER} name one. */
  public static final String DEFAULT_BROKER = "tcp://127.0.0.1:5555";

  /** The environment variable consulted for the broker address. */
  public static final String BROKER_ENV = "ZMESH_BROKER";

  /** First delay before reconnecting after the broker was lost: 100 ms. */
  public static final Duration DEFAULT_RECONNECT_DELAY = Duration.ofMillis(100);

  /** The reconnect delay doubles after each failed attempt up to this: 5 s. */
  public static final Duration DEFAULT_MAX_RECONNECT_DELAY = Duration.ofSeconds(5);

  /**
   * How long to wait for the broker's answer to HELLO before trying again: 2 s. While the
   * broker is down the socket keeps retrying TCP underneath, so a returning broker is found
   * quickly.
   */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);

  private final String broker;
  private final String clientName;
  private final Duration reconnectDelay;
  private final Duration maxReconnectDelay;
  private final Duration handshakeTimeout;
  private final CallOptions callOptions;
  private final Executor callbackExecutor;

  private MeshOptions(Builder b) {
    this.broker = b.broker != null ? b.broker : defaultBroker();
    this.clientName = b.clientName;
    this.reconnectDelay = b.reconnectDelay;
    this.maxReconnectDelay = b.maxReconnectDelay;
    this.handshakeTimeout = b.handshakeTimeout;
    this.callOptions = b.callOptions;
    this.callbackExecutor = b.callbackExecutor;
  }

  /** {@code $ZMESH_BROKER} if set, else {@link #DEFAULT_BROKER}. */
  public static String defaultBroker() {
    String env = System.getenv(BROKER_ENV);
    return env != null && !env.isBlank() ? env.trim() : DEFAULT_BROKER;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options with every default. */
  public static MeshOptions defaults() {
    return new Builder().build();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.broker = broker;
    b.clientName = clientName;
    b.reconnectDelay = reconnectDelay;
    b.maxReconnectDelay = maxReconnectDelay;
    b.handshakeTimeout = handshakeTimeout;
    b.callOptions = callOptions;
    b.callbackExecutor = callbackExecutor;
    return b;
  }

  /** The broker's ZeroMQ endpoint, e.g. {@code tcp://127.0.0.1:5555}. */
  public String broker() {
    return broker;
  }

  /** The name shown for this connection by {@code zmesh ls}. */
  public String clientName() {
    return clientName;
  }

  public Duration reconnectDelay() {
    return reconnectDelay;
  }

  public Duration maxReconnectDelay() {
    return maxReconnectDelay;
  }

  public Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  /** The options of requests that do not pass their own. */
  public CallOptions callOptions() {
    return callOptions;
  }

  /**
   * Where request futures are completed, or null for a thread the SDK owns. Never the I/O
   * thread: a slow callback must not stall the connection.
   */
  public Executor callbackExecutor() {
    return callbackExecutor;
  }

  /** Builds {@link MeshOptions}; every setter is optional. */
  public static final class Builder {
    private String broker;
    private String clientName = "client";
    private Duration reconnectDelay = DEFAULT_RECONNECT_DELAY;
    private Duration maxReconnectDelay = DEFAULT_MAX_RECONNECT_DELAY;
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private CallOptions callOptions = CallOptions.DEFAULT;
    private Executor callbackExecutor;

    private Builder() {}

    /** The broker endpoint; null means {@link MeshOptions#defaultBroker()}. */
    public Builder broker(String broker) {
      this.broker = broker;
      return this;
    }

    public Builder clientName(String clientName) {
      this.clientName = Objects.requireNonNull(clientName, "clientName");
      return this;
    }

    public Builder reconnectDelay(Duration initial, Duration max) {
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("need 0 < initial <= max");
      }
      this.reconnectDelay = initial;
      this.maxReconnectDelay = max;
      return this;
    }

    public Builder handshakeTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("handshake timeout must be positive");
      }
      this.handshakeTimeout = timeout;
      return this;
    }

    public Builder callOptions(CallOptions callOptions) {
      this.callOptions = Objects.requireNonNull(callOptions, "callOptions");
      return this;
    }

    /**
     * Where futures are completed. The SDK does not take ownership: it never shuts it down.
     * Null (the default) uses one thread owned by the connection, which keeps replies in order.
     */
    public Builder callbackExecutor(Executor executor) {
      this.callbackExecutor = executor;
      return this;
    }

    public MeshOptions build() {
      return new MeshOptions(this);
    }
  }
}
