package io.zmesh.testing;

import io.zmesh.core.internal.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that stands still until the test moves it. Thread-safe: the test moves it while the
 * broker's or a connection's thread reads it.
 */
public final class FakeTicker implements Ticker {
  private final AtomicLong now;

  /** Starts at {@code start}; System.nanoTime() may be negative, so tests try that too. */
  public FakeTicker(long start) {
    now = new AtomicLong(start);
  }

  @Override
  public long nanoTime() {
    return now.get();
  }

  public void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  public void advanceNanos(long nanos) {
    now.addAndGet(nanos);
  }

  public void set(long nanos) {
    now.set(nanos);
  }
}
