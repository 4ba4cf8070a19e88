package io.zmesh.worker;

import com.google.protobuf.Message;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.proto.Names;
import io.zmesh.worker.internal.Connection;
import io.zmesh.worker.internal.Hosts;
import io.zmesh.worker.internal.Payloads;
import io.zmesh.worker.internal.Threads;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A named worker: registers with the broker under its name and answers typed requests.
 *
 * <pre>{@code
 * Worker worker = Worker.builder()
 *     .name("chat")
 *     .broker("tcp://127.0.0.1:5555")
 *     .concurrency(8)
 *     .handle(PostMessage.class, (post, ctx) -> PostAck.newBuilder().setId(42).build())
 *     .build()
 *     .start();
 * worker.awaitTermination();
 * }</pre>
 *
 * <p>Start: {@link #start()} connects, runs the {@link StartHook}, and only then sends READY,
 * so the broker routes nothing to a worker that is not ready. It returns once the broker has
 * accepted the registration.
 *
 * <p>Threads: one I/O thread owns the DEALER socket. Handlers run on the handler executor:
 * by default {@code concurrency} threads owned by the worker; one given to {@link
 * Builder#executor} is used but never shut down. The broker never has more than {@code
 * concurrency} requests outstanding at this instance. Futures of requests the worker makes
 * complete on the callback executor of its {@link MeshOptions}.
 *
 * <p>Stop: {@link #close()} (and SIGTERM, unless {@link Builder#closeOnShutdown} is off) drains:
 * the broker stops routing here, requests already routed are finished up to the drain timeout,
 * then the worker disconnects. A broker that goes away is reconnected to with backoff and the
 * worker registers again by itself.
 *
 * <p>Topics: a worker publishes and subscribes like a {@link MeshClient}. Its subscription
 * handlers run on the handler executor (beside request handlers, sharing its threads), each
 * subscription one message at a time in arrival order. Subscriptions may be made before {@link
 * #start()}, e.g. in the start hook, and are renewed after every reconnect; closing the worker
 * ends them.
 */
public final class Worker implements Requester, Publisher, Subscriber, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  /** Requests in flight at once when the builder sets none: 8. */
  public static final int DEFAULT_CONCURRENCY = 8;

  /** Longest wait for in-flight requests on close: 30 s. */
  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

  
  private enum State { NEW, STARTING, RUNNING, DRAINING, CLOSED }

  private final String name;
  private final String instanceId;
  private final int concurrency;
  private final StartHook startHook;
  private final Duration drainTimeout;
  private final Duration startTimeout;
  private final boolean closeOnShutdown;
  private final MeshOptions options;
  final Registration registration;
  private final Dispatcher dispatcher;
  final Connection connection;
  /** When {@link #start()} was called, on the options' ticker: READY reports uptime from it. */
  private volatile long startedAt;
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private Thread shutdownHook;
  /** Opened by {@code ZMESH_HEALTH_PORT}; see {@link HealthEndpoint}. */
  private volatile HealthEndpoint health;

  private Worker(Builder b) {
    this.name = b.name;
    this.concurrency = b.concurrency;
    this.instanceId = b.instanceId != null ? b.instanceId
        : Hosts.localName() + ":" + ProcessHandle.current().pid() + ":"
            + INSTANCES.incrementAndGet();
    this.startHook = b.startHook;
    this.drainTimeout = b.drainTimeout;
    this.startTimeout = b.startTimeout;
    this.closeOnShutdown = b.closeOnShutdown;
    MeshOptions.Builder ob = b.options.toBuilder();
    if (b.broker != null) {
      ob.broker(b.broker);
    }
    if ("client".equals(b.options.clientName())) {
      ob.clientName(name);
    }
    this.options = ob.build();
    this.registration = new Registration(this, b.version, b.handlers.values());
    this.dispatcher = new Dispatcher(this, Collections.unmodifiableMap(
        new LinkedHashMap<>(b.handlers)), b.executor, options.ticker());
    this.connection = new Connection(options, dispatcher, options.ticker());
  }

  /** A builder with every default; {@link Builder#name} and a handler are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The name requesters address. */
  public String name() {
    return name;
  }

  /** This instance's id, unique among the instances of its name. */
  public String instanceId() {
    return instanceId;
  }

  /** Requests this instance handles at once. */
  public int concurrency() {
    return concurrency;
  }

  /** How long this worker has been running, for READY. */
  Duration uptime() {
    return Duration.ofNanos(options.ticker().nanoTime() - startedAt);
  }

  /** Whether the broker currently has this worker registered. */
  public boolean isRegistered() {
    return registration.isRegistered();
  }

  /** Requests received and not yet answered. */
  public int inFlight() {
    return dispatcher.unanswered();
  }

  /**
   * Connects, runs the start hook, registers, and returns once the broker accepted.
   *
   * <p>Waits for the broker as long as it takes unless {@link Builder#startTimeout} says
   * otherwise: a worker may start before its broker.
   *
   * @throws MeshException PERMISSION_DENIED or INVALID_ARGUMENT if the broker refused the
   *     registration, UNAVAILABLE if it did not accept within the start timeout (when one is
   *     set), INTERNAL if the start hook threw. The worker is closed in each case.
   * @throws IllegalStateException if called twice
   */
  public Worker start() {
    startAsync();
    try {
      return registration.awaitAccepted(startTimeout);
    } catch (MeshException e) {
      close();
      throw e;
    }
  }

  /**
   * Like {@link #start()} without blocking: the start hook runs on a thread of its own. The
   * future completes when the broker accepts the first registration; it never times out by
   * itself.
   */
  public CompletableFuture<Worker> startAsync() {
    if (!state.compareAndSet(State.NEW, State.STARTING)) {
      throw new IllegalStateException("worker '" + name + "' was already started");
    }
    startedAt = options.ticker().nanoTime();
    connection.start();
    health = HealthEndpoint.fromEnvironment(this);
    if (closeOnShutdown) {
      shutdownHook = Threads.addShutdownHook("zmesh-" + name + "-shutdown", this::close);
    }
    Thread starter = new Thread(this::runStartHook, "zmesh-" + name + "-start");
    starter.setDaemon(true);
    starter.start();
    return registration.accepted();
  }

  private void runStartHook() {
    try {
      if (startHook != null) {
        startHook.onStart(this);
      }
    } catch (Exception | Error e) {
      log.error("start hook of worker '{}' failed", name, e);
      registration.accepted().completeExceptionally(Status.INTERNAL
          .withDescription("start hook of worker '" + name + "' failed: " + e).asException(e));
      return;
    }
    state.compareAndSet(State.STARTING, State.RUNNING);
    registration.allow();
    connection.execute(registration::send);
  }

  @Override
  public <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.request(connection, worker, request, replyType, options);
  }

  /** Blocks on a future that the I/O thread completes itself: one thread hand-off fewer. */
  @Override
  public <R extends Message> R call(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.call(connection, worker, request, replyType, options);
  }

  @Override
  public CallOptions callOptions() {
    return options.callOptions();
  }

  @Override
  public void publish(String topic, Message message) {
    connection.publish(topic, message);
  }

  /** Handlers run on the handler executor. */
  @Override
  public <T extends Message> Subscription subscribe(
      String pattern, String group, Class<T> type, MessageHandler<T> handler) {
    return connection.subscribe(pattern, group, type, handler, dispatcher.executor);
  }

  /**
   * Drains and disconnects: the broker stops routing here, in-flight requests finish (up to the
   * drain timeout), then the connection closes. Safe to call more than once and from any
   * thread, including a shutdown hook.
   */
  @Override
  public void close() {
    registration.withdraw();
    State s = state.get();
    while (s != State.DRAINING && s != State.CLOSED) {
      if (state.compareAndSet(s, State.DRAINING)) {
        drainAndClose(s == State.RUNNING);
        return;
      }
      s = state.get();
    }
    if (s == State.DRAINING) {
      try {
        terminated.await(drainTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void drainAndClose(boolean wasRunning) {
    long end = options.ticker().nanoTime() + drainTimeout.toNanos();
    try {
      if (wasRunning) {
        registration.drain(drainTimeout);
      }
      dispatcher.awaitAnswered(end, drainTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      connection.close();
      if (health != null) {
        health.close();
      }
      dispatcher.shutdown();
      Threads.removeShutdownHook(shutdownHook);
      registration.accepted().completeExceptionally(
          Status.CANCELLED.withDescription("worker '" + name + "' closed").asException());
      state.set(State.CLOSED);
      terminated.countDown();
      log.info("worker '{}' ({}) stopped", name, instanceId);
    }
  }

  /** Blocks until the worker is closed, by {@link #close()} or by SIGTERM. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * Blocks until the worker is closed or the timeout passes.
   *
   * @return whether it is closed
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Builds a {@link Worker}. {@link #name} and at least one handler are required. */
  public static final class Builder {
    private String name;
    private String broker;
    private MeshOptions options = MeshOptions.defaults();
    private int concurrency = DEFAULT_CONCURRENCY;
    private String instanceId;
    private String version = "";
    private final Map<String, TypedHandler<?, ?>> handlers = new LinkedHashMap<>();
    private StartHook startHook;
    private Executor executor;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    /** Null: {@link Worker#start()} waits for the broker as long as it takes. */
    private Duration startTimeout;
    private boolean closeOnShutdown = true;

    private Builder() {}

    /** The name requesters address; see docs/protocol.md for the allowed characters. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** Shorthand for the broker of {@link #options}. */
    public Builder broker(String broker) {
      this.broker = broker;
      return this;
    }

    /** How to connect; default {@link MeshOptions#defaults()}. */
    public Builder options(MeshOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Requests this instance handles at once; the broker never sends more. */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1 || concurrency > 65_536) {
        throw new IllegalArgumentException("concurrency must be in [1, 65536]: " + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    /** Defaults to {@code host:pid:n}. */
    public Builder instanceId(String instanceId) {
      this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
      return this;
    }

    /** The worker's own version, shown by {@code zmesh ls}. */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /** Handles requests of {@code type}; one handler per type. */
    public <T extends Message, R extends Message> Builder handle(
        Class<T> type, RequestHandler<T, R> handler) {
      return add(TypedHandler.of(type, Objects.requireNonNull(handler, "handler")));
    }

    /** Handles requests of {@code type} asynchronously; one handler per type. */
    public <T extends Message, R extends Message> Builder handleAsync(
        Class<T> type, AsyncRequestHandler<T, R> handler) {
      return add(TypedHandler.async(type, Objects.requireNonNull(handler, "handler")));
    }

    private Builder add(TypedHandler<?, ?> handler) {
      if (handlers.putIfAbsent(handler.typeName, handler) != null) {
        throw new IllegalArgumentException("two handlers for " + handler.typeName);
      }
      return this;
    }

    /** Runs after connecting and before READY, so nothing is routed here before it returns. */
    public Builder onStart(StartHook hook) {
      this.startHook = hook;
      return this;
    }

    /**
     * Runs handlers here instead of on {@code concurrency} threads owned by the worker. The
     * worker does not take ownership: it never shuts this executor down.
     */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /** Longest close waits for in-flight requests; default {@link Worker#DEFAULT_DRAIN_TIMEOUT}. */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Makes {@link Worker#start()} give up, with UNAVAILABLE, when the broker has not accepted
     * the registration within {@code timeout}. By default it waits as long as it takes: a worker
     * started before its broker logs that it is waiting and registers once the broker is up.
     */
    public Builder startTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("start timeout must be positive: " + timeout);
      }
      this.startTimeout = timeout;
      return this;
    }

    /** Whether SIGTERM/SIGINT close the worker gracefully (default true). */
    public Builder closeOnShutdown(boolean closeOnShutdown) {
      this.closeOnShutdown = closeOnShutdown;
      return this;
    }

    /**
     * @throws IllegalArgumentException if the name is missing, invalid or reserved, or no
     *     handler is registered
     */
    public Worker build() {
      String problem = Names.checkWorkerName(name);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (Names.isReserved(name)) {
        throw new IllegalArgumentException(
            "worker names starting with '" + Names.RESERVED_PREFIX + "' are reserved");
      }
      if (handlers.isEmpty()) {
        throw new IllegalArgumentException("worker '" + name + "' has no handler");
      }
      return new Worker(this);
    }
  }
}
