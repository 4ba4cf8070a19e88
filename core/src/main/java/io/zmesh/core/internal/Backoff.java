package io.zmesh.core.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect backoff with jitter: initial, doubling up to max. Jitter spreads out
 * the reconnects of many workers after a broker restart. Not thread-safe.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private long next;

  public Backoff(long initialNanos, long maxNanos) {
    if (initialNanos <= 0 || maxNanos < initialNanos) {
      throw new IllegalArgumentException("need 0 < initial <= max");
    }
    this.initialNanos = initialNanos;
    this.maxNanos = maxNanos;
    this.next = initialNanos;
  }

  /** The delay before the next attempt: between half and all of the current step. */
  public long nextDelayNanos() {
    long step = next;
    // Not min(max, 2 * step): for a max near Long.MAX_VALUE the doubling would overflow.
    next = step > maxNanos / 2 ? maxNanos : step * 2;
    long half = step / 2;
    return half + ThreadLocalRandom.current().nextLong(half + 1);
  }

  /** After a successful connection the next failure starts over at the initial delay. */
  public void reset() {
    next = initialNanos;
  }
}
