package io.zmesh.core.internal;

/**
 * A monotonic clock in nanoseconds. Heartbeat, liveness, deadline and backoff logic read time
 * only through this, so tests drive them by moving a fake ticker instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {
  /** Nanoseconds in a millisecond. */
  long MS = 1_000_000L;

  long nanoTime();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return System::nanoTime;
  }
}
