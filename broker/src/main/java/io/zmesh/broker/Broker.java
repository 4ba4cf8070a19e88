package io.zmesh.broker;

import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.zeromq.ZMQ;

/**
 * The zmesh broker: a ROUTER socket that knows every worker, checks their health and routes
 * every packet.
 *
 * <pre>{@code
 * try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build())) {
 *   String endpoint = broker.endpoints().get(0);
 *   ...
 * }
 * }</pre>
 *
 * <p>Threads: one event-loop thread, started by {@link #start}, owns the socket and all tables;
 * this object only starts and stops it, and hands it tasks ({@link #holdRequests}, {@link
 * #drain}, {@link #workers}) that run there. The handlers of {@link BrokerService}s run on a
 * pool of at most {@link BrokerService#MAX_CONCURRENT_CALLS} service threads, a {@link
 * WorkerListener} on the loop thread. An {@link Error} on the loop thread or on one of JeroMQ's
 * stops the broker and runs {@link BrokerOptions#fatalErrorHandler()}.
 */
public final class Broker implements AutoCloseable {
  private final ZMQ.Context context;
  private final Thread thread;
  private final List<String> endpoints;
  private final BrokerLoop loop;
  private final FatalErrors fatal;
  private final ZapHandler zap;
  private boolean closed;

  private Broker(ZMQ.Context context, Thread thread, List<String> endpoints, BrokerLoop loop,
      FatalErrors fatal, ZapHandler zap) {
    this.context = context;
    this.fatal = fatal;
    this.zap = zap;
    this.thread = thread;
    this.endpoints = endpoints;
    this.loop = loop;
  }

  /**
   * Binds every endpoint and starts serving.
   *
   * @throws BindException if an endpoint cannot be bound (in use, malformed)
   * @throws IllegalArgumentException if the allow-list does not read
   */
  public static Broker start(BrokerOptions options) {
    Objects.requireNonNull(options, "options");
    FatalErrors fatal = new FatalErrors(options.fatalErrorHandler());
    AccessControl access = options.allowList() == null ? null
        : new AccessControl(options.allowList());
    ZMQ.Context context = Sockets.newContext(0, fatal);
    ZapHandler zap = null;
    if (access != null) {
      // Bound before the ROUTER: a CURVE handshake with no handler lets every key in.
      zap = new ZapHandler(context, access, fatal);
      try {
        zap.start();
      } catch (RuntimeException e) {
        context.term();
        throw e;
      }
    }
    CompletableFuture<List<String>> bound = new CompletableFuture<>();
    BrokerLoop loop = new BrokerLoop(options, context, bound, fatal, access);
    fatal.watch(loop);
    loop.zap = zap;
    Thread thread = new Thread(loop, "zmesh-broker");
    thread.start();
    List<String> endpoints;
    try {
      endpoints = bound.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      join(thread);
      if (zap != null) {
        zap.stop();
      }
      context.term();
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException) {
        throw (IllegalArgumentException) cause;
      }
      throw new IllegalStateException("broker failed to start: " + cause, cause);
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("broker did not start", e);
    }
    return new Broker(context, thread, List.copyOf(endpoints), loop, fatal, zap);
  }

  private static void join(Thread thread) {
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The bound endpoints, with wildcard ports resolved (e.g. {@code tcp://127.0.0.1:40123}). */
  public List<String> endpoints() {
    return endpoints;
  }

  /** The first bound endpoint: what clients of a single-endpoint broker connect to. */
  public String endpoint() {
    return endpoints.get(0);
  }

  /** Whether the event loop is still running. */
  public boolean isRunning() {
    return thread.isAlive();
  }

  /** Blocks until the broker stops (by {@link #close()} or a fatal error). */
  public void awaitTermination() throws InterruptedException {
    thread.join();
  }

  /**
   * Whether requests to worker {@code name} that find no instance registered wait at the broker
   * for one, up to their deadline, instead of failing with NO_WORKER at once, as if each asked
   * {@code wait_for_worker}. A supervisor holds the names it runs, so a request that arrives
   * while every instance restarts is served by the next one. Any thread; takes effect on the
   * loop's next iteration.
   *
   * @throws IllegalArgumentException if {@code name} is not a valid worker name
   */
  public void holdRequests(String name, boolean hold) {
    String problem = Names.checkWorkerName(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    loop.execute(() -> {
      if (hold) {
        loop.router.held.add(name);
      } else {
        loop.router.held.remove(name);
      }
    });
  }

  /**
   * Routes nothing new to the instance with id {@code instanceId}, as its own DRAIN would; what
   * it holds stays with it. The future tells whether such an instance was registered. Any
   * thread.
   */
  public CompletableFuture<Boolean> drain(String instanceId) {
    Objects.requireNonNull(instanceId, "instanceId");
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    loop.execute(() -> done.complete(Hooks.drain(loop.router, instanceId)));
    return done;
  }

  /**
   * What {@code zmesh.workers} answers, read in-process: every instance with its counters, and
   * every group. Any thread.
   */
  public CompletableFuture<ListWorkersReply> workers() {
    CompletableFuture<ListWorkersReply> done = new CompletableFuture<>();
    loop.execute(() -> done.complete(new AdminService(loop)
        .workers(ListWorkersRequest.getDefaultInstance(), loop.now())));
    return done;
  }

  /** What {@code zmesh.topics} answers, read in-process: every subscription. Any thread. */
  public CompletableFuture<ListTopicsReply> topics() {
    CompletableFuture<ListTopicsReply> done = new CompletableFuture<>();
    loop.execute(() -> done.complete(new AdminService(loop)
        .topics(ListTopicsRequest.getDefaultInstance(), loop.now())));
    return done;
  }

  /** What {@code zmesh.stats} answers, read in-process: counters and totals. Any thread. */
  public CompletableFuture<BrokerStats> stats() {
    CompletableFuture<BrokerStats> done = new CompletableFuture<>();
    loop.execute(() -> done.complete(new AdminService(loop).stats(loop.now())));
    return done;
  }

  /** Makes the loop run one iteration now, so tests that move a fake clock see its effect. */
  void wakeUp() {
    loop.wake();
  }

  /**
   * Sends every peer DISCONNECT (so they reconnect at once), waits up to a second for those to
   * leave, stops the loop and releases the sockets. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    loop.stop();
    join(thread);
    if (zap != null) {
      zap.stop();
    }
    if (fatal.reported()) {
      // A dead JeroMQ thread never acknowledges the termination, and term() would wait for it.
      return;
    }
    context.term();
  }

  BrokerLoop loop() {
    return loop;
  }

  ZMQ.Context context() {
    return context;
  }
}
