package io.zmesh.worker.internal;

import io.zmesh.Status;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Encoded PUBLISH packets on their way from any thread to the I/O thread, at most {@code
 * capacity} of them. Publishers take a permit, claim the next slot of a ring and fill it; the
 * I/O thread takes from the head and gives the permits back per batch. Neither side locks or
 * allocates per packet; a publisher only parks when the backlog is full.
 *
 * <p>The permits keep the ring from wrapping onto a slot not yet taken. A slot claimed but not
 * yet filled reads as empty, and its publisher wakes the I/O thread after filling it, so order
 * follows the claims. (Agrona's array queues would do, but on Java 17 they need {@code
 * --add-exports java.base/jdk.internal.misc}, which a library cannot ask of its users.)
 */
final class PublishBacklog {
  private final int capacity;
  private final Semaphore permits;
  private final AtomicReferenceArray<byte[]> slots;
  private final int mask;
  private final AtomicLong claimed = new AtomicLong();
  /** I/O thread only. */
  private long taken;
  private volatile boolean closed;

  PublishBacklog(int capacity) {
    this.capacity = capacity;
    this.permits = new Semaphore(capacity);
    int size = Integer.highestOneBit(Math.max(1, capacity - 1)) << 1;
    this.slots = new AtomicReferenceArray<>(size);
    this.mask = size - 1;
  }

  /**
   * Queues {@code packet}, waiting up to {@code timeoutNanos} for room. Any thread.
   *
   * @throws io.zmesh.MeshException OVERLOADED if no room came, CANCELLED if closed or
   *     interrupted
   */
  void offer(byte[] packet, long timeoutNanos) {
    try {
      if (!permits.tryAcquire() && !permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
        throw Status.OVERLOADED.withDescription("publish backlog of " + capacity
            + " messages stayed full for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
            + " ms").asException();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted while the publish backlog was full")
          .asException(e);
    }
    if (closed) {
      permits.release();
      throw closedException();
    }
    slots.setRelease((int) (claimed.getAndIncrement() & mask), packet);
  }

  static io.zmesh.MeshException closedException() {
    return Status.CANCELLED.withDescription("connection closed").asException();
  }

  /** I/O thread: the oldest packet, or null. */
  byte[] peek() {
    return slots.getAcquire((int) (taken & mask));
  }

  /** I/O thread: the packet {@code k} places after the oldest, or null if not there yet. */
  byte[] peek(int k) {
    return k < capacity ? slots.getAcquire((int) ((taken + k) & mask)) : null;
  }

  /** I/O thread: removes the packet {@link #peek} returned; {@link #release} it later. */
  void remove() {
    slots.setPlain((int) (taken++ & mask), null);
  }

  /** I/O thread: {@code n} packets left the backlog. */
  void release(int n) {
    if (n > 0) {
      permits.release(n);
    }
  }

  /** I/O thread. */
  boolean isEmpty() {
    return peek() == null;
  }

  /** Refuses new packets and wakes publishers waiting for room, which then fail. */
  void close() {
    closed = true;
    permits.release(capacity);
  }

  boolean isClosed() {
    return closed;
  }
}
