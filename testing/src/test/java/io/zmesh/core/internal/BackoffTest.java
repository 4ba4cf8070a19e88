package io.zmesh.core.internal;

import static io.zmesh.core.internal.Ticker.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.testing.FakeTicker;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backoff hands out delays and reads no clock itself; where time matters the test moves a
 * {@link FakeTicker} by the delays, as the connection's reconnect timer does.
 */
class BackoffTest {
  private static final long INITIAL = 100 * MS;
  private static final long MAX = 5_000 * MS;
  private static final int TRIALS = 200;

  @Test
  @Timeout(5)
  void firstDelayIsBetweenHalfAndAllOfTheInitialDelay() {
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < TRIALS; i++) {
      long d = new Backoff(INITIAL, MAX).nextDelayNanos();
      assertBetween(INITIAL / 2, INITIAL, d, "first delay");
      seen.add(d);
    }
    assertTrue(seen.size() > 1, "no jitter: every first delay was " + seen);
  }

  @Test
  @Timeout(5)
  void delayDoublesEachAttempt() {
    for (int trial = 0; trial < TRIALS; trial++) {
      Backoff b = new Backoff(INITIAL, MAX);
      long step = INITIAL;
      for (int attempt = 0; attempt < 5; attempt++) { // 100, 200, 400, 800, 1600 ms
        assertBetween(step / 2, step, b.nextDelayNanos(), "attempt " + attempt);
        step *= 2;
      }
    }
    // The ranges overlap by at most a factor of two: three attempts on, delays are always longer.
    Backoff b = new Backoff(INITIAL, MAX);
    long first = b.nextDelayNanos();
    b.nextDelayNanos();
    b.nextDelayNanos();
    assertTrue(b.nextDelayNanos() > first);
  }

  @Test
  @Timeout(5)
  void delayIsCappedAtTheMaximum() {
    for (int trial = 0; trial < TRIALS; trial++) {
      Backoff b = new Backoff(INITIAL, MAX);
      for (int attempt = 0; attempt < 6; attempt++) { // up to 3.2 s
        b.nextDelayNanos();
      }
      for (int attempt = 0; attempt < 20; attempt++) {
        assertBetween(MAX / 2, MAX, b.nextDelayNanos(), "capped attempt " + attempt);
      }
    }
  }

  @Test
  @Timeout(5)
  void resetStartsOverAtTheInitialDelay() {
    Backoff b = new Backoff(INITIAL, MAX);
    for (int i = 0; i < 10; i++) {
      b.nextDelayNanos();
    }
    b.reset();
    assertBetween(INITIAL / 2, INITIAL, b.nextDelayNanos(), "after reset");
    assertBetween(INITIAL, 2 * INITIAL, b.nextDelayNanos(), "second after reset");
  }

  @Test
  @Timeout(5)
  void equalInitialAndMaximumGiveAConstantRange() {
    Backoff b = new Backoff(INITIAL, INITIAL);
    for (int i = 0; i < 50; i++) {
      assertBetween(INITIAL / 2, INITIAL, b.nextDelayNanos(), "attempt " + i);
    }
  }

  @Test
  @Timeout(5)
  void staysWithinBoundsForAnyMaximum() {
    // The doubling must not overflow into a negative delay, however large the maximum.
    for (long max : new long[] {Long.MAX_VALUE, Long.MAX_VALUE / 2 + 1, (1L << 62) + 3}) {
      Backoff b = new Backoff(1, max);
      long largest = 0;
      for (int attempt = 0; attempt < 130; attempt++) {
        long d = b.nextDelayNanos();
        assertTrue(d >= 0 && d <= max, "attempt " + attempt + " with max " + max + ": " + d);
        largest = Math.max(largest, d);
      }
      assertTrue(largest >= max / 2, "never got near the maximum " + max);
    }
  }

  @Test
  @Timeout(5)
  void reconnectAttemptsSpreadOutOverTimeUpToTheCap() {
    // Ten failed attempts, each scheduled at now + delay as Connection does.
    FakeTicker ticker = new FakeTicker(-3_000 * MS);
    long start = ticker.nanoTime();
    Backoff b = new Backoff(INITIAL, MAX);
    long lowest = 0;
    long highest = 0;
    long step = INITIAL;
    for (int attempt = 0; attempt < 10; attempt++) {
      long d = b.nextDelayNanos();
      ticker.advanceNanos(d);
      lowest += step / 2;
      highest += step;
      step = Math.min(MAX, step * 2);
    }
    long elapsed = ticker.nanoTime() - start;
    assertBetween(lowest, highest, elapsed, "ten attempts");
    // 100, 200, 400, 800, 1600, 3200 ms, then 5 s four times.
    assertEquals(26_300 * MS, highest);
    assertEquals(13_150 * MS, lowest);
  }

  @Test
  @Timeout(5)
  void rejectsImpossibleSettings() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(0, MAX));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(-1, MAX));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(MAX, INITIAL));
  }

  private static void assertBetween(long low, long high, long actual, String what) {
    assertTrue(actual >= low && actual <= high, what + ": " + Duration.ofNanos(actual)
        + " not in [" + Duration.ofNanos(low) + ", " + Duration.ofNanos(high) + "]");
  }
}
