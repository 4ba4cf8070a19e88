package io.zmesh.supervisor;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One process of an app. Control thread only, except the futures. */
final class Instance {
  enum State { LAUNCHING, ONLINE, STOPPING, EXITED }

  final Slot slot;
  final long startedAt;
  /** Completes when the instance registered READY (or started, without wait_ready). */
  final CompletableFuture<Instance> online = new CompletableFuture<>();
  /** Completes when the process has exited. */
  final CompletableFuture<Instance> exited = new CompletableFuture<>();

  Process process;
  long pid;
  State state = State.LAUNCHING;
  long onlineAt;
  /** The instance id it registered with; null before READY. */
  String instanceId;
  /** A planned stop (stop, reload, scale, down): its exit is not a crash. */
  boolean stopping;
  /** Why the process ended, once it has. */
  String exitReason;
  ScheduledFuture<?> readyTimer;
  ScheduledFuture<?> stopTimer;

  long lastCpuNanos = -1;
  long lastSampleAt;
  double cpuPercent;
  long rssBytes;

  Instance(Slot slot, long now) {
    this.slot = slot;
    this.startedAt = now;
  }

  boolean alive() {
    return state != State.EXITED;
  }

  long uptimeNanos(long now) {
    return state == State.ONLINE || state == State.STOPPING ? now - onlineAt : 0;
  }

  String describe() {
    return slot.app.spec.name + "-" + slot.index + " (pid " + pid + ")";
  }
}
