package io.zmesh.bench;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.bench.proto.ReloadReport;
import io.zmesh.proto.AppReply;
import io.zmesh.proto.AppRequest;
import io.zmesh.proto.AppStatus;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import io.zmesh.supervisor.Ecosystem;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Steady request load at a supervised worker while {@code zmesh reload} replaces every
 * instance, or while one instance is killed with SIGKILL: every request is counted, and every
 * failure by its status code. The workers are {@link SupervisedWorkerMain} processes started
 * by a {@link Supervisor} from a generated ecosystem file, and the reload is the same one
 * request {@code zmesh reload} sends.
 */
public final class ReloadBench {
  /** What happens under the load. */
  public enum Mode { RELOAD, KILL }

  /** The run's settings. */
  public record Config(Mode mode, int instances, int clients, long startDelayMs, long workMs,
      Duration before, Duration after, Path logDir) {}

  private static final String APP = "echo";

  private ReloadBench() {}

  /** The ecosystem file the run starts, as YAML. */
  static String ecosystem(Config c) {
    return "broker:\n"
        + "  bind: \"tcp://127.0.0.1:*\"\n"
        + "supervisor:\n"
        + "  pid_file: \"" + c.logDir().resolve("zmesh.pid") + "\"\n"
        + "apps:\n"
        + "  - name: " + APP + "\n"
        + "    main: " + SupervisedWorkerMain.class.getName() + "\n"
        + "    jvm_args: [-XX:TieredStopAtLevel=1, -XX:+UseSerialGC, -Xmx64m, -Xss512k]\n"
        + "    args: [--start-delay, \"" + c.startDelayMs() + "\", --work, \"" + c.workMs()
        + "\", --concurrency, \"8\"]\n"
        + "    instances: " + c.instances() + "\n"
        + "    ready_timeout: 60s\n"
        + "    restart_delay: 100ms\n"
        + "    logs:\n"
        + "      out: \"" + c.logDir().resolve("${name}-${instance}.out.log") + "\"\n"
        + "      err: \"" + c.logDir().resolve("${name}-${instance}.err.log") + "\"\n";
  }

  /** Starts the supervisor and its workers, runs the load and the reload or kill, counts. */
  public static ReloadReport run(Config c) throws Exception {
    Files.createDirectories(c.logDir());
    Ecosystem eco = Ecosystem.parse(ecosystem(c), c.logDir().resolve("mesh.yaml"));
    try (Supervisor supervisor = Supervisor.start(eco)) {
      Supervisor.Startup up = supervisor.started().get(2, TimeUnit.MINUTES);
      if (up.failed() > 0) {
        throw new IllegalStateException(up.failed() + " instances did not start; see "
            + c.logDir());
      }
      String endpoint = supervisor.endpoints().get(0);
      try (MeshClient load = MeshClient.connect(endpoint);
          MeshClient admin = MeshClient.connect(endpoint)) {
        return measure(c, load, admin);
      }
    }
  }

  private static ReloadReport measure(Config c, MeshClient load, MeshClient admin)
      throws Exception {
    List<Long> before = pids(admin);
    Loops plain = new Loops(load, false);
    Loops idempotent = new Loops(load, true);
    long t0 = System.nanoTime();
    int half = c.mode() == Mode.KILL ? c.clients() / 2 : 0;
    plain.start(c.clients() - half);
    idempotent.start(half);
    sleep(c.before());
    long opStart = System.nanoTime();
    boolean replaced;
    if (c.mode() == Mode.RELOAD) {
      admin.call(Supervisor.RELOAD, AppRequest.newBuilder().setApp(APP).build(), AppReply.class,
          CallOptions.DEFAULT.withTimeout(Duration.ofMinutes(10)));
      List<Long> after = pids(admin);
      replaced = after.size() == before.size() && after.stream().noneMatch(before::contains);
    } else {
      long victim = before.get(0);
      ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);
      replaced = awaitReplaced(admin, victim, c.instances());
    }
    long opMs = (System.nanoTime() - opStart) / 1_000_000;
    sleep(c.after());
    plain.stop();
    idempotent.stop();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    ReloadReport.Builder r = ReloadReport.newBuilder()
        .setMode(c.mode().name().toLowerCase(java.util.Locale.ROOT))
        .setInstances(c.instances())
        .setClients(c.clients())
        .setStartDelayMs(c.startDelayMs())
        .setWorkMs(c.workMs())
        .setRequests(plain.sent.get() + idempotent.sent.get())
        .setReplies(plain.ok.get() + idempotent.ok.get())
        .setWrongReplies(plain.wrong.get() + idempotent.wrong.get())
        .setIdempotentRequests(idempotent.sent.get())
        .setOperationMs(opMs)
        .addAllPidsBefore(before)
        .addAllPidsAfter(pids(admin))
        .setReplaced(replaced)
        .setDurationMs(ms)
        .setThroughput((plain.ok.get() + idempotent.ok.get()) * 1000.0 / Math.max(1, ms));
    plain.failures.forEach((code, n) -> r.putFailures(code.name(), n.get()));
    idempotent.failures.forEach((code, n) -> r.putIdempotentFailures(code.name(), n.get()));
    return r.build();
  }

  /** Waits until the killed process's slot has a new process online; whether it did. */
  private static boolean awaitReplaced(MeshClient admin, long victim, int instances) {
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (System.nanoTime() - end < 0) {
      List<Long> online = pids(admin);
      if (online.size() == instances && !online.contains(victim)) {
        return true;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    return false;
  }

  /** The pids of the app's online instances. */
  private static List<Long> pids(MeshClient admin) {
    SupervisorStatus s = admin.call(Supervisor.STATUS,
        StatusRequest.newBuilder().setApp(APP).build(), SupervisorStatus.class,
        CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10)));
    List<Long> pids = new ArrayList<>();
    for (AppStatus a : s.getAppsList()) {
      for (InstanceStatus i : a.getInstanceList()) {
        if (i.getStatus().equals("online")) {
          pids.add(i.getPid());
        }
      }
    }
    return pids;
  }

  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }

  /** Request loops: each sends its next request when the previous one is answered. */
  private static final class Loops {
    final MeshClient client;
    final CallOptions options;
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong sent = new AtomicLong();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong wrong = new AtomicLong();
    final Map<Code, AtomicLong> failures = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(0);

    Loops(MeshClient client, boolean idempotent) {
      this.client = client;
      this.options = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30))
          .withIdempotent(idempotent);
    }

    void start(int loops) {
      done = new CountDownLatch(loops);
      for (int i = 0; i < loops; i++) {
        next(i);
      }
    }

    private void next(int loop) {
      if (!running.get()) {
        done.countDown();
        return;
      }
      String value = loop + ":" + sent.incrementAndGet();
      client.request(APP, StringValue.of(value), StringValue.class, options)
          .whenComplete((reply, failure) -> {
            if (failure == null) {
              ok.incrementAndGet();
              if (!reply.getValue().equals(value)) {
                wrong.incrementAndGet();
              }
            } else {
              failures.computeIfAbsent(MeshException.statusOf(failure).code(),
                  k -> new AtomicLong()).incrementAndGet();
            }
            next(loop);
          });
    }

    void stop() throws InterruptedException {
      running.set(false);
      if (!done.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("requests still open 60 s after the load stopped");
      }
    }
  }
}
