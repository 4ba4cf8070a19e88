package io.zmesh.core.internal;

import static io.zmesh.core.internal.Ticker.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeadlineWheelTest {
  private static final long TICK = 4 * MS;
  private static final int SLOTS = 16;
  /** One turn of the wheel: 64 ms. */
  private static final long ROTATION = TICK * SLOTS;

  /** A timer that remembers when it fired. */
  private static final class Task extends DeadlineWheel.Timer {
    final String name;
    long firedAt = Long.MIN_VALUE;
    int fired;

    Task(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final FakeTicker ticker = new FakeTicker(1_000 * MS);
  private final DeadlineWheel<Task> wheel = new DeadlineWheel<>(TICK, SLOTS, ticker.nanoTime());
  private final List<Task> fired = new ArrayList<>();

  private int expireNow() {
    long now = ticker.nanoTime();
    return wheel.expire(now, t -> {
      t.fired++;
      t.firedAt = now;
      fired.add(t);
    });
  }

  private long at(Duration fromNow) {
    return ticker.nanoTime() + fromNow.toNanos();
  }

  @Test
  @Timeout(5)
  void firesAtItsDeadlineAndNotBefore() {
    Task t = new Task("t");
    long deadline = at(Duration.ofMillis(10));
    wheel.schedule(t, deadline);
    assertTrue(t.isScheduled());
    assertEquals(deadline, t.deadline());
    assertEquals(1, wheel.size());

    ticker.advanceNanos(10 * MS - 1);
    assertEquals(0, expireNow(), "fired 1 ns early");
    assertTrue(t.isScheduled());

    ticker.advanceNanos(1);
    assertEquals(1, expireNow());
    assertEquals(List.of(t), fired);
    assertEquals(deadline, t.firedAt);
    assertFalse(t.isScheduled());
    assertEquals(0, wheel.size());

    ticker.advance(Duration.ofSeconds(10));
    assertEquals(0, expireNow(), "a timer fires once");
    assertEquals(1, t.fired);
  }

  @Test
  @Timeout(5)
  void cancelledTimerNeverFires() {
    Task kept = new Task("kept");
    Task cancelled = new Task("cancelled");
    wheel.schedule(kept, at(Duration.ofMillis(20)));
    wheel.schedule(cancelled, at(Duration.ofMillis(20)));
    assertEquals(2, wheel.size());

    assertTrue(wheel.cancel(cancelled));
    assertFalse(cancelled.isScheduled());
    assertEquals(1, wheel.size());
    assertFalse(wheel.cancel(cancelled), "second cancel reports nothing was scheduled");
    assertEquals(1, wheel.size());

    ticker.advance(Duration.ofMillis(100));
    assertEquals(1, expireNow());
    assertEquals(List.of(kept), fired);
    assertEquals(0, cancelled.fired);
  }

  @Test
  @Timeout(5)
  void cancelInTheMiddleOfASlotKeepsTheOthers() {
    // Same tick, so the three share one slot's list: unlink head, middle and tail correctly.
    Task a = new Task("a");
    Task b = new Task("b");
    Task c = new Task("c");
    long deadline = at(Duration.ofMillis(8));
    wheel.schedule(a, deadline);
    wheel.schedule(b, deadline);
    wheel.schedule(c, deadline);
    assertTrue(wheel.cancel(b));
    ticker.advance(Duration.ofMillis(8));
    assertEquals(2, expireNow());
    assertEquals(List.of("a", "c"), names(sortedByName(fired)));
    assertEquals(0, b.fired);
    assertEquals(0, wheel.size());
  }

  @Test
  @Timeout(5)
  void schedulingAgainMovesTheTimer() {
    Task t = new Task("t");
    wheel.schedule(t, at(Duration.ofMillis(5)));
    wheel.schedule(t, at(Duration.ofMillis(50)));
    assertEquals(1, wheel.size(), "a timer is in the wheel at most once");

    ticker.advance(Duration.ofMillis(49));
    assertEquals(0, expireNow());
    ticker.advance(Duration.ofMillis(1));
    assertEquals(1, expireNow());
    assertEquals(1, t.fired);
  }

  @Test
  @Timeout(5)
  void deadlineInThePastFiresAtTheNextExpire() {
    Task t = new Task("late");
    wheel.schedule(t, at(Duration.ofMillis(-500)));
    assertTrue(wheel.nextTickAt() <= ticker.nanoTime(), "poll must not wait for an overdue timer");
    assertEquals(1, expireNow());
    assertEquals(1, t.fired);
  }

  @ParameterizedTest
  @ValueSource(longs = {1_000_000_000L, -7_777_777_777L, 0L})
  @Timeout(5)
  void expiresInOrderOfTimeAcrossRotations(long start) {
    FakeTicker clock = new FakeTicker(start);
    DeadlineWheel<Task> w = new DeadlineWheel<>(TICK, SLOTS, clock.nanoTime());
    // 60 distinct deadlines over about 5 rotations, scheduled in shuffled order.
    Random random = new Random(42);
    List<Long> offsetsMs = new ArrayList<>();
    for (long ms = 1; ms <= 5 * ROTATION / MS; ms++) {
      offsetsMs.add(ms);
    }
    Collections.shuffle(offsetsMs, random);
    List<Task> tasks = new ArrayList<>();
    for (long ms : offsetsMs.subList(0, 60)) {
      Task t = new Task("t" + ms);
      tasks.add(t);
      w.schedule(t, start + ms * MS);
    }
    List<Task> order = new ArrayList<>();
    // Move 1 ms at a time: finer than a tick, so order within a tick is checked too.
    for (int step = 0; step < 6 * ROTATION / MS && w.size() > 0; step++) {
      clock.advance(Duration.ofMillis(1));
      long now = clock.nanoTime();
      w.expire(now, t -> {
        t.fired++;
        t.firedAt = now;
        order.add(t);
      });
    }
    assertEquals(0, w.size());
    List<Task> expected = new ArrayList<>(tasks);
    expected.sort(Comparator.comparingLong(DeadlineWheel.Timer::deadline));
    assertEquals(names(expected), names(order));
    for (Task t : tasks) {
      assertEquals(1, t.fired, t.name);
      assertEquals(t.deadline(), t.firedAt, t.name + " fired off its deadline");
    }
  }

  @Test
  @Timeout(5)
  void farFutureTimersWaitForTheirRotation() {
    // Three timers in one slot, a rotation apart.
    Task first = new Task("first");
    Task second = new Task("second");
    Task third = new Task("third");
    long base = at(Duration.ofMillis(6));
    wheel.schedule(third, base + 2 * ROTATION);
    wheel.schedule(first, base);
    wheel.schedule(second, base + ROTATION);

    ticker.set(base);
    assertEquals(1, expireNow());
    assertEquals(List.of(first), fired);

    ticker.set(base + ROTATION - 1);
    assertEquals(0, expireNow(), "passing the slot a rotation early must not fire it");
    ticker.set(base + ROTATION);
    assertEquals(1, expireNow());
    assertEquals(List.of(first, second), fired);

    ticker.set(base + 2 * ROTATION - 1);
    assertEquals(0, expireNow());
    ticker.set(base + 2 * ROTATION);
    assertEquals(1, expireNow());
    assertEquals(List.of(first, second, third), fired);
  }

  @Test
  @Timeout(5)
  void longPauseFiresEverythingDueExactlyOnceAndKeepsTheRest() {
    List<Task> due = new ArrayList<>();
    for (int i = 0; i < 3 * SLOTS; i++) {
      Task t = new Task("due" + i);
      due.add(t);
      wheel.schedule(t, at(Duration.ofMillis(1 + 3L * i)));
    }
    Task notYet = new Task("notYet");
    wheel.schedule(notYet, at(Duration.ofSeconds(100).plusMillis(1)));

    ticker.advance(Duration.ofSeconds(100)); // many rotations without a single expire
    assertEquals(due.size(), expireNow());
    for (Task t : due) {
      assertEquals(1, t.fired, t.name);
    }
    assertEquals(0, notYet.fired);
    assertEquals(1, wheel.size());
    assertTrue(notYet.isScheduled());

    ticker.advance(Duration.ofMillis(1));
    assertEquals(1, expireNow());
    assertEquals(1, notYet.fired);
  }

  @Test
  @Timeout(5)
  void handlerMayScheduleAndCancelDuringExpiry() {
    Task a = new Task("a");
    Task b = new Task("b");
    Task again = new Task("again");
    wheel.schedule(a, at(Duration.ofMillis(4)));
    wheel.schedule(b, at(Duration.ofMillis(4)));
    ticker.advance(Duration.ofMillis(4));
    long now = ticker.nanoTime();
    int n = wheel.expire(now, t -> {
      t.fired++;
      wheel.schedule(again, now + 10 * MS);
      wheel.cancel(again);
      wheel.schedule(again, now + 20 * MS);
    });
    assertEquals(2, n);
    assertEquals(1, a.fired);
    assertEquals(1, b.fired);
    assertEquals(1, wheel.size());
    assertEquals(now + 20 * MS, again.deadline());
  }

  @Test
  @Timeout(5)
  void nextTickAtIsMaxValueWhenEmpty() {
    assertEquals(Long.MAX_VALUE, wheel.nextTickAt());
    Task t = new Task("t");
    wheel.schedule(t, at(Duration.ofMillis(30)));
    assertTrue(wheel.nextTickAt() < Long.MAX_VALUE);
    wheel.cancel(t);
    assertEquals(Long.MAX_VALUE, wheel.nextTickAt());
  }

  @Test
  @Timeout(5)
  void nextTickAtIsALowerBoundWithinOneTick() {
    Task t = new Task("t");
    long deadline = at(Duration.ofMillis(30));
    wheel.schedule(t, deadline);
    long next = wheel.nextTickAt();
    assertTrue(next <= deadline, "nextTickAt " + next + " is after the deadline " + deadline);
    assertTrue(deadline - next < TICK, "nextTickAt is more than a tick early: " + (deadline - next));

    // Once time reaches the timer's tick, the answer is the deadline itself.
    ticker.set(Math.floorDiv(deadline, TICK) * TICK);
    expireNow();
    assertEquals(deadline, wheel.nextTickAt());
  }

  @Test
  @Timeout(5)
  void nextTickAtOfAFarFutureTimerIsStillALowerBound() {
    Task far = new Task("far");
    long deadline = at(Duration.ofMillis(3 * ROTATION / MS + 2));
    wheel.schedule(far, deadline);
    long next = wheel.nextTickAt();
    assertTrue(next > ticker.nanoTime() && next <= deadline, "next " + next);
  }

  @Test
  @Timeout(5)
  void nextTickAtLooksOnlyABoundedWayAhead() {
    // A wheel with many slots and one timer far away: the hint stops at the look-ahead
    // instead of walking every slot, and the timer still fires exactly at its deadline.
    DeadlineWheel<Task> big = new DeadlineWheel<>(TICK, 4096, ticker.nanoTime());
    Task far = new Task("far");
    long deadline = at(Duration.ofMillis(3_000 * TICK / MS));
    big.schedule(far, deadline);
    long next = big.nextTickAt();
    long startTick = Math.floorDiv(ticker.nanoTime(), TICK);
    assertEquals((startTick + DeadlineWheel.LOOKAHEAD_SLOTS + 1) * TICK, next);
    int wakeUps = 0;
    while (far.isScheduled() && wakeUps < 1_000) {
      ticker.set(Math.max(ticker.nanoTime(), big.nextTickAt()));
      big.expire(ticker.nanoTime(), t -> t.firedAt = ticker.nanoTime());
      wakeUps++;
    }
    assertEquals(deadline, far.firedAt);
    assertTrue(wakeUps <= 3_000 / DeadlineWheel.LOOKAHEAD_SLOTS + 2, "woke " + wakeUps + " times");
  }

  @Test
  @Timeout(5)
  void aLoopThatWaitsForNextTickAtFiresEveryTimerOnTime() {
    // What the I/O thread and the broker loop do: poll until nextTickAt(), then expire.
    Random random = new Random(7);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Task t = new Task("t" + i);
      tasks.add(t);
      wheel.schedule(t, at(Duration.ofNanos(1 + (long) (random.nextDouble() * 7 * ROTATION))));
    }
    Task far = new Task("far");
    tasks.add(far);
    wheel.schedule(far, at(Duration.ofSeconds(3)));
    int polls = 0;
    while (wheel.size() > 0 && polls < 100_000) {
      long next = wheel.nextTickAt();
      for (Task t : tasks) {
        if (t.isScheduled()) {
          assertTrue(next <= t.deadline(), "nextTickAt " + next + " is after " + t.name);
        }
      }
      ticker.set(Math.max(ticker.nanoTime(), next));
      expireNow();
      polls++;
    }
    assertEquals(0, wheel.size(), "timers left after " + polls + " polls");
    for (Task t : tasks) {
      assertEquals(t.deadline(), t.firedAt, t.name + " fired late");
    }
  }

  @Test
  @Timeout(5)
  void slotsMustBeAPowerOfTwo() {
    assertThrows(IllegalArgumentException.class, () -> new DeadlineWheel<Task>(TICK, 12, 0));
  }

  private static List<Task> sortedByName(List<Task> tasks) {
    List<Task> copy = new ArrayList<>(tasks);
    copy.sort(Comparator.comparing(t -> t.name));
    return copy;
  }

  private static List<String> names(List<Task> tasks) {
    List<String> names = new ArrayList<>();
    for (Task t : tasks) {
      names.add(t.name);
    }
    return names;
  }
}
