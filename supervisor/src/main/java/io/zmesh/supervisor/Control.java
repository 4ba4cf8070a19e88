package io.zmesh.supervisor;

import io.zmesh.broker.Broker;
import io.zmesh.broker.WorkerEvent;
import io.zmesh.core.internal.Ticker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's state and every change to it, on one control thread: launching instances,
 * READY and exits, stop with drain and timeout, restarts with backoff, reload, restart, scale,
 * memory limits and sampling. Nothing here blocks: every wait is a future whose continuation
 * runs on the control thread again, so tables need no locks.
 */
final class Control {
  private static final Logger log = LoggerFactory.getLogger(Control.class);
  private static final long MS = Ticker.MS;

  final ScheduledExecutorService exec;
  final Map<String, App> apps = new LinkedHashMap<>();
  final LogBook book;
  private final Launcher launcher;
  private final Broker broker;
  private final Ticker ticker;
  private boolean closing;

  Control(ScheduledExecutorService exec, Ecosystem eco, Broker broker, Launcher launcher,
      LogBook book, Ticker ticker) {
    this.exec = exec;
    this.broker = broker;
    this.launcher = launcher;
    this.book = book;
    this.ticker = ticker;
    for (AppSpec spec : eco.apps()) {
      apps.put(spec.name, new App(spec));
    }
  }

  /** Starts every app's instances; the future completes when each is online or failed. */
  CompletableFuture<int[]> startAll() {
    List<CompletableFuture<Boolean>> outcomes = new ArrayList<>();
    for (App app : apps.values()) {
      updateHold(app);
      for (int i = 0; i < app.desired; i++) {
        Slot s = new Slot(app, i);
        app.slots.add(s);
        outcomes.add(outcome(launch(s, false)));
      }
    }
    return CompletableFuture.allOf(outcomes.toArray(new CompletableFuture<?>[0]))
        .thenApply(x -> {
          int online = 0;
          for (CompletableFuture<Boolean> f : outcomes) {
            online += f.join() ? 1 : 0;
          }
          return new int[] {online, outcomes.size() - online};
        });
  }

  private static CompletableFuture<Boolean> outcome(Instance inst) {
    return inst.online.handle((i, e) -> e == null);
  }

  // ------------------------------------------------------------ launching and readiness

