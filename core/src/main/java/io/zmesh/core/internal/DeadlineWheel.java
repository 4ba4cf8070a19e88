package io.zmesh.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A hashed timing wheel of intrusive timers, for one thread (the broker loop or an SDK I/O
 * thread). Schedule and cancel are O(1) and allocate nothing, which matters because every
 * request in flight has a deadline and nearly all are cancelled by their reply.
 *
 * <p>Timers that fall in one slot but lie whole rotations ahead stay in place and are skipped
 * until their rotation comes.
 */
public final class DeadlineWheel<T extends DeadlineWheel.Timer> {

  /** A timer is the object that is waiting: extend this. Belongs to at most one wheel. */
  public abstract static class Timer {
    long deadline;
    Timer prev;
    Timer next;
    int slot = -1;

    public final boolean isScheduled() {
      return slot >= 0;
    }

    /** The deadline given to {@link #schedule}, in the ticker's nanoseconds. */
    public final long deadline() {
      return deadline;
    }
  }

  private final Timer[] heads;
  private final int mask;
  private final long tickNanos;
  private final List<T> expired = new ArrayList<>();
  private long currentTick;
  private int size;

  /**
   * @param tickNanos resolution; a timer fires in the first {@link #expire} at or after its
   *     deadline, but {@link #nextTickAt} rounds waiting to ticks
   * @param slots power of two; slots x tick should cover the common deadlines
   * @param now current time of the ticker
   */
  public DeadlineWheel(long tickNanos, int slots, long now) {
    if (Integer.bitCount(slots) != 1) {
      throw new IllegalArgumentException("slots must be a power of two: " + slots);
    }
    this.heads = new Timer[slots];
    this.mask = slots - 1;
    this.tickNanos = tickNanos;
    this.currentTick = Math.floorDiv(now, tickNanos);
  }

  public int size() {
    return size;
  }

  public void schedule(T timer, long deadline) {
    if (timer.isScheduled()) {
      cancel(timer);
    }
    long tick = Math.max(Math.floorDiv(deadline, tickNanos), currentTick);
    int slot = (int) (tick & mask);
    timer.deadline = deadline;
    timer.slot = slot;
    timer.prev = null;
    timer.next = heads[slot];
    if (timer.next != null) {
      timer.next.prev = timer;
    }
    heads[slot] = timer;
    size++;
  }

  /** Removes the timer if it is scheduled; returns whether it was. */
  public boolean cancel(T timer) {
    if (!timer.isScheduled()) {
      return false;
    }
    unlink(timer);
    return true;
  }

  private void unlink(Timer timer) {
    if (timer.prev != null) {
      timer.prev.next = timer.next;
    } else {
      heads[timer.slot] = timer.next;
    }
    if (timer.next != null) {
      timer.next.prev = timer.prev;
    }
    timer.prev = null;
    timer.next = null;
    timer.slot = -1;
    size--;
  }

  /**
   * Removes every timer whose deadline is at or before {@code now} and hands each to {@code
   * onExpiry} (after all are removed, so the handler may schedule and cancel freely).
   *
   * @return how many expired
   */
  @SuppressWarnings("unchecked")
  public int expire(long now, Consumer<? super T> onExpiry) {
    if (size == 0) {
      currentTick = Math.max(currentTick, Math.floorDiv(now, tickNanos));
      return 0;
    }
    long nowTick = Math.floorDiv(now, tickNanos);
    // After a long pause every slot needs one look, not one look per elapsed tick.
    long from = Math.max(currentTick, nowTick - mask);
    for (long tick = from; tick <= nowTick; tick++) {
      Timer t = heads[(int) (tick & mask)];
      while (t != null) {
        Timer next = t.next;
        if (t.deadline <= now) {
          unlink(t);
          expired.add((T) t);
        }
        t = next;
      }
    }
    // The current tick may still receive timers due later in it: look at it again next time.
    currentTick = nowTick;
    int n = expired.size();
    if (n == 0) {
      return 0;
    }
    try {
      for (int i = 0; i < n; i++) {
        onExpiry.accept(expired.get(i));
      }
    } finally {
      expired.clear();
    }
    return n;
  }

  /** Slots {@link #nextTickAt} looks ahead before it settles for a bound. */
  static final int LOOKAHEAD_SLOTS = 64;

  /**
   * A lower bound on the next deadline, for a poll timeout: a deadline due within the current
   * tick, else the start of the first non-empty slot among the next {@link #LOOKAHEAD_SLOTS},
   * else the end of that look-ahead; {@code Long.MAX_VALUE} when no timer is scheduled. Bounded
   * work: called before every sleep of a busy loop, it must not walk the whole wheel (with
   * long timeouts the timers sit a rotation away, and a full scan cost more than the packets).
   */
  public long nextTickAt() {
    if (size == 0) {
      return Long.MAX_VALUE;
    }
    long endOfTick = (currentTick + 1) * tickNanos;
    long soonest = Long.MAX_VALUE;
    for (Timer t = heads[(int) (currentTick & mask)]; t != null; t = t.next) {
      if (t.deadline < endOfTick) {
        soonest = Math.min(soonest, t.deadline);
      }
    }
    if (soonest != Long.MAX_VALUE) {
      return soonest;
    }
    int lookahead = Math.min(LOOKAHEAD_SLOTS, mask + 1);
    for (long tick = currentTick + 1; tick <= currentTick + lookahead; tick++) {
      if (heads[(int) (tick & mask)] != null) {
        return tick * tickNanos;
      }
    }
    return (currentTick + lookahead + 1) * tickNanos;
  }
}
