package io.zmesh.bench;

import io.zmesh.Code;
import io.zmesh.bench.proto.Latency;
import io.zmesh.bench.proto.Run;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One measured run: load generators record here from any thread; the bench thread moves it
 * through warm-up, measurement and stop. Only what completes during measurement counts.
 */
final class Measurement {
  private final Recorder recorder = new Recorder(3);
  private final LongAdder replies = new LongAdder();
  private final Map<Code, LongAdder> errors = new EnumMap<>(Code.class);
  private final AtomicLong measured = new AtomicLong();
  private final AtomicLong recorded = new AtomicLong();
  private final long limit;
  private final CountDownLatch limitReached = new CountDownLatch(1);
  private volatile boolean measuring;
  private volatile boolean running = true;
  private long startNanos;
  private long endNanos;

  /** @param limit stop measuring after this many completions; 0 for no limit */
  Measurement(long limit) {
    this.limit = limit;
    for (Code c : Code.values()) {
      errors.put(c, new LongAdder());
    }
  }

  /** Whether load generators should keep sending. */
  boolean running() {
    return running;
  }

  boolean measuring() {
    return measuring;
  }

  void reply(long latencyNanos) {
    if (measuring && claim()) {
      replies.increment();
      recorder.recordValue(Math.max(1, latencyNanos));
      recorded();
    }
  }

  void error(Code code) {
    if (measuring && claim()) {
      errors.get(code).increment();
      recorded();
    }
  }

  /** Whether this completion is one of the first {@code limit}. */
  private boolean claim() {
    return limit == 0 || measured.incrementAndGet() <= limit;
  }

  /**
   * After a claimed completion is recorded. The limit is reached when the last of the claimed
   * ones is recorded, not when it is claimed: another thread may still be recording an earlier
   * one, and the result would miss it.
   */
  private void recorded() {
    if (limit > 0 && recorded.incrementAndGet() == limit) {
      // Ends here, not when the bench thread wakes: workers would go on counting meanwhile.
      stopMeasuring();
      limitReached.countDown();
    }
  }

  /** Ends the warm-up: forgets everything recorded so far. */
  void startMeasuring() {
    recorder.reset();
    startNanos = System.nanoTime();
    measuring = true;
  }

  /** Measures for {@code seconds}, or until the limit is reached (at most {@code seconds}). */
  void measureFor(double seconds) throws InterruptedException {
    long nanos = (long) (seconds * 1e9);
    if (limit > 0) {
      limitReached.await(nanos, TimeUnit.NANOSECONDS);
    } else {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
    stopMeasuring();
  }

  synchronized void stopMeasuring() {
    if (measuring) {
      measuring = false;
      endNanos = System.nanoTime();
    }
  }

  /** Tells load generators to stop sending. */
  void stop() {
    running = false;
  }

  Run.Builder result(String label) {
    Histogram h = recorder.getIntervalHistogram();
    double seconds = (endNanos - startNanos) / 1e9;
    long ok = replies.sum();
    long failed = 0;
    Run.Builder run = Run.newBuilder().setLabel(label).setSeconds(seconds).setReplies(ok);
    for (Map.Entry<Code, LongAdder> e : errors.entrySet()) {
      long n = e.getValue().sum();
      if (n > 0) {
        failed += n;
        run.putErrorsByCode(e.getKey().name(), n);
      }
    }
    return run.setErrors(failed)
        .setThroughput(seconds > 0 ? ok / seconds : 0)
        .setLatency(latency(h));
  }

  static Latency latency(Histogram h) {
    return Latency.newBuilder()
        .setCount(h.getTotalCount())
        .setMeanUs(h.getMean() / 1e3)
        .setP50Us(h.getValueAtPercentile(50) / 1e3)
        .setP90Us(h.getValueAtPercentile(90) / 1e3)
        .setP99Us(h.getValueAtPercentile(99) / 1e3)
        .setP999Us(h.getValueAtPercentile(99.9) / 1e3)
        .setMaxUs(h.getMaxValue() / 1e3)
        .build();
  }
}
