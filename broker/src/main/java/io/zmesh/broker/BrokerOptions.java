package io.zmesh.broker;

import io.zmesh.CurveKeys;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.Endpoints;
import io.zmesh.proto.Names;
import io.zmesh.proto.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

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

  /**
   * Bytes of requests waiting per worker name for credit (or a first instance) before
   * OVERLOADED: 32 MiB.
   */
  public static final long DEFAULT_QUEUE_BYTES = 32L << 20;

  /**
   * Requests one connection may have accepted by the broker and not yet answered, queued or at
   * a worker, before its next one gets OVERLOADED: 10,000 (the SDK's own bound per connection
   * is the same, so an SDK client meets its own first).
   */
  public static final int DEFAULT_CONNECTION_REQUESTS = 10_000;

  /** Connections (peers that said HELLO) the broker serves at once: 10,000. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

  /** Worker names (registered, or waited for by a request) the broker holds at once: 10,000. */
  public static final int DEFAULT_MAX_WORKER_NAMES = 10_000;

  /**
   * The default memory budget's upper bound: 512 MiB, eight connections at their full {@link
   * #DEFAULT_CONNECTION_BUDGET_BYTES}, so that a few peers that stop reading do not use up what
   * every other connection's requests need.
   */
  public static final long MAX_DEFAULT_MEMORY_BUDGET = 512L << 20;

  /** Deadline of a request that carries none ({@code timeout_ms} 0): 10 s. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** The longest deadline a request may ask for; longer ones get INVALID_ARGUMENT: 1 h. */
  public static final Duration DEFAULT_MAX_REQUEST_TIMEOUT = Duration.ofHours(1);

  /**
   * Time a worker has to answer a CANCEL; an instance still holding the cancelled request after
   * it is disconnected, so its credit cannot be lost for good: 10 s.
   */
  public static final Duration DEFAULT_CANCEL_GRACE = Duration.ofSeconds(10);

  /** The largest {@code timeout_ms} the wire can carry, a uint32 of milliseconds. */
  private static final long WIRE_MAX_MS = 0xFFFF_FFFFL;

  /**
   * Messages the broker may have sent to one subscription and not seen credited back: 524,288,
   * as many as a NATS Java subscription holds pending by default. Beyond it (or {@link
   * #DEFAULT_SUBSCRIPTION_BUDGET_BYTES}) its messages are dropped and counted. A subscriber may
   * ask for less. Publishers that asked for credit are held back long before (see {@link
   * Builder#slowSubscriberTimeout}), so a budget is what a subscriber that stalls may fall
   * behind before it loses messages.
   */
  public static final int DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES = Topics.DEFAULT_BUDGET_MESSAGES;

  /** Envelope bytes outstanding per subscription: 64 MiB, NATS's pending bytes per client. */
  public static final long DEFAULT_SUBSCRIPTION_BUDGET_BYTES = Topics.DEFAULT_BUDGET_BYTES;

  /** Messages outstanding over all subscriptions of one connection: 524,288. */
  public static final int DEFAULT_CONNECTION_BUDGET_MESSAGES = Topics.DEFAULT_BUDGET_MESSAGES;

  /**
   * Bytes per connection: 64 MiB, as NATS holds pending per client connection. The one bound in
   * bytes of a connection, in two counts: what the broker sent it and it has not acknowledged
   * reading (every packet; held by the broker, in its memory budget, and beyond the bound a
   * reply becomes OVERLOADED and a topic message is dropped), and what its subscriptions have
   * outstanding, sent and not credited back (held by the subscriber). A topic message is read
   * before it is credited, so for a subscriber the second is met first.
   */
  public static final long DEFAULT_CONNECTION_BUDGET_BYTES = 64L << 20;

  /**
   * The largest message budget: the broker's send queue to each peer is sized to hold a whole
   * connection budget on top of request traffic.
   */
  public static final int MAX_BUDGET_MESSAGES = 10_000_000;

  /**
   * The exit status of a process whose broker stopped on a fatal error: 3, the same as the
   * JVM's {@code -XX:+ExitOnOutOfMemoryError}.
   */
  public static final int FATAL_EXIT_CODE = 3;

  /**
   * Messages a publisher that asked for credit (protocol 1.1) may have published and not yet
   * seen credited back: 16,384.
   */
  public static final int DEFAULT_PUBLISH_WINDOW_MESSAGES = 16_384;

  /** Bytes of PUBLISH frames a publisher may have outstanding: 2 MiB. */
  public static final long DEFAULT_PUBLISH_WINDOW_BYTES = 2L << 20;

  /**
   * How long a subscription that holds publishers back may credit nothing before it is slow
   * and publishers stop waiting for it: 1 s.
   */
  public static final Duration DEFAULT_SLOW_SUBSCRIBER_TIMEOUT = Duration.ofSeconds(1);

  /** The broker's own services: those that list, and {@code zmesh.keys.reload}. */
  static final List<String> BUILTIN_SERVICES = List.of(Names.SERVICE_WORKERS,
      Names.SERVICE_LOOKUP, Names.SERVICE_TYPES, Names.SERVICE_STATS, Names.SERVICE_TOPICS,
      Names.SERVICE_RELOAD_KEYS);

  private final List<String> binds;
  private final Duration heartbeatInterval;
  private final int liveness;
  private final int maxMessageBytes;
  private final int queueLimit;
  private final long queueBytes;
  private final int connectionRequests;
  private final int maxConnections;
  private final int maxWorkerNames;
  private final long memoryBudget;
  private final Duration defaultRequestTimeout;
  private final Duration maxRequestTimeout;
  private final Duration cancelGrace;
  private final Duration registrationWindow;
  private final Policy policy;
  private final Map<String, Policy> policies;
  private final int subscriptionBudgetMessages;
  private final long subscriptionBudgetBytes;
  private final int connectionBudgetMessages;
  private final long connectionBudgetBytes;
  private final int publishWindowMessages;
  private final long publishWindowBytes;
  private final Duration slowSubscriberTimeout;
  private final Ticker ticker;
  private final Consumer<Throwable> fatalErrorHandler;
  private final CurveKeys.Pair curveKeys;
  private final Path allowList;
  private final boolean requireCurve;
  private final WorkerListener workerListener;
  private final RequestListener requestListener;
  private final Map<String, BrokerService> services;

  private BrokerOptions(Builder b) {
    this.binds = b.binds.isEmpty()
        ? List.of(DEFAULT_BIND) : Collections.unmodifiableList(new ArrayList<>(b.binds));
    this.heartbeatInterval = b.heartbeatInterval;
    this.liveness = b.liveness;
    this.maxMessageBytes = b.maxMessageBytes;
    this.queueLimit = b.queueLimit;
    this.queueBytes = b.queueBytes;
    this.connectionRequests = b.connectionRequests;
    this.maxConnections = b.maxConnections;
    this.maxWorkerNames = b.maxWorkerNames;
    this.memoryBudget = b.memoryBudget > 0 ? b.memoryBudget : defaultMemoryBudget();
    this.defaultRequestTimeout = b.defaultRequestTimeout;
    this.maxRequestTimeout = b.maxRequestTimeout;
    this.cancelGrace = b.cancelGrace;
    this.registrationWindow = b.registrationWindow != null ? b.registrationWindow
        : heartbeatInterval.multipliedBy(liveness);
    this.policy = b.policy;
    this.policies = Collections.unmodifiableMap(new HashMap<>(b.policies));
    this.subscriptionBudgetMessages = b.subscriptionBudgetMessages;
    this.subscriptionBudgetBytes = b.subscriptionBudgetBytes;
    this.connectionBudgetMessages = b.connectionBudgetMessages;
    this.connectionBudgetBytes = b.connectionBudgetBytes;
    this.publishWindowMessages = b.publishWindowMessages;
    this.publishWindowBytes = b.publishWindowBytes;
    this.slowSubscriberTimeout = b.slowSubscriberTimeout;
    this.ticker = b.ticker;
    this.fatalErrorHandler = b.fatalErrorHandler;
    this.curveKeys = b.curveKeys;
    this.allowList = b.allowList;
    this.requireCurve = b.requireCurve;
    this.workerListener = b.workerListener;
    this.requestListener = b.requestListener;
    this.services = Collections.unmodifiableMap(new LinkedHashMap<>(b.services));
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

  /** Bytes of requests that may wait per worker name before OVERLOADED. */
  public long queueBytes() {
    return queueBytes;
  }

  /** Requests one connection may have waiting for their answers before OVERLOADED. */
  public int connectionRequests() {
    return connectionRequests;
  }

  /** Connections served at once; a HELLO beyond gets OVERLOADED. */
  public int maxConnections() {
    return maxConnections;
  }

  /** Worker names held at once; a registration or a waiting request beyond gets OVERLOADED. */
  public int maxWorkerNames() {
    return maxWorkerNames;
  }

  /**
   * Bytes of packets the whole broker may hold at once: requests waiting in queues or kept for
   * a retry, and packets sent to peers that have not read them. Beyond it new requests get
   * OVERLOADED. Default {@link #defaultMemoryBudget()}.
   */
  public long memoryBudget() {
    return memoryBudget;
  }

  /**
   * A quarter of the JVM's maximum heap, at most {@link #MAX_DEFAULT_MEMORY_BUDGET}: what the
   * packets may take leaves room for the tables, JeroMQ's buffers and the garbage collector.
   */
  public static long defaultMemoryBudget() {
    return Math.min(Runtime.getRuntime().maxMemory() / 4, MAX_DEFAULT_MEMORY_BUDGET);
  }

  public Duration defaultRequestTimeout() {
    return defaultRequestTimeout;
  }

  /** The longest {@code timeout_ms} a request may carry. */
  public Duration maxRequestTimeout() {
    return maxRequestTimeout;
  }

  /** Time a worker has to answer a CANCEL before the broker disconnects it. */
  public Duration cancelGrace() {
    return cancelGrace;
  }

  /**
   * How long after the broker starts, and after a worker name loses its last instance, a
   * request for a name without instances waits for one (as if it had set {@code
   * wait_for_worker}) before it gets NO_WORKER: by default one liveness window (heartbeat
   * interval x liveness), the time a worker takes at most to notice it lost the broker. Zero:
   * NO_WORKER at once.
   */
  public Duration registrationWindow() {
    return registrationWindow;
  }

  /** The policy of worker names without one of their own. */
  public Policy policy() {
    return policy;
  }

  /** The policy for worker {@code name}. */
  public Policy policyFor(String name) {
    return policies.getOrDefault(name, policy);
  }

  /** The most messages a subscription may have outstanding; also its default budget. */
  public int subscriptionBudgetMessages() {
    return subscriptionBudgetMessages;
  }

  /** The most envelope bytes a subscription may have outstanding; also its default budget. */
  public long subscriptionBudgetBytes() {
    return subscriptionBudgetBytes;
  }

  /** The most messages one connection's subscriptions may have outstanding together. */
  public int connectionBudgetMessages() {
    return connectionBudgetMessages;
  }

  /**
   * The most bytes of one connection: sent and not acknowledged read (announced in WELCOME as
   * {@code outbound_budget_bytes}), and outstanding over its subscriptions; see {@link
   * #DEFAULT_CONNECTION_BUDGET_BYTES}.
   */
  public long connectionBudgetBytes() {
    return connectionBudgetBytes;
  }

  /** Messages a publisher with credit may have outstanding (announced in WELCOME). */
  public int publishWindowMessages() {
    return publishWindowMessages;
  }

  /** Bytes of PUBLISH frames a publisher with credit may have outstanding. */
  public long publishWindowBytes() {
    return publishWindowBytes;
  }

  /** How long a subscription holding publishers back may credit nothing before it is slow. */
  public Duration slowSubscriberTimeout() {
    return slowSubscriberTimeout;
  }

  Ticker ticker() {
    return ticker;
  }

  /** The broker's CURVE key pair, or null for a broker without CURVE. */
  public CurveKeys.Pair curveKeys() {
    return curveKeys;
  }

  /** The allow-list file of client keys and their permissions, or null without CURVE. */
  public Path allowList() {
    return allowList;
  }

  /** Whether the broker refuses to start without CURVE. */
  public boolean requireCurve() {
    return requireCurve;
  }

  /** Runs when an Error ends a broker thread; see {@link Builder#fatalErrorHandler}. */
  public Consumer<Throwable> fatalErrorHandler() {
    return fatalErrorHandler;
  }

  /** Told on the broker loop when instances register and leave; null when none. */
  public WorkerListener workerListener() {
    return workerListener;
  }

  /** Told how each request ended; null for none. */
  public RequestListener requestListener() {
    return requestListener;
  }

  /**
   * The application's services under {@code zmesh.}, by name, each with its {@link
   * BrokerService.Access}.
   */
  public Map<String, BrokerService> services() {
    return services;
  }

  /** Builds {@link BrokerOptions}; every setter is optional. */
  public static final class Builder {
    private final List<String> binds = new ArrayList<>();
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private int liveness = DEFAULT_LIVENESS;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private int queueLimit = DEFAULT_QUEUE_LIMIT;
    private long queueBytes = DEFAULT_QUEUE_BYTES;
    private int connectionRequests = DEFAULT_CONNECTION_REQUESTS;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxWorkerNames = DEFAULT_MAX_WORKER_NAMES;
    private long memoryBudget;
    private Duration defaultRequestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration maxRequestTimeout = DEFAULT_MAX_REQUEST_TIMEOUT;
    private Duration cancelGrace = DEFAULT_CANCEL_GRACE;
    private Duration registrationWindow;
    private Policy policy = Policy.LEAST_OUTSTANDING;
    private final Map<String, Policy> policies = new HashMap<>();
    private int subscriptionBudgetMessages = DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES;
    private long subscriptionBudgetBytes = DEFAULT_SUBSCRIPTION_BUDGET_BYTES;
    private int connectionBudgetMessages = DEFAULT_CONNECTION_BUDGET_MESSAGES;
    private long connectionBudgetBytes = DEFAULT_CONNECTION_BUDGET_BYTES;
    private boolean subscriptionBudgetSet;
    private int publishWindowMessages = DEFAULT_PUBLISH_WINDOW_MESSAGES;
    private long publishWindowBytes = DEFAULT_PUBLISH_WINDOW_BYTES;
    private Duration slowSubscriberTimeout = DEFAULT_SLOW_SUBSCRIBER_TIMEOUT;
    private Ticker ticker = Ticker.system();
    private Consumer<Throwable> fatalErrorHandler = FatalErrors.HALT;
    private CurveKeys.Pair curveKeys;
    private Path allowList;
    private boolean requireCurve;
    private WorkerListener workerListener;
    private RequestListener requestListener;
    private final Map<String, BrokerService> services = new LinkedHashMap<>();

    private Builder() {}

    /** Told, on the loop thread, how each request ended (for metrics); null for none. */
    public Builder requestListener(RequestListener listener) {
      this.requestListener = listener;
      return this;
    }

    /** Told when instances register and leave (on the broker loop: it must not block). */
    public Builder workerListener(WorkerListener listener) {
      this.workerListener = listener;
      return this;
    }

    /**
     * Adds a service the application answers under the reserved prefix.
     *
     * @throws IllegalArgumentException if a service of that name was added, or the broker has
     *     one of its own by that name
     */
    public Builder service(BrokerService service) {
      String name = service.name();
      if (BUILTIN_SERVICES.contains(name) || services.containsKey(name)) {
        throw new IllegalArgumentException("a broker service named '" + name + "' exists");
      }
      services.put(name, service);
      return this;
    }

    /**
     * Adds an endpoint to bind ({@code tcp://127.0.0.1:*} picks a free port); may be called more
     * than once.
     *
     * @throws IllegalArgumentException if it is not {@code tcp://HOST:PORT}, {@code ipc://PATH}
     *     or {@code inproc://NAME}
     */
    public Builder bind(String endpoint) {
      String problem = Endpoints.check(Objects.requireNonNull(endpoint, "endpoint"), true);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      binds.add(endpoint);
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

    /** Bytes of requests that may wait per worker name; at least 1024. */
    public Builder queueBytes(long bytes) {
      this.queueBytes = atLeast("queue bytes", bytes, 1024);
      return this;
    }

    /** Requests one connection may have waiting for answers; at least 1. */
    public Builder connectionRequests(int requests) {
      this.connectionRequests = (int) atLeast("requests per connection", requests, 1);
      return this;
    }

    /** Connections served at once; at least 1. */
    public Builder maxConnections(int connections) {
      this.maxConnections = (int) atLeast("connection limit", connections, 1);
      return this;
    }

    /** Worker names held at once; at least 1. */
    public Builder maxWorkerNames(int names) {
      this.maxWorkerNames = (int) atLeast("worker name limit", names, 1);
      return this;
    }

    /** The broker-wide memory budget in bytes, at least 1 MiB; 0 for the default. */
    public Builder memoryBudget(long bytes) {
      this.memoryBudget = bytes == 0 ? 0 : atLeast("memory budget", bytes, 1 << 20);
      return this;
    }

    private static long atLeast(String what, long value, long min) {
      if (value < min) {
        throw new IllegalArgumentException(what + " must be at least " + min + ": " + value);
      }
      return value;
    }

    /** The deadline of a request whose {@code timeout_ms} is 0; at most the maximum. */
    public Builder defaultRequestTimeout(Duration timeout) {
      this.defaultRequestTimeout = checkMillis("request timeout", timeout, WIRE_MAX_MS);
      return this;
    }

    /** The longest deadline a request may ask for, at most 2^32 - 1 ms (the wire's limit). */
    public Builder maxRequestTimeout(Duration timeout) {
      this.maxRequestTimeout = checkMillis("maximum request timeout", timeout, WIRE_MAX_MS);
      return this;
    }

    /** Time a worker has to answer a CANCEL, from 1 ms to 1 h. */
    public Builder cancelGrace(Duration grace) {
      this.cancelGrace = checkMillis("cancel grace", grace, 3_600_000);
      return this;
    }

    /**
     * See {@link BrokerOptions#registrationWindow()}; zero turns it off, at most 1 h. Null (the
     * default) is one liveness window.
     */
    public Builder registrationWindow(Duration window) {
      if (window != null && (window.isNegative() || window.compareTo(Duration.ofHours(1)) > 0)) {
        throw new IllegalArgumentException("registration window must be 0 to 1 h: " + window);
      }
      this.registrationWindow = window;
      return this;
    }

    private static Duration checkMillis(String what, Duration d, long maxMs) {
      if (d.toMillis() < 1 || d.compareTo(Duration.ofMillis(maxMs)) > 0) {
        throw new IllegalArgumentException(what + " must be 1 to " + maxMs + " ms: " + d);
      }
      return d;
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

    /**
     * What one subscription may have outstanding (sent, not credited back): at most {@code
     * messages} messages and {@code bytes} envelope bytes. Must not exceed the connection
     * budget; {@code bytes} must hold a message of the largest size. Unset, it is the default,
     * or the connection budget where that is lower.
     */
    public Builder subscriptionBudget(int messages, long bytes) {
      this.subscriptionBudgetMessages = checkMessages("subscription", messages);
      this.subscriptionBudgetBytes = checkBytes("subscription", bytes);
      this.subscriptionBudgetSet = true;
      return this;
    }

    /**
     * What one connection may hold: {@code messages} topic messages outstanding over all its
     * subscriptions, and {@code bytes} both of what it has not acknowledged reading and of what
     * its subscriptions have outstanding (see {@link
     * BrokerOptions#DEFAULT_CONNECTION_BUDGET_BYTES}).
     */
    public Builder connectionBudget(int messages, long bytes) {
      this.connectionBudgetMessages = checkMessages("connection", messages);
      this.connectionBudgetBytes = checkBytes("connection", bytes);
      return this;
    }

    /**
     * What a publisher that asked for credit may have published and not seen credited back:
     * {@code messages} messages and {@code bytes} bytes of PUBLISH frames. The broker credits a
     * publish once it has sent its copies, unless a subscription it matched is behind (more
     * than an eighth of its budget outstanding): then only once that subscription has caught up
     * to a sixteenth, or is found slow.
     */
    public Builder publishWindow(int messages, long bytes) {
      if (messages < 1 || messages > MAX_BUDGET_MESSAGES || bytes < 1024) {
        throw new IllegalArgumentException("publish window must be 1 to " + MAX_BUDGET_MESSAGES
            + " messages and at least 1024 bytes: " + messages + ", " + bytes);
      }
      this.publishWindowMessages = messages;
      this.publishWindowBytes = bytes;
      return this;
    }

    /**
     * How long a subscription that holds publishers back may credit nothing before it is slow:
     * publishers stop waiting for it, and it loses what does not fit its budget, until it
     * catches up again. 1 ms to 1 h.
     */
    public Builder slowSubscriberTimeout(Duration timeout) {
      this.slowSubscriberTimeout = checkMillis("slow subscriber timeout", timeout, 3_600_000);
      return this;
    }

    private static int checkMessages(String what, int messages) {
      if (messages < 1 || messages > MAX_BUDGET_MESSAGES) {
        throw new IllegalArgumentException(what + " budget must be 1 to " + MAX_BUDGET_MESSAGES
            + " messages: " + messages);
      }
      return messages;
    }

    private static long checkBytes(String what, long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException(what + " budget must be at least 1024 bytes: " + bytes);
      }
      return bytes;
    }

    /**
     * What to do after an {@link Error} (an OutOfMemoryError, say) ended one of the broker's
     * threads, its loop or one of JeroMQ's: the error is logged and the broker stopped first,
     * then {@code handler} runs on the dying thread. The default halts the process with {@link
     * #FATAL_EXIT_CODE}, so that a supervisor restarts it rather than leaving a broker that
     * accepts connections and never answers. An embedder with its own recovery may pass
     * another.
     */
    public Builder fatalErrorHandler(Consumer<Throwable> handler) {
      this.fatalErrorHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Serves CurveZMQ only: every connection is encrypted and authenticated, and only the client
     * keys in {@code allowList} may connect, each with the permissions listed there. The file
     * (protobuf text format, {@code zmesh.v1.AccessList}; see docs/security.md) is read again
     * when it changes and on {@code zmesh.keys.reload}. It is read and checked here too, so a
     * list that does not read fails where the options are made ({@code zmesh broker --allow},
     * {@code mesh.yaml}'s {@code allow}) rather than at start.
     *
     * @param serverKeys the broker's own key pair ({@link CurveKeys#readPair} reads its file);
     *     clients are given its public key
     * @throws IllegalArgumentException naming the file and what is wrong, if the allow-list does
     *     not read
     */
    public Builder curve(CurveKeys.Pair serverKeys, Path allowList) {
      Objects.requireNonNull(serverKeys, "serverKeys");
      AccessList.read(Objects.requireNonNull(allowList, "allowList"));
      this.curveKeys = serverKeys;
      this.allowList = allowList;
      return this;
    }

    /** Refuse to start without {@link #curve} (default false: plain, with a warning off loopback). */
    public Builder requireCurve(boolean require) {
      this.requireCurve = require;
      return this;
    }

    /** Time source of every timer: tests move a fake one. */
    Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * @throws IllegalArgumentException if the budgets do not fit together (a subscription's
     *     above its connection's, or a budget in bytes below the largest message), the
     *     default request timeout exceeds the maximum, or CURVE is required without a key
     */
    public BrokerOptions build() {
      if (!subscriptionBudgetSet) {
        subscriptionBudgetMessages = Math.min(DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES,
            connectionBudgetMessages);
        subscriptionBudgetBytes = Math.min(DEFAULT_SUBSCRIPTION_BUDGET_BYTES,
            connectionBudgetBytes);
      }
      if (subscriptionBudgetMessages > connectionBudgetMessages
          || subscriptionBudgetBytes > connectionBudgetBytes) {
        throw new IllegalArgumentException("the subscription budget (" + subscriptionBudgetMessages
            + " messages, " + subscriptionBudgetBytes + " bytes) must not exceed the connection"
            + " budget (" + connectionBudgetMessages + " messages, " + connectionBudgetBytes
            + " bytes)");
      }
      if (requireCurve && curveKeys == null) {
        throw new IllegalArgumentException("CURVE is required but no broker key and allow-list"
            + " were given");
      }
      if (defaultRequestTimeout.compareTo(maxRequestTimeout) > 0) {
        throw new IllegalArgumentException("the default request timeout (" + defaultRequestTimeout
            + ") must not exceed the maximum (" + maxRequestTimeout + ")");
      }
      if (connectionBudgetBytes < maxMessageBytes) {
        throw new IllegalArgumentException("the connection budget of " + connectionBudgetBytes
            + " bytes cannot hold a message of the largest size, " + maxMessageBytes + " bytes");
      }
      if (subscriptionBudgetBytes < maxMessageBytes) {
        throw new IllegalArgumentException("the subscription budget of " + subscriptionBudgetBytes
            + " bytes cannot hold a message of the largest size, " + maxMessageBytes + " bytes");
      }
      return new BrokerOptions(this);
    }
  }
}
