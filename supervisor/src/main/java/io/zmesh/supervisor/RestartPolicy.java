package io.zmesh.supervisor;

import io.zmesh.core.internal.Backoff;
import java.util.ArrayDeque;

/**
 * When an instance that ended by itself starts again: after an exponential backoff (from
 * {@code restart_delay}, doubling to {@code max_restart_delay}, with jitter), started over once
 * an instance stayed up for {@code min_uptime}; and not at all once more than {@code
 * max_restarts} restarts fell within {@code restart_window}: the instance is then errored and
 * left down. One per instance slot; control thread only. Time is passed in, so tests move it.
 */
final class RestartPolicy {
  /** What to do after an unplanned exit. */
  static final long ERRORED = -1;
  static final long STOPPED = -2;

  private final AppSpec spec;
  private final Backoff backoff;
  /** When each restart in the window happened (nanos). */
  private final ArrayDeque<Long> restarts = new ArrayDeque<>();

  RestartPolicy(AppSpec spec) {
    this.spec = spec;
    this.backoff = new Backoff(spec.restartDelay.toNanos(), spec.maxRestartDelay.toNanos());
  }

  /**
   * An instance of this slot ended unplanned at {@code now} after {@code uptimeNanos} online
   * (0 when it never came online): the delay before the next start in nanoseconds, or {@link
   * #ERRORED}, or {@link #STOPPED} when the app does not restart.
   */
  long onExit(long now, long uptimeNanos) {
    if (!spec.autorestart) {
      return STOPPED;
    }
    long window = spec.restartWindow.toNanos();
    while (!restarts.isEmpty() && now - restarts.peekFirst() > window) {
      restarts.pollFirst();
    }
    if (restarts.size() >= spec.maxRestarts) {
      return ERRORED;
    }
    restarts.addLast(now);
    if (uptimeNanos >= spec.minUptime.toNanos() && uptimeNanos > 0) {
      backoff.reset();
    }
    return backoff.nextDelayNanos();
  }

  /** Restarts counted in the window now. */
  int recent() {
    return restarts.size();
  }

  /** A restart or scale by hand starts the count over. */
  void reset() {
    restarts.clear();
    backoff.reset();
  }
}