  private Instance launch(Slot slot, boolean replacement) {
    Instance inst = new Instance(slot, ticker.nanoTime());
    if (replacement) {
      slot.replacement = inst;
    } else {
      slot.current = inst;
      slot.state = Slot.State.RUNNING;
      updateHold(slot.app);
    }
    AppSpec spec = slot.app.spec;
    if (closing) {
      inst.state = Instance.State.EXITED;
      inst.exitReason = "the supervisor is stopping";
      inst.online.completeExceptionally(new IllegalStateException(inst.exitReason));
      inst.exited.complete(inst);
      return inst;
    }
    try {
      inst.process = launcher.start(inst);
    } catch (IOException | RuntimeException e) {
      inst.exitReason = "cannot start " + launcher.command(spec, slot.index).get(0) + ": "
          + e.getMessage();
      exec.execute(() -> onExit(inst));
      return inst;
    }
    inst.pid = inst.process.pid();
    note(slot, "started pid " + inst.pid + (replacement ? " to replace pid "
        + (slot.current != null ? slot.current.pid : 0) : ""));
    inst.process.onExit().thenRunAsync(() -> onExit(inst), exec);
    if (spec.waitReady) {
      inst.readyTimer = exec.schedule(() -> onReadyTimeout(inst),
          spec.readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } else {
      online(inst, null);
    }
    return inst;
  }

  /** A READY the broker accepted: the instance whose process (or a child of it) sent it. */
  void onReady(WorkerEvent e) {
    for (App app : apps.values()) {
      for (Slot s : app.slots) {
        for (Instance inst : new Instance[] {s.current, s.replacement}) {
          if (inst != null && inst.state == Instance.State.LAUNCHING && sentBy(inst, e.pid())) {
            online(inst, e.instanceId());
            return;
          }
          if (inst != null && inst.state == Instance.State.ONLINE && sentBy(inst, e.pid())) {
            inst.instanceId = e.instanceId(); // registered again after a reconnect
            return;
          }
        }
      }
    }
  }

  private static boolean sentBy(Instance inst, long pid) {
    if (inst.pid == pid) {
      return true;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    for (int depth = 0; depth < 4 && p.isPresent(); depth++) {
      p = p.get().parent();
      if (p.isPresent() && p.get().pid() == inst.pid) {
        return true;
      }
    }
    return false;
  }

  private void online(Instance inst, String instanceId) {
    if (inst.readyTimer != null) {
      inst.readyTimer.cancel(false);
    }
    inst.state = Instance.State.ONLINE;
    inst.onlineAt = ticker.nanoTime();
    inst.instanceId = instanceId;
    note(inst.slot, "pid " + inst.pid + " online after "
        + (inst.onlineAt - inst.startedAt) / MS + " ms"
        + (instanceId != null ? " (instance " + instanceId + ")" : ""));
    inst.online.complete(inst);
  }

  void onLeft(WorkerEvent e) {
    Instance inst = byInstanceId(e.instanceId());
    if (inst != null && !inst.stopping && inst.alive()) {
      note(inst.slot, "pid " + inst.pid + " left the broker; it reconnects by itself");
    }
  }

  private Instance byInstanceId(String id) {
    for (App app : apps.values()) {
      for (Slot s : app.slots) {
        for (Instance inst : new Instance[] {s.current, s.replacement}) {
          if (inst != null && id.equals(inst.instanceId)) {
            return inst;
          }
        }
      }
    }
    return null;
  }

  private void onReadyTimeout(Instance inst) {
    if (inst.state != Instance.State.LAUNCHING) {
      return;
    }
    inst.exitReason = "not ready within " + inst.slot.app.spec.readyTimeout.toMillis() + " ms";
    note(inst.slot, "pid " + inst.pid + " " + inst.exitReason + ": killed, a failed start");
    kill(inst);
  }

  private static void kill(Instance inst) {
    if (inst.process != null) {
      inst.process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      inst.process.toHandle().destroyForcibly();
    }
  }

  // ------------------------------------------------------------ exits and restarts

  private void onExit(Instance inst) {
    if (inst.state == Instance.State.EXITED) {
      return;
    }
    long now = ticker.nanoTime();
    long uptime = inst.uptimeNanos(now);
    inst.state = Instance.State.EXITED;
    cancel(inst);
    if (inst.exitReason == null) {
      int code = inst.process.exitValue();
      inst.exitReason = inst.stopping && code == 143 ? "stopped (exit code 143 after SIGTERM)"
          : describeExit(code);
    }
    Slot s = inst.slot;
    note(s, "pid " + inst.pid + " exited: " + inst.exitReason);
    inst.online.completeExceptionally(new IllegalStateException(inst.exitReason));
    inst.exited.complete(inst);
    if (s.replacement == inst) {
      s.replacement = null;
      return;
    }
    if (s.current != inst) {
      return;
    }
    s.current = null;
    s.lastExit = inst.exitReason;
    if (inst.stopping || closing) {
      return;
    }
    long delay = s.policy.onExit(now, uptime);
    if (delay == RestartPolicy.STOPPED) {
      s.state = Slot.State.STOPPED;
      note(s, "autorestart is off: left down");
    } else if (delay == RestartPolicy.ERRORED) {
      s.state = Slot.State.ERRORED;
      note(s, "errored: " + s.app.spec.maxRestarts + " restarts within "
          + s.app.spec.restartWindow.toMillis() + " ms; left down until restarted by hand");
      updateHold(s.app);
    } else {
      s.state = Slot.State.WAITING;
      s.restartAt = now + delay;
      note(s, "restarting in " + delay / MS + " ms");
      s.restartTimer = exec.schedule(() -> {
        if (s.state == Slot.State.WAITING && s.current == null && s.app.slots.contains(s)) {
          s.restarts++;
          launch(s, false);
        }
      }, delay, TimeUnit.NANOSECONDS);
    }
  }

  private static void cancel(Instance inst) {
    if (inst.readyTimer != null) {
      inst.readyTimer.cancel(false);
    }
    if (inst.stopTimer != null) {
      inst.stopTimer.cancel(false);
    }
  }

  static String describeExit(int code) {
    // The JVM and shells report death by signal n as 128 + n.
    if (code > 128 && code < 160) {
      int signal = code - 128;
      String name = signal == 9 ? "SIGKILL" : signal == 15 ? "SIGTERM" : signal == 6 ? "SIGABRT"
          : signal == 2 ? "SIGINT" : signal == 11 ? "SIGSEGV" : "signal " + signal;
      return "killed by " + name + " (exit code " + code + ")";
    }
    return "exit code " + code;
  }

  // ------------------------------------------------------------ stopping

  /**
   * Stops {@code inst} gracefully: the broker routes nothing new to it, SIGTERM makes the
   * worker finish what it holds and leave, and past the stop timeout it is killed (its requests
   * still in flight then get WORKER_LOST from the broker). Completes when it has exited.
   */
  CompletableFuture<Instance> stop(Instance inst, String why) {
    if (inst == null || !inst.alive()) {
      return CompletableFuture.completedFuture(inst);
    }
    if (!inst.stopping) {
      inst.stopping = true;
      inst.state = Instance.State.STOPPING;
      if (inst.readyTimer != null) {
        inst.readyTimer.cancel(false);
      }
      note(inst.slot, "stopping pid " + inst.pid + ": " + why);
      if (inst.instanceId != null) {
        broker.drain(inst.instanceId);
      }
      if (inst.process != null) {
        // Through the handle: Process.destroy() would also close our end of its output, and
        // the lines it writes while it drains would never reach its logs.
        inst.process.toHandle().destroy();
        Duration timeout = inst.slot.app.spec.stopTimeout;
        inst.stopTimer = exec.schedule(() -> {
          if (inst.alive()) {
            inst.exitReason = "killed: still running " + timeout.toMillis()
                + " ms after SIGTERM";
            note(inst.slot, "pid " + inst.pid + " " + inst.exitReason);
            kill(inst);
          }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    return inst.exited;
  }

  /** Stops everything for good (down, SIGTERM): completes with the processes stopped. */
  CompletableFuture<Integer> stopAll() {
    closing = true;
    List<CompletableFuture<Instance>> stops = new ArrayList<>();
    for (App app : apps.values()) {
      for (Slot s : app.slots) {
        if (s.restartTimer != null) {
          s.restartTimer.cancel(false);
        }
        for (Instance inst : new Instance[] {s.current, s.replacement}) {
          if (inst != null && inst.alive()) {
            stops.add(stop(inst, "the supervisor is stopping"));
          }
        }
        s.state = Slot.State.STOPPED;
      }
    }
    return CompletableFuture.allOf(stops.toArray(new CompletableFuture<?>[0]))
        .thenApply(x -> stops.size());
  }

  // ------------------------------------------------------------ operations

  App app(String name) {
    App app = apps.get(name);
    if (app == null) {
      throw new IllegalArgumentException("no app named '" + name + "'; the apps are "
          + String.join(", ", apps.keySet()));
    }
    return app;
  }

  /** Runs {@code op} after the app's previous operation; on the control thread. */
  <T> CompletableFuture<T> queue(App app, Supplier<CompletableFuture<T>> op) {
    CompletableFuture<T> next = app.operations.handle((x, e) -> null)
        .thenComposeAsync(x -> closing
            ? CompletableFuture.<T>failedFuture(io.zmesh.Status.UNAVAILABLE
                .withDescription("the supervisor is stopping").asException()) : op.get(), exec);
    app.operations = next;
    return next;
  }

  /**
   * Replaces each instance in turn: start a new process, wait for its READY, then drain and
   * stop the old one. The old keeps serving if the new one fails. True when the slot's new
   * process is online.
   */
  CompletableFuture<Boolean> replace(Slot s, String why) {
    Instance old = s.current;
    if (old == null || s.state == Slot.State.ERRORED || s.state == Slot.State.STOPPED
        || s.state == Slot.State.WAITING) {
      return fresh(s);
    }
    Instance next = launch(s, true);
    return next.online.handleAsync((i, e) -> e, exec).thenComposeAsync(e -> {
      if (e != null || s.replacement != next) {
        note(s, why + " failed: the new process did not come online ("
            + next.exitReason + "); pid " + old.pid + " keeps serving if it still runs");
        stop(next, "replacement failed");
        return CompletableFuture.completedFuture(false);
      }
      // The old process may have crashed meanwhile: the new one takes over all the same.
      Instance prev = s.current;
      if (s.restartTimer != null) {
        s.restartTimer.cancel(false);
      }
      s.replacement = null;
      s.current = next;
      s.state = Slot.State.RUNNING;
      s.restarts++;
      return stop(prev, why).thenApply(x -> true);
    }, exec);
  }

  /** Starts a slot that has no process (waiting, errored, stopped) anew. */
  private CompletableFuture<Boolean> fresh(Slot s) {
    if (s.restartTimer != null) {
      s.restartTimer.cancel(false);
    }
    s.policy.reset();
    if (s.current != null) {
      return stop(s.current, "restart").thenComposeAsync(x -> fresh(s), exec);
    }
    s.restarts++;
    return outcome(launch(s, false));
  }

  CompletableFuture<int[]> reload(App app) {
    return queue(app, () -> inTurn(app, s -> replace(s, "reload")));
  }

  CompletableFuture<int[]> restart(App app) {
    return queue(app, () -> inTurn(app, s -> {
      if (s.current == null) {
        return fresh(s);
      }
      Instance old = s.current;
      return stop(old, "restart").thenComposeAsync(x -> fresh(s), exec);
    }));
  }

  /** Each slot in turn; {online, failed}. */
  private CompletableFuture<int[]> inTurn(App app,
      java.util.function.Function<Slot, CompletableFuture<Boolean>> step) {
    List<Slot> slots = new ArrayList<>(app.slots);
    int[] counts = new int[2];
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (Slot s : slots) {
      chain = chain.thenComposeAsync(x -> app.slots.contains(s)
          ? step.apply(s).thenAccept(ok -> counts[ok ? 0 : 1]++)
          : CompletableFuture.completedFuture(null), exec);
    }
    return chain.thenApply(x -> counts);
  }

  CompletableFuture<int[]> scale(App app, int n) {
    return queue(app, () -> {
      int[] counts = new int[2];
      List<CompletableFuture<?>> waits = new ArrayList<>();
      app.desired = n;
      while (app.slots.size() < n) {
        Slot s = new Slot(app, app.slots.size());
        app.slots.add(s);
        waits.add(outcome(launch(s, false)).thenAccept(ok -> counts[ok ? 0 : 1]++));
      }
      while (app.slots.size() > n) {
        Slot s = app.slots.remove(app.slots.size() - 1);
        if (s.restartTimer != null) {
          s.restartTimer.cancel(false);
        }
        s.state = Slot.State.STOPPED;
        waits.add(stop(s.replacement, "scaled down"));
        waits.add(stop(s.current, "scaled down"));
      }
      updateHold(app);
      return CompletableFuture.allOf(waits.toArray(new CompletableFuture<?>[0]))
          .thenApply(x -> counts);
    });
  }

  /**
   * Requests to the app's worker name wait at the broker while it has no ready instance, unless
   * nothing of it is meant to run (scaled to 0, every instance errored or stopped): then they
   * fail at once with NO_WORKER.
   */
  private void updateHold(App app) {
    if (!app.spec.waitReady) {
      return;
    }
    boolean any = false;
    for (Slot s : app.slots) {
      any |= s.state == Slot.State.RUNNING || s.state == Slot.State.WAITING;
    }
    broker.holdRequests(app.spec.worker, app.desired > 0 && (any || app.slots.isEmpty()));
  }

  // ------------------------------------------------------------ sampling

  /** Every second: CPU and memory of each process; memory limits. */
  void sample() {
    long now = ticker.nanoTime();
    for (App app : apps.values()) {
      for (Slot s : app.slots) {
        for (Instance inst : new Instance[] {s.current, s.replacement}) {
          if (inst == null || !inst.alive() || inst.process == null) {
            continue;
          }
          long cpu = ProcStats.cpuNanos(inst.process);
          if (cpu >= 0 && inst.lastCpuNanos >= 0 && now > inst.lastSampleAt) {
            inst.cpuPercent = 100.0 * (cpu - inst.lastCpuNanos) / (now - inst.lastSampleAt);
          }
          inst.lastCpuNanos = cpu;
          inst.lastSampleAt = now;
          inst.rssBytes = ProcStats.rssBytes(inst.pid);
        }
        checkMemory(app, s);
      }
    }
  }

  private void checkMemory(App app, Slot s) {
    Instance inst = s.current;
    long limit = app.spec.memoryLimit;
    if (limit <= 0 || inst == null || inst.state != Instance.State.ONLINE
        || s.replacement != null || app.memoryRestartPending || inst.rssBytes <= limit) {
      return;
    }
    app.memoryRestartPending = true;
    note(s, "pid " + inst.pid + " uses " + (inst.rssBytes >> 20) + " MiB, over its memory limit"
        + " of " + (limit >> 20) + " MiB: replacing it gracefully");
    queue(app, () -> s.current == inst ? replace(s, "memory limit")
        : CompletableFuture.completedFuture(true))
        .whenCompleteAsync((x, e) -> app.memoryRestartPending = false, exec);
  }

  void note(Slot s, String text) {
    log.info("{}: {}", s.describe(), text);
    book.add(s.app.spec.name, s.index, "zmesh", text);
  }
}
