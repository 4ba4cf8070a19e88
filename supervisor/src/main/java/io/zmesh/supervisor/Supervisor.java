package io.zmesh.supervisor;

import io.zmesh.Status;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.broker.BrokerService.Access;
import io.zmesh.broker.BrokerService;
import io.zmesh.broker.WorkerEvent;
import io.zmesh.broker.WorkerListener;
import io.zmesh.core.internal.Ticker;
import io.zmesh.proto.AppReply;
import io.zmesh.proto.AppRequest;
import io.zmesh.proto.AppStatus;
import io.zmesh.proto.DownReply;
import io.zmesh.proto.DownRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.LogsReply;
import io.zmesh.proto.LogsRequest;
import io.zmesh.proto.ScaleRequest;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a broker and every app of an {@link Ecosystem} in this process, as {@code zmesh up}
 * does: each instance a child process, online once it registered READY, restarted with
 * backoff when it dies, replaced one by one without a failed request on reload.
 *
 * <pre>{@code
 * try (Supervisor s = Supervisor.start(Ecosystem.load(Path.of("mesh.yaml")))) {
 *   Supervisor.Startup up = s.started().get();   // every instance online or failed
 *   s.awaitTermination();                         // until `zmesh down` or close()
 * }
 * }</pre>
 *
 * <p>Commands reach it through the broker's services {@value #STATUS}, {@value #LOGS} (read)
 * and {@value #RESTART}, {@value #RELOAD}, {@value #SCALE}, {@value #DOWN} (write): each
 * {@code zmesh} command is one request to one of them.
 *
 * <p>Threads: the broker's loop; one control thread that owns every table of the supervisor
 * and starts every child (see {@link Launcher} for why one); the broker's service threads, which
 * wait on the control thread's futures; two threads per child copying its output to its logs.
 */
public final class Supervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

  /** Every app and instance, with CPU, memory and the broker's counters ({@code zmesh ls}). */
  public static final String STATUS = "zmesh.supervisor.status";
  /** The newest lines of the instances' output ({@code zmesh logs}). */
  public static final String LOGS = "zmesh.supervisor.logs";
  /** Stops and starts each instance of an app in turn ({@code zmesh restart}). */
  public static final String RESTART = "zmesh.supervisor.restart";
  /** Replaces each instance in turn, the new one ready before the old stops. */
  public static final String RELOAD = "zmesh.supervisor.reload";
  /** Sets an app's number of instances ({@code zmesh scale}). */
  public static final String SCALE = "zmesh.supervisor.scale";
  /** Stops every instance, then the broker and the supervisor ({@code zmesh down}). */
  public static final String DOWN = "zmesh.supervisor.down";

  /** How often CPU and memory are sampled and memory limits checked: 1 s. */
  static final Duration SAMPLE_INTERVAL = Duration.ofSeconds(1);

  /** How many instances came online at start and how many failed to. */
  public record Startup(int online, int failed) {}

  private final Ecosystem ecosystem;
  private final ScheduledExecutorService exec;
  private final Control control;
  private final Broker broker;
  private final CompletableFuture<Startup> started;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final long startedAt = System.nanoTime();
  private final Map<Path, RotatingLog> files = new HashMap<>();
  private final Launcher launcher;
  private final String brokerKey;
  private boolean closed;

  private Supervisor(Ecosystem eco, ScheduledExecutorService exec, Relay relay,
      Consumer<BrokerOptions.Builder> brokerSettings) {
    this.ecosystem = eco;
    this.exec = exec;
    BrokerOptions.Builder options = eco.brokerOptions();
    brokerSettings.accept(options);
    options.workerListener(relay);
    options.service(BrokerService.of(STATUS, Access.READ, StatusRequest.class, this::status));
    options.service(BrokerService.of(LOGS, Access.READ, LogsRequest.class, this::logs));
    options.service(BrokerService.of(RESTART, Access.WRITE, AppRequest.class,
        r -> appReply(r.getApp(), "restarted", Control::restart)));
    options.service(BrokerService.of(RELOAD, Access.WRITE, AppRequest.class,
        r -> appReply(r.getApp(), "reloaded", Control::reload)));
    options.service(BrokerService.of(SCALE, Access.WRITE, ScaleRequest.class, this::scale));
    options.service(BrokerService.of(DOWN, Access.WRITE, DownRequest.class, this::down));
    BrokerOptions built = options.build();
    this.broker = Broker.start(built);
    LogBook book = new LogBook(eco.logLines());
    // With CURVE every instance is given the broker's public key, as it is given its address.
    this.brokerKey = built.curveKeys() == null ? null : built.curveKeys().publicKey();
    this.launcher = new Launcher(broker.endpoint(), brokerKey, book, this::file);
    this.control = new Control(exec, eco, broker, launcher, book, Ticker.system());
    relay.control = control;
    this.started = onControl(control::startAll)
        .thenApply(counts -> new Startup(counts[0], counts[1]));
    exec.scheduleWithFixedDelay(this::sample, SAMPLE_INTERVAL.toMillis(),
        SAMPLE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A periodic task that throws is never run again: sampling must not. */
  private void sample() {
    try {
      control.sample();
    } catch (RuntimeException e) {
      log.warn("sampling the instances failed", e);
    }
  }

  /**
   * Starts the broker and every app's instances; returns at once (see {@link #started()}).
   *
   * @throws IllegalArgumentException if the broker cannot bind its endpoints
   */
  public static Supervisor start(Ecosystem ecosystem) {
    return start(ecosystem, b -> { });
  }

  /**
   * {@link #start(Ecosystem)} with more broker settings than the file's ({@code
   * brokerSettings} sees the file's first), e.g. a request listener for metrics; the
   * supervisor's own listener and services are set after it.
   *
   * @throws IllegalArgumentException if the broker cannot bind its endpoints
   */
  public static Supervisor start(Ecosystem ecosystem,
      Consumer<BrokerOptions.Builder> brokerSettings) {
    // The control thread starts every child, so it must live as long as the supervisor: a
    // scheduled executor wraps each task, and a task that throws never ends its thread.
    ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "zmesh-supervisor");
      t.setDaemon(true);
      return t;
    });
    try {
      return new Supervisor(ecosystem, exec, new Relay(exec), brokerSettings);
    } catch (RuntimeException e) {
      exec.shutdownNow();
      throw e;
    }
  }

  /** Completes once every instance asked for at start is online or failed to start. */
  public CompletableFuture<Startup> started() {
    return started;
  }

  /** The broker this supervisor runs. */
  public Broker broker() {
    return broker;
  }

  /** The broker's bound endpoints. */
  public List<String> endpoints() {
    return broker.endpoints();
  }

  /**
   * The broker's CURVE public key in Z85 (what clients and instances are given as {@code
   * ZMESH_BROKER_KEY}), or null when the broker is plain.
   */
  public String brokerKey() {
    return brokerKey;
  }

  /** The file it runs. */
  public Ecosystem ecosystem() {
    return ecosystem;
  }

  /** Blocks until {@code zmesh down} or {@link #close()} has stopped everything. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Blocks until stopped or the timeout passes; whether it stopped. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Drains and stops every instance (each killed past its stop timeout), then the broker.
   * Idempotent; safe from a shutdown hook.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        awaitQuietly();
        return;
      }
      closed = true;
    }
    try {
      stopInstances();
      launcher.awaitPumps(2_000); // the instances' last lines reach their logs
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      broker.close();
      exec.shutdownNow();
      synchronized (files) {
        files.values().forEach(RotatingLog::close);
      }
      terminated.countDown();
      log.info("supervisor stopped");
    }
  }

  private void awaitQuietly() {
    try {
      terminated.await(5, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int stopInstances() {
    try {
      return await(onControl(control::stopAll), longestStop());
    } catch (RuntimeException e) {
      log.warn("instances did not all stop: {}", e.toString());
      return 0;
    }
  }

  private Duration longestStop() {
    Duration d = Duration.ZERO;
    for (AppSpec a : ecosystem.apps()) {
      d = a.stopTimeout.compareTo(d) > 0 ? a.stopTimeout : d;
    }
    return d.plusSeconds(15);
  }

  /** The one writer of each log path, shared by an instance and its replacement. */
  private RotatingLog file(Path path, AppSpec spec) {
    synchronized (files) {
      return files.computeIfAbsent(path, p -> new RotatingLog(p, spec.logMaxSize, spec.logKeep));
    }
  }

  // ------------------------------------------------------------ services (service threads)

  private <T> CompletableFuture<T> onControl(Supplier<CompletableFuture<T>> op) {
    return CompletableFuture.supplyAsync(op, exec).thenCompose(f -> f);
  }

  private static <T> T await(CompletableFuture<T> f, Duration timeout) {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException(cause);
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription("the supervisor did not finish within "
          + timeout.toMillis() + " ms").asException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asException();
    }
  }

  private ListWorkersReply brokerView() {
    try {
      return broker.workers().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return ListWorkersReply.getDefaultInstance();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ListWorkersReply.getDefaultInstance();
    }
  }

  private SupervisorStatus status(StatusRequest request) {
    ListWorkersReply workers = brokerView();
    return await(CompletableFuture.supplyAsync(() -> {
      if (!request.getApp().isEmpty()) {
        control.app(request.getApp());
      }
      long now = System.nanoTime();
      SupervisorStatus.Builder s = SupervisorStatus.newBuilder()
          .setPid(ProcessHandle.current().pid())
          .addAllEndpoints(broker.endpoints())
          .setFile(ecosystem.file().toString())
          .setUptimeMs((now - startedAt) / Ticker.MS);
      java.util.Set<String> supervised = new java.util.HashSet<>();
      for (App app : control.apps.values()) {
        AppStatus a = StatusView.app(app, workers, now);
        a.getInstanceList().forEach(i -> supervised.add(i.getInstanceId()));
        if (request.getApp().isEmpty() || request.getApp().equals(app.spec.name)) {
          s.addApps(a);
        }
      }
      if (request.getApp().isEmpty()) {
        for (io.zmesh.proto.WorkerInfo w : workers.getWorkersList()) {
          if (!supervised.contains(w.getInstanceId())) {
            s.addUnsupervised(w.getName() + "/" + w.getInstanceId() + " (pid " + w.getPid()
                + ")");
          }
        }
      }
      return s.build();
    }, exec), Duration.ofSeconds(10));
  }

  private LogsReply logs(LogsRequest request) {
    if (!request.getApp().isEmpty()) {
      await(CompletableFuture.supplyAsync(() -> control.app(request.getApp()), exec),
          Duration.ofSeconds(10));
    }
    int lines = request.getLines() == 0 ? 100 : (int) Math.min(request.getLines(), 100_000);
    return LogsReply.newBuilder()
        .addAllLines(control.book.read(request.getApp(), request.getAfter(), lines))
        .setLast(control.book.last())
        .build();
  }

  private AppReply appReply(String name, String verb,
      java.util.function.BiFunction<Control, App, CompletableFuture<int[]>> op) {
    long t0 = System.nanoTime();
    int[] counts = await(onControl(() -> op.apply(control, control.app(name))),
        Duration.ofHours(1));
    return reply(name, verb + " " + counts[0] + " of " + (counts[0] + counts[1])
        + " instances in " + seconds(System.nanoTime() - t0), counts[1]);
  }

  private AppReply scale(ScaleRequest request) {
    if (request.getInstances() > 1000) {
      throw new IllegalArgumentException("at most 1000 instances: " + request.getInstances());
    }
    long t0 = System.nanoTime();
    int n = request.getInstances();
    int[] counts = await(onControl(() -> control.scale(control.app(request.getApp()), n)),
        Duration.ofHours(1));
    return reply(request.getApp(), "scaled to " + n + " instances in "
        + seconds(System.nanoTime() - t0) + (counts[1] > 0 ? "; " + counts[1]
        + " did not come online" : ""), counts[1]);
  }

  private AppReply reply(String name, String message, int failed) {
    SupervisorStatus s = status(StatusRequest.newBuilder().setApp(name).build());
    return AppReply.newBuilder()
        .setApp(s.getApps(0))
        .setMessage(message)
        .setFailed(failed)
        .build();
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  private DownReply down(DownRequest request) {
    int stopped = stopInstances();
    // The reply leaves before the broker closes: close on another thread, a moment later.
    Thread closer = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      close();
    }, "zmesh-supervisor-down");
    closer.start();
    return DownReply.newBuilder()
        .setPid(ProcessHandle.current().pid())
        .setStopped(stopped)
        .build();
  }

  /** Hands the broker loop's events to the control thread; never blocks the loop. */
  private static final class Relay implements WorkerListener {
    private final ScheduledExecutorService exec;
    volatile Control control;

    Relay(ScheduledExecutorService exec) {
      this.exec = exec;
    }

    @Override
    public void onReady(WorkerEvent instance) {
      Control c = control;
      if (c != null) {
        exec.execute(() -> c.onReady(instance));
      }
    }

    @Override
    public void onLeft(WorkerEvent instance) {
      Control c = control;
      if (c != null) {
        exec.execute(() -> c.onLeft(instance));
      }
    }
  }
}
