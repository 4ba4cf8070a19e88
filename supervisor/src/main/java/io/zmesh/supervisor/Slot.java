package io.zmesh.supervisor;

import java.util.concurrent.ScheduledFuture;

/**
 * One of an app's instances by number ({@code $ZMESH_INSTANCE}), across the processes that fill
 * it in turn: its restart count and policy, and the process serving now. Control thread only.
 */
final class Slot {
  enum State {
    /** A process is launching or online. */
    RUNNING,
    /** Waiting to start again after an unplanned exit. */
    WAITING,
    /** Too many restarts within the window: left down until a restart or reload by hand. */
    ERRORED,
    /** Not running and not to be restarted (autorestart off, or stopped). */
    STOPPED
  }

  final App app;
  final int index;
  final RestartPolicy policy;
  State state = State.STOPPED;
  /** The process that fills the slot (launching or online), or null. */
  Instance current;
  /** A process started to take over from {@link #current} (reload, memory limit). */
  Instance replacement;
  int restarts;
  String lastExit = "";
  ScheduledFuture<?> restartTimer;
  long restartAt;

  Slot(App app, int index) {
    this.app = app;
    this.index = index;
    this.policy = new RestartPolicy(app.spec);
  }

  String describe() {
    return app.spec.name + "-" + index;
  }
}
