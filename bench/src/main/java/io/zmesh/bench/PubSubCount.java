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
  /** Each subscriber's first message; written by that subscriber's one handler at a time. */
  private final boolean[] reached;
  private final CountDownLatch allReached;
  private volatile boolean measuring;
  private volatile boolean running = true;
  private long startNanos;
  private long endNanos;

  PubSubCount(int subscribers) {
    delivered = new LongAdder[subscribers];
    reached = new boolean[subscribers];
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

  void delivered(int subscriber, long gap) {
    if (!reached[subscriber]) {
      reached[subscriber] = true;
      allReached.countDown();
    }
    if (measuring) {
      delivered[subscriber].increment();
      if (gap > 0) {
        gaps.add(gap);
      }
    }
  }

  /**
   * Waits until messages reach every subscriber (a subscription travels to the publisher
   * asynchronously), then for the warm-up, then measures for {@code seconds}.
   */
  void measure(double warmupSeconds, double seconds) throws InterruptedException {
    if (!allReached.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no message reached every subscriber within 30 s");
    }
    TimeUnit.MILLISECONDS.sleep((long) (warmupSeconds * 1000));
    startNanos = System.nanoTime();
    measuring = true;
    TimeUnit.NANOSECONDS.sleep((long) (seconds * 1e9));
    measuring = false;
    endNanos = System.nanoTime();
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
    for (LongAdder d : delivered) {
      long n = d.sum();
      total += n;
      run.addPerSubscriber(n);
    }
    return run.setPublished(pub)
        .setDelivered(total)
        .setGaps(gaps.sum())
        .setPublishedPerSecond(seconds > 0 ? pub / seconds : 0)
        .setDeliveredPerSecond(seconds > 0 ? total / seconds : 0)
        .setDeliveredShare(pub > 0 ? (double) total / (pub * delivered.length) : 0);
  }
}
