package io.zmesh.worker.internal;

import java.time.Duration;

/** A ticker that stands still until the test moves it. */
final class FakeTicker implements Ticker {
  private long now;

  /** Starts at {@code start}; System.nanoTime() may be negative, so tests try that too. */
  FakeTicker(long start) {
    this.now = start;
  }

  @Override
  public long nanoTime() {
    return now;
  }

  void advance(Duration d) {
    now += d.toNanos();
  }

  void advanceNanos(long nanos) {
    now += nanos;
  }

  void set(long nanos) {
    now = nanos;
  }
}
