package io.zmesh.bench;

import io.zmesh.bench.proto.PubSubRun;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One measured pub/sub run: the publisher and each subscriber count here from their own
 * threads; the bench thread moves it through warm-up, measurement and stop. Only what happens
 * while measuring counts.
 */
final class PubSubCount {
  private final LongAdder published = new LongAdder();
  private final LongAdder[] delivered;
  private final LongAdder gaps = new LongAdder();
  private final LongAdder lost = new LongAdder();
  /** Each subscriber's first message; written by that subscriber's one handler at a time. */
  private final boolean[] reached;
  /** The sequence number each subscriber expects next; written by its one handler. */
  private final long[] next;
  private final CountDownLatch allReached;
  private volatile boolean measuring;
  private volatile boolean running = true;
  private long startNanos;
  private long endNanos;

  PubSubCount(int subscribers) {
    delivered = new LongAdder[subscribers];
    reached = new boolean[subscribers];
    next = new long[subscribers];
    allReached = new CountDownLatch(subscribers);
    for (int i = 0; i < subscribers; i++) {
      delivered[i] = new LongAdder();
    }
  }

  boolean running() {
    return running;
  }

  void published() {
    if (measuring) {
      published.increment();
    }
  }

  /**
   * Subscriber {@code subscriber} received the message the publisher numbered {@code seq}, with
   * {@code gap} messages reported missing before it. A sequence number beyond the next one
   * expected is a loss, whoever dropped the messages between.
   */
  void received(int subscriber, long seq, long gap) {
    if (!reached[subscriber]) {
      reached[subscriber] = true;
      next[subscriber] = seq;
      allReached.countDown();
    }
    if (measuring) {
      delivered[subscriber].increment();
      if (gap > 0) {
        gaps.add(gap);
      }
      if (seq > next[subscriber]) {
        lost.add(seq - next[subscriber]);
      }
    }
    if (seq >= next[subscriber]) {
      next[subscriber] = seq + 1;
    }
  }

  /** Whether every subscriber has had a message. */
  boolean flowing() {
    return allReached.getCount() == 0;
  }

  /** Waits until messages reach every subscriber (at most 30 s). */
  void awaitFlowing() throws InterruptedException {
    if (!allReached.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no message reached every subscriber within 30 s");
    }
  }

  /** Starts counting; what came before is warm-up. */
  void startMeasuring() {
    startNanos = System.nanoTime();
    measuring = true;
  }

  /** Stops counting. */
  void stopMeasuring() {
    measuring = false;
    endNanos = System.nanoTime();
  }

  /**
   * Waits until messages reach every subscriber (a subscription travels to the publisher
   * asynchronously), then for the warm-up, then measures for {@code seconds}.
   */
  void measure(double warmupSeconds, double seconds) throws InterruptedException {
    awaitFlowing();
    TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
    startMeasuring();
    TimeUnit.NANOSECONDS.sleep((long) (seconds * 1e9));
    stopMeasuring();
  }

  /** Tells the publisher and subscribers to stop. */
  void stop() {
    running = false;
  }

  PubSubRun.Builder result(String label) {
    double seconds = (endNanos - startNanos) / 1e9;
    long pub = published.sum();
    long total = 0;
    PubSubRun.Builder run = PubSubRun.newBuilder().setLabel(label).setSeconds(seconds);
    long most = 0;
    long fewest = Long.MAX_VALUE;
    for (LongAdder d : delivered) {
      long n = d.sum();
      total += n;
      most = Math.max(most, n);
      fewest = Math.min(fewest, n);
      run.addPerSubscriber(n);
    }
    run.setSpread(most > 0 ? (double) (most - fewest) / most : 0);
    return run.setPublished(pub)
        .setDelivered(total)
        .setGaps(gaps.sum())
        .setLost(lost.sum())
        .setPublishedPerSecond(seconds > 0 ? pub / seconds : 0)
        .setDeliveredPerSecond(seconds > 0 ? total / seconds : 0)
        .setDeliveredShare(pub > 0 ? (double) total / (pub * delivered.length) : 0);
  }
}
