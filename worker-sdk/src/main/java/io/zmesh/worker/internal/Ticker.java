package io.zmesh.worker.internal;

/**
 * A monotonic clock in nanoseconds. Heartbeat, liveness, deadline and backoff logic read time
 * only through this, so tests drive them by moving a fake ticker instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {
  long nanoTime();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
