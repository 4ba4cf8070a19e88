package io.zmesh.broker;

import io.zmesh.worker.internal.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A broker clock that moves only when the test says; read by the broker thread. */
final class FakeTicker implements Ticker {
  private final AtomicLong now;

  FakeTicker(long start) {
    now = new AtomicLong(start);
  }

  @Override
  public long nanoTime() {
    return now.get();
  }

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }
}
