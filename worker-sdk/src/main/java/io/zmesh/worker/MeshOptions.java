package io.zmesh.worker;

import io.zmesh.Code;
import io.zmesh.CurveKeys;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.Endpoints;
import java.nio.file.Path;
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

  /**
   * The environment variable consulted for the broker's CURVE public key: the key itself (40
   * characters of Z85) or the path of its key file.
   */
  public static final String BROKER_KEY_ENV = "ZMESH_BROKER_KEY";

  /** The environment variable consulted for this process's CURVE secret key file. */
  public static final String KEY_ENV = "ZMESH_KEY";

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

  /**
   * Published messages that may wait for the I/O thread (or, while disconnected, for the
   * connection) before {@link Publisher#publish} blocks: 10,000.
   */
  public static final int DEFAULT_PUBLISH_BACKLOG = 10_000;

  /** The largest publish backlog the builder accepts: 1,000,000 packets. */
  public static final int MAX_PUBLISH_BACKLOG = 1_000_000;

  /**
   * Budget in messages each subscription asks the broker for: 0, the broker's default (524,288
   * unless the broker is configured otherwise). The broker never grants more than its own limit.
   */
  public static final int DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES = 0;

  /** Budget in bytes each subscription asks the broker for: 0, the broker's default (64 MiB). */
  public static final long DEFAULT_SUBSCRIPTION_BUDGET_BYTES = 0;

  /**
   * Requests one client or worker may have outstanding (sent or waiting to be, and not yet
   * answered) before the next fails at once with {@link Code#OVERLOADED}: 10,000, the broker's
   * default bound per connection.
   */
  public static final int DEFAULT_MAX_OUTSTANDING_REQUESTS = 10_000;

  private final String broker;
  private final String clientName;
  private final Duration reconnectDelay;
  private final Duration maxReconnectDelay;
  private final Duration handshakeTimeout;
  private final CallOptions callOptions;
  private final Executor callbackExecutor;
  private final int publishBacklog;
  private final int subscriptionBudgetMessages;
  private final long subscriptionBudgetBytes;
  private final String brokerKey;
  private final CurveKeys.Pair keyPair;
  private final int maxOutstandingRequests;
  private final Ticker ticker;

  private MeshOptions(Builder b) {
    this.maxOutstandingRequests = b.maxOutstandingRequests;
    this.broker = b.broker != null ? b.broker : defaultBroker();
    this.clientName = b.clientName;
    this.reconnectDelay = b.reconnectDelay;
    this.maxReconnectDelay = b.maxReconnectDelay;
    this.handshakeTimeout = b.handshakeTimeout;
    this.callOptions = b.callOptions;
    this.callbackExecutor = b.callbackExecutor;
    this.publishBacklog = b.publishBacklog;
    this.subscriptionBudgetMessages = b.subscriptionBudgetMessages;
    this.subscriptionBudgetBytes = b.subscriptionBudgetBytes;
    this.ticker = b.ticker;
    String brokerKeyText = b.brokerKey != null ? b.brokerKey : env(BROKER_KEY_ENV);
    this.brokerKey = brokerKeyText == null ? null : CurveKeys.publicKey(brokerKeyText);
    String keyFile = b.keyPair == null ? env(KEY_ENV) : null;
    this.keyPair = b.keyPair != null ? b.keyPair
        : keyFile != null ? CurveKeys.readPair(Path.of(keyFile)) : null;
    if ((brokerKey == null) != (keyPair == null)) {
      throw new IllegalArgumentException("CURVE needs both the broker's public key ("
          + BROKER_KEY_ENV + ", brokerKey) and this process's key pair (" + KEY_ENV
          + ", keyFile); only the " + (brokerKey == null ? "key pair" : "broker's key")
          + " was given");
    }
  }

  private static String env(String name) {
    String value = System.getenv(name);
    return value != null && !value.isBlank() ? value.trim() : null;
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
    b.publishBacklog = publishBacklog;
    b.subscriptionBudgetMessages = subscriptionBudgetMessages;
    b.subscriptionBudgetBytes = subscriptionBudgetBytes;
    b.brokerKey = brokerKey;
    b.keyPair = keyPair;
    b.maxOutstandingRequests = maxOutstandingRequests;
    b.ticker = ticker;
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

  /**
   * Published messages that may wait to be sent before {@link Publisher#publish} blocks (for at
   * most the timeout of {@link #callOptions()}, then fails with {@link Code#OVERLOADED}). They
   * wait while disconnected, and while the broker withholds publish credit because a subscriber
   * of what was published is behind.
   */
  public int publishBacklog() {
    return publishBacklog;
  }

  /** Messages each subscription asks the broker to send ahead of the handler; 0: the broker's. */
  public int subscriptionBudgetMessages() {
    return subscriptionBudgetMessages;
  }

  /** Envelope bytes each subscription asks the broker to send ahead; 0: the broker's default. */
  public long subscriptionBudgetBytes() {
    return subscriptionBudgetBytes;
  }

  /**
   * The broker's CURVE public key (Z85), or null for a plain connection. With it every packet
   * is encrypted and the broker knows this process by {@link #keyPair()}.
   */
  public String brokerKey() {
    return brokerKey;
  }

  /** This process's CURVE key pair, or null for a plain connection. */
  public CurveKeys.Pair keyPair() {
    return keyPair;
  }

  /**
   * Requests this connection may have outstanding before the next fails at once with {@link
   * Code#OVERLOADED}. Every request gets its true answer promptly: the broker holds at most
   * this many answers for the connection, so none is lost to a full queue and turned into a
   * deadline.
   */
  public int maxOutstandingRequests() {
    return maxOutstandingRequests;
  }

  /**
   * The clock every timer of the SDK reads: heartbeats, liveness, handshake timeout, reconnect
   * backoff, call deadlines, a worker's drain timeout and the deadlines of requests it handles.
   * The system's unless a test set another.
   */
  Ticker ticker() {
    return ticker;
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
    private int publishBacklog = DEFAULT_PUBLISH_BACKLOG;
    private int subscriptionBudgetMessages = DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES;
    private long subscriptionBudgetBytes = DEFAULT_SUBSCRIPTION_BUDGET_BYTES;
    private String brokerKey;
    private CurveKeys.Pair keyPair;
    private int maxOutstandingRequests = DEFAULT_MAX_OUTSTANDING_REQUESTS;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** The broker endpoint; null means {@link MeshOptions#defaultBroker()}. */
    /**
     * @throws IllegalArgumentException if {@code broker} is not {@code tcp://HOST:PORT}, {@code
     *     ipc://PATH} or {@code inproc://NAME}
     */
    public Builder broker(String broker) {
      String problem = Endpoints.check(broker, false);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
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

    /**
     * @param packets in [1, {@link #MAX_PUBLISH_BACKLOG}]; default {@link
     *     #DEFAULT_PUBLISH_BACKLOG}
     */
    public Builder publishBacklog(int packets) {
      if (packets < 1 || packets > MAX_PUBLISH_BACKLOG) {
        throw new IllegalArgumentException(
            "publish backlog must be in [1, " + MAX_PUBLISH_BACKLOG + "]: " + packets);
      }
      this.publishBacklog = packets;
      return this;
    }

    /**
     * Asks the broker for a smaller budget per subscription than its default: at most this
     * many messages, and envelope bytes, sent and not yet handled. A smaller budget bounds the
     * subscriber's memory more tightly and makes a slow subscriber lose messages sooner. 0 for
     * either means the broker's default.
     *
     * @param messages at least 0
     * @param bytes at least 0
     */
    public Builder subscriptionBudget(int messages, long bytes) {
      if (messages < 0 || bytes < 0) {
        throw new IllegalArgumentException(
            "subscription budget must not be negative: " + messages + " messages, " + bytes
                + " bytes");
      }
      this.subscriptionBudgetMessages = messages;
      this.subscriptionBudgetBytes = bytes;
      return this;
    }

    /** Replaces the system clock, for tests that move time instead of waiting for it. */
    Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Connects with CurveZMQ to a broker whose public key is {@code keyOrFile}: the key itself
     * (40 characters of Z85) or the path of its key file. Null (the default) consults {@code
     * $ZMESH_BROKER_KEY}, and without it the connection is plain. Needs {@link #keyFile} or
     * {@link #keyPair} as well.
     */
    public Builder brokerKey(String keyOrFile) {
      this.brokerKey = keyOrFile;
      return this;
    }

    /**
     * This process's CURVE key pair, read now from its secret key file ({@code zmesh keygen}
     * writes it). Without it (the default) {@code $ZMESH_KEY} names the file, if set.
     *
     * @throws IllegalArgumentException if the file does not hold a key pair
     */
    public Builder keyFile(Path secretKeyFile) {
      this.keyPair = CurveKeys.readPair(Objects.requireNonNull(secretKeyFile, "secretKeyFile"));
      return this;
    }

    /**
     * @param requests at least 1; default {@link #DEFAULT_MAX_OUTSTANDING_REQUESTS}. More than
     *     the broker's bound per connection only trades local OVERLOADED answers for the
     *     broker's.
     */
    public Builder maxOutstandingRequests(int requests) {
      if (requests < 1) {
        throw new IllegalArgumentException("max outstanding requests must be at least 1: "
            + requests);
      }
      this.maxOutstandingRequests = requests;
      return this;
    }

    /** This process's CURVE key pair; see {@link #keyFile}. */
    public Builder keyPair(CurveKeys.Pair pair) {
      this.keyPair = pair;
      return this;
    }

    /**
     * @throws IllegalArgumentException if only one of the broker's key and this process's key
     *     pair is known, or a key or key file given by the environment does not read
     */
    public MeshOptions build() {
      return new MeshOptions(this);
    }
  }
}
