package io.zmesh.broker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The instances registered under one worker name, their balancer and their waiting queue. */
final class WorkerGroup {
  final String name;
  final Policy policy;
  final Balancer balancer;
  /** Requests waiting for credit, or for a first instance. */
  final RequestList queue = new RequestList();
  /** Bytes of the requests in {@link #queue}. */
  long queuedBytes;
  final List<WorkerInstance> instances = new ArrayList<>();
  /** Numbers dispatches, so ties go to the instance that has waited longest. */
  long dispatchSeq;

  WorkerGroup(String name, Policy policy) {
    this.name = name;
    this.policy = policy;
    this.balancer = Balancer.create(policy);
  }

  /** Instances that take new requests. */
  int activeInstances() {
    int n = 0;
    for (WorkerInstance w : instances) {
      if (!w.draining) {
        n++;
      }
    }
    return n;
  }

  /** The largest weight: an instance this many times slower than the median is not slower. */
  static final int MAX_WEIGHT = 1_000;

  /**
   * Re-computes each instance's weight from its latency against the group's median. An
   * instance that was sent nothing since the last call has its latency pulled halfway back to
   * the median, so one that was slow once is tried again rather than starved forever.
   */
  void reweigh() {
    if (instances.size() < 2) {
      return;
    }
    double[] latencies = new double[instances.size()];
    int n = 0;
    for (WorkerInstance w : instances) {
      if (w.latencyNanos > 0) {
        latencies[n++] = w.latencyNanos;
      }
    }
    if (n == 0) {
      return;
    }
    Arrays.sort(latencies, 0, n);
    double median = latencies[n / 2];
    for (WorkerInstance w : instances) {
      if (w.dispatchedSinceReweigh == 0 && w.latencyNanos > median) {
        w.latencyNanos = median + (w.latencyNanos - median) / 2;
      }
      w.dispatchedSinceReweigh = 0;
      // Equal instances differ by noise; only an instance at least twice the median is
      // slower, else the heap would shift shares between equals on every jitter.
      double ratio = w.latencyNanos <= 0 ? 1 : w.latencyNanos / median;
      int weight = ratio < 2 ? 1 : (int) Math.min(MAX_WEIGHT, Math.floor(ratio));
      if (weight != w.weight) {
        w.weight = weight;
        balancer.changed(w);
      }
    }
  }

  boolean isEmpty() {
    return instances.isEmpty() && queue.isEmpty();
  }
}
