package io.zmesh.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** An app of the ecosystem file while it runs: its slots and its operations. Control thread. */
final class App {
  final AppSpec spec;
  final List<Slot> slots = new ArrayList<>();
  /** Instances asked for; {@code slots} grows and shrinks to it. */
  int desired;
  /**
   * The end of the last operation (restart, reload, scale, memory restart): each one waits for
   * the one before, so two never replace the same instances at once.
   */
  CompletableFuture<?> operations = CompletableFuture.completedFuture(null);
  /** A memory restart is queued or running: no second one is queued. */
  boolean memoryRestartPending;

  App(AppSpec spec) {
    this.spec = spec;
    this.desired = spec.instances;
  }

  int online() {
    int n = 0;
    for (Slot s : slots) {
      if (s.current != null && s.current.state == Instance.State.ONLINE) {
        n++;
      }
    }
    return n;
  }

  String status() {
    int online = online();
    boolean allErrored = !slots.isEmpty();
    boolean launching = false;
    boolean running = false;
    for (Slot s : slots) {
      allErrored &= s.state == Slot.State.ERRORED;
      launching |= s.current != null && s.current.state == Instance.State.LAUNCHING;
      running |= s.state != Slot.State.STOPPED;
    }
    if (desired == 0 || !running && online == 0 && !allErrored) {
      return "stopped";
    }
    if (allErrored) {
      return "errored";
    }
    if (online >= desired) {
      return "online";
    }
    return launching && online == 0 ? "starting" : "degraded";
  }
}
