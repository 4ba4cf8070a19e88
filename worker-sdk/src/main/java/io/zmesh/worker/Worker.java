package io.zmesh.worker;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Names;
import io.zmesh.proto.Ready;
import io.zmesh.proto.Wire;
import io.zmesh.worker.internal.Connection;
import io.zmesh.worker.internal.Hosts;
import io.zmesh.worker.internal.Payloads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.agrona.collections.Long2ObjectHashMap;
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

  /** Longest wait in {@link #start()} for the broker to accept the registration: 30 s. */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);

  private enum State { NEW, STARTING, RUNNING, DRAINING, CLOSED }

  private final String name;
  private final String instanceId;
  private final String version;
  private final int concurrency;
  private final Map<String, Registration<?, ?>> handlers;
  private final StartHook startHook;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  private final Duration drainTimeout;
  private final Duration startTimeout;
  private final boolean closeOnShutdown;
  private final MeshOptions options;
  private final Connection connection;
  private final Ready ready;

  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private final CompletableFuture<Worker> registration = new CompletableFuture<>();
  /** Requests of the current connection being handled, by id. I/O thread only. */
  private final Long2ObjectHashMap<Context> inFlight = new Long2ObjectHashMap<>();
  /** Requests received and not yet answered, on any connection; guarded by drainMonitor. */
  private int unanswered;
  private final Object drainMonitor = new Object();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile boolean readyToRegister;
  /** The connection epoch READY was last sent on; I/O thread only. */
  private long readySentEpoch = -1;
  private volatile boolean registered;
  private Thread shutdownHook;
  /** Opened by {@code ZMESH_HEALTH_PORT}; see {@link HealthEndpoint}. */
  private volatile HealthEndpoint health;

  private Worker(Builder b) {
    this.name = b.name;
    this.concurrency = b.concurrency;
    this.instanceId = b.instanceId != null ? b.instanceId
        : Hosts.localName() + ":" + ProcessHandle.current().pid() + ":"
            + INSTANCES.incrementAndGet();
    this.version = b.version;
    this.handlers = Collections.unmodifiableMap(new LinkedHashMap<>(b.handlers));
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
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      AtomicInteger n = new AtomicInteger();
      this.ownedExecutor = Executors.newFixedThreadPool(concurrency, r -> {
        Thread t = new Thread(r, "zmesh-" + name + "-handler-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      this.executor = ownedExecutor;
    }
    List<Descriptor> types = new ArrayList<>();
    for (Registration<?, ?> r : handlers.values()) {
      types.add(r.descriptor);
    }
    this.ready = Ready.newBuilder()
        .setName(name)
        .setInstanceId(instanceId)
        .setConcurrency(concurrency)
        .setPid(ProcessHandle.current().pid())
        .setHost(Hosts.localName())
        .setVersion(version)
        .addAllRequestTypes(handlers.keySet())
        .setDescriptors(Payloads.descriptorSet(types))
        .build();
    this.connection = new Connection(options, new Events());
  }

  public static Builder builder() {
    return new Builder();
  }

  public String name() {
    return name;
  }

  public String instanceId() {
    return instanceId;
  }

  public int concurrency() {
    return concurrency;
  }

  /** Whether the broker currently has this worker registered. */
  public boolean isRegistered() {
    return registered;
  }

  /** Requests received and not yet answered. */
  public int inFlight() {
    synchronized (drainMonitor) {
      return unanswered;
    }
  }

  /**
   * Connects, runs the start hook, registers, and returns once the broker accepted.
   *
   * @throws MeshException PERMISSION_DENIED or INVALID_ARGUMENT if the broker refused the
   *     registration, UNAVAILABLE if it did not answer within the start timeout, INTERNAL if
   *     the start hook threw. The worker is closed in each case.
   * @throws IllegalStateException if called twice
   */
  public Worker start() {
    CompletableFuture<Worker> started = startAsync();
    try {
      return started.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      close();
      throw Status.UNAVAILABLE.withDescription("worker '" + name + "' was not registered by "
          + options.broker() + " within " + startTimeout.toMillis() + " ms").asException(e);
    } catch (ExecutionException e) {
      close();
      throw MeshException.statusOf(e.getCause()).asException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw Status.CANCELLED.withDescription("interrupted while starting").asException(e);
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
    connection.start();
    health = HealthEndpoint.fromEnvironment(this);
    if (closeOnShutdown) {
      shutdownHook = new Thread(this::close, "zmesh-" + name + "-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdownHook);
    }
    Thread starter = new Thread(this::runStartHook, "zmesh-" + name + "-start");
    starter.setDaemon(true);
    starter.start();
    return registration;
  }

  private void runStartHook() {
    try {
      if (startHook != null) {
        startHook.onStart(this);
      }
    } catch (Exception | Error e) {
      log.error("start hook of worker '{}' failed", name, e);
      registration.completeExceptionally(Status.INTERNAL
          .withDescription("start hook of worker '" + name + "' failed: " + e).asException(e));
      return;
    }
    state.compareAndSet(State.STARTING, State.RUNNING);
    readyToRegister = true;
    connection.execute(this::register);
  }

  /** On the I/O thread: after the start hook, and again after every reconnect. */
  private void register() {
    if (!readyToRegister || !connection.isConnected() || state.get().compareTo(State.DRAINING) >= 0) {
      return;
    }
    // The start hook's hand-off and the WELCOME of the same connection can both get here; the
    // broker refuses a second READY on one connection.
    long epoch = connection.epochOnIoThread();
    if (readySentEpoch == epoch) {
      return;
    }
    readySentEpoch = epoch;
    byte[] packet = Wire.encode(
        Envelope.newBuilder().setCommand(Command.READY).setReady(ready).build());
    connection.request(packet, options.handshakeTimeout().toNanos() * 5, reply -> reply)
        .whenComplete((reply, failure) -> {
          if (failure == null) {
            registered = true;
            log.info("worker '{}' ({}) registered with {}", name, instanceId, options.broker());
            registration.complete(this);
            return;
          }
          Status status = MeshException.statusOf(failure);
          if (status.code() == Code.PERMISSION_DENIED || status.code() == Code.INVALID_ARGUMENT) {
            log.error("broker refused worker '{}': {}", name, status);
            registration.completeExceptionally(status.asException());
          } else {
            log.debug("registration of '{}' not answered: {}; retrying on reconnect", name, status);
          }
        });
  }

  @Override
  public <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.request(connection, worker, request, replyType, options);
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
    return connection.subscribe(pattern, group, type, handler, executor);
  }

  /**
   * Drains and disconnects: the broker stops routing here, in-flight requests finish (up to the
   * drain timeout), then the connection closes. Safe to call more than once and from any
   * thread, including a shutdown hook.
   */
  @Override
  public void close() {
    State s = state.get();
    while (s != State.DRAINING && s != State.CLOSED) {
      if (state.compareAndSet(s, State.DRAINING)) {
        drainAndClose(s == State.RUNNING);
        return;
      }
      s = state.get();
    }
    if (s == State.DRAINING) {
      awaitTerminationQuietly();
    }
  }

  private void drainAndClose(boolean wasRunning) {
    long end = System.nanoTime() + drainTimeout.toNanos();
    try {
      if (wasRunning && registered && connection.isConnected()) {
        byte[] drain = Wire.encode(Envelope.newBuilder().setCommand(Command.DRAIN).build());
        try {
          Payloads.await(connection.request(drain, drainTimeout.toNanos(), r -> r), drainTimeout);
        } catch (MeshException e) {
          log.debug("drain notice for '{}' not acknowledged: {}", name, e.status());
        }
      }
      registered = false;
      synchronized (drainMonitor) {
        while (unanswered > 0) {
          long left = end - System.nanoTime();
          if (left <= 0) {
            log.warn("worker '{}' closing with {} requests still in flight after {} ms",
                name, unanswered, drainTimeout.toMillis());
            break;
          }
          TimeUnit.NANOSECONDS.timedWait(drainMonitor, left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      connection.close();
      if (health != null) {
        health.close();
      }
      if (ownedExecutor != null) {
        ownedExecutor.shutdownNow();
      }
      removeShutdownHook();
      registration.completeExceptionally(
          Status.CANCELLED.withDescription("worker '" + name + "' closed").asException());
      state.set(State.CLOSED);
      terminated.countDown();
      log.info("worker '{}' ({}) stopped", name, instanceId);
    }
  }

  private void removeShutdownHook() {
    if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is already running hooks
      }
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

  private void awaitTerminationQuietly() {
    try {
      terminated.await(drainTimeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ requests

  /** Connection events, on the I/O thread. */
  private final class Events implements Connection.Listener {
    @Override
    public void onConnected(Connection c) {
      register();
    }

    @Override
    public void onDisconnected(Connection c, Status why) {
      registered = false;
      // Their answers would go to a broker that no longer knows them: let handlers see that.
      inFlight.forEach((id, ctx) -> ctx.cancelled = true);
      inFlight.clear();
    }

    @Override
    public void onRequest(Connection c, Envelope request, long epoch) {
      accept(request, epoch);
    }

    @Override
    public void onCancel(Connection c, long id) {
      Context ctx = inFlight.get(id);
      if (ctx != null) {
        ctx.cancelled = true;
      }
    }
  }

  private void accept(Envelope request, long epoch) {
    String type = Payloads.typeName(request.getPayload());
    Registration<?, ?> registration = handlers.get(type);
    if (registration == null) {
      connection.send(StatusCodec.error(request.getId(), Code.INVALID_ARGUMENT,
          "worker '" + name + "' has no handler for " + (type.isEmpty() ? "<no type>" : type)
              + "; it handles " + handlers.keySet()), epoch);
      return;
    }
    Context ctx = new Context(request, epoch);
    inFlight.put(request.getId(), ctx);
    synchronized (drainMonitor) {
      unanswered++;
    }
    try {
      executor.execute(() -> ctx.run(registration));
    } catch (RejectedExecutionException e) {
      ctx.finish(StatusCodec.error(request.getId(), Code.UNAVAILABLE,
          "worker '" + name + "' is shutting down"));
    }
  }

  /** One request being handled. */
  private final class Context implements RequestContext {
    final Envelope request;
    final long epoch;
    final long deadlineNanos;
    volatile boolean cancelled;

    Context(Envelope request, long epoch) {
      this.request = request;
      this.epoch = epoch;
      long timeout = request.getTimeoutMs() > 0
          ? TimeUnit.MILLISECONDS.toNanos(request.getTimeoutMs())
          : CallOptions.DEFAULT_TIMEOUT.toNanos();
      this.deadlineNanos = System.nanoTime() + timeout;
    }

    <T extends Message, R extends Message> void run(Registration<T, R> registration) {
      T message;
      try {
        message = Payloads.unpack(request.getPayload(), registration.type, "request");
      } catch (MeshException e) {
        finish(StatusCodec.error(request.getId(), e.status().code(), e.status().description()));
        return;
      }
      try {
        if (registration.async != null) {
          CompletionStage<R> stage = registration.async.handle(message, this);
          if (stage == null) {
            fail(registration, new NullPointerException("handler returned a null stage"));
            return;
          }
          stage.whenComplete((reply, failure) -> {
            if (failure != null) {
              fail(registration, failure);
            } else {
              reply(registration, reply);
            }
          });
        } else {
          reply(registration, registration.sync.handle(message, this));
        }
      } catch (Exception | Error e) {
        fail(registration, e);
      }
    }

    void reply(Registration<?, ?> registration, Message reply) {
      if (reply == null) {
        fail(registration, new NullPointerException("handler returned null"));
        return;
      }
      long id = request.getId();
      // Written straight to bytes: no Any, no envelope, no copy of the reply's value.
      finish(reply instanceof Any
          ? Wire.reply(id, (Any) reply) : Wire.reply(id, Payloads.typeUrl(reply), reply));
    }

    void fail(Registration<?, ?> registration, Throwable failure) {
      Throwable cause = failure;
      while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      Status status;
      if (cause instanceof MeshException) {
        status = ((MeshException) cause).status();
        log.debug("handler of '{}' for {} failed: {}", name, registration.typeName, status);
      } else {
        status = Status.HANDLER_FAILED.withDescription(
            "worker '" + name + "' failed on " + registration.typeName + ": " + cause);
        log.warn("handler of '{}' for {} failed", name, registration.typeName, cause);
      }
      finish(StatusCodec.error(request.getId(), status.code(), status.description()));
    }

    void finish(Envelope answer) {
      finish(Wire.encode(answer));
    }

    void finish(byte[] answer) {
      connection.execute(() -> {
        connection.send(answer, epoch);
        if (inFlight.get(request.getId()) == this) {
          inFlight.remove(request.getId());
        }
      });
      synchronized (drainMonitor) {
        if (--unanswered == 0) {
          drainMonitor.notifyAll();
        }
      }
    }

    @Override
    public String worker() {
      return name;
    }

    @Override
    public String instanceId() {
      return instanceId;
    }

    @Override
    public Map<String, String> headers() {
      return request.getHeadersMap();
    }

    @Override
    public Duration timeRemaining() {
      return Duration.ofNanos(deadlineNanos - System.nanoTime());
    }

    @Override
    public boolean isCancelled() {
      return cancelled || deadlineNanos - System.nanoTime() <= 0;
    }

    @Override
    public CallOptions callOptions() {
      return capped(options.callOptions());
    }

    @Override
    public <R extends Message> CompletableFuture<R> request(
        String worker, Message request, Class<R> replyType, CallOptions callOptions) {
      Duration left = timeRemaining();
      if (left.isNegative() || left.isZero()) {
        return CompletableFuture.failedFuture(Status.DEADLINE_EXCEEDED
            .withDescription("the deadline of the request being handled has passed")
            .asException());
      }
      return Payloads.request(connection, worker, request, replyType, capped(callOptions));
    }

    private CallOptions capped(CallOptions callOptions) {
      Duration left = timeRemaining();
      return left.compareTo(callOptions.timeout()) < 0 && !left.isNegative() && !left.isZero()
          ? callOptions.withTimeout(left)
          : callOptions;
    }
  }

  /** A handler and the type it takes. */
  private static final class Registration<T extends Message, R extends Message> {
    final Class<T> type;
    final Descriptor descriptor;
    final String typeName;
    final RequestHandler<T, R> sync;
    final AsyncRequestHandler<T, R> async;

    Registration(Class<T> type, RequestHandler<T, R> sync, AsyncRequestHandler<T, R> async) {
      this.type = type;
      this.descriptor = Payloads.defaultInstance(type).getDescriptorForType();
      this.typeName = descriptor.getFullName();
      this.sync = sync;
      this.async = async;
    }
  }

  /** Builds a {@link Worker}. {@link #name} and at least one handler are required. */
  public static final class Builder {
    private String name;
    private String broker;
    private MeshOptions options = MeshOptions.defaults();
    private int concurrency = DEFAULT_CONCURRENCY;
    private String instanceId;
    private String version = "";
    private final Map<String, Registration<?, ?>> handlers = new LinkedHashMap<>();
    private StartHook startHook;
    private Executor executor;
    private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
    private Duration startTimeout = DEFAULT_START_TIMEOUT;
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
      return add(new Registration<>(type, Objects.requireNonNull(handler, "handler"), null));
    }

    /** Handles requests of {@code type} asynchronously; one handler per type. */
    public <T extends Message, R extends Message> Builder handleAsync(
        Class<T> type, AsyncRequestHandler<T, R> handler) {
      return add(new Registration<>(type, null, Objects.requireNonNull(handler, "handler")));
    }

    private Builder add(Registration<?, ?> registration) {
      if (handlers.putIfAbsent(registration.typeName, registration) != null) {
        throw new IllegalArgumentException("two handlers for " + registration.typeName);
      }
      return this;
    }

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

    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
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
