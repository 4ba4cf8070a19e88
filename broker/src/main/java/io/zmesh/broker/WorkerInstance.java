package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.proto.Ready;

/** One registered instance of a worker name, and its credit. */
final class WorkerInstance {
  /** Weight of the newest sample in the latency moving average. */
  private static final double LATENCY_ALPHA = 0.2;

  final Peer peer;
  final WorkerGroup group;
  final String instanceId;
  final int concurrency;
  final Ready ready;
  /** When the instance started, by the broker's clock: READY says how long it had run. */
  final long startedAt;
  final RequestList inFlight = new RequestList();

  long handled;
  long errors;
  double latencyNanos;
  /** Latency relative to the group's median, rounded, at least 1; see {@link Policy}. */
  int weight = 1;
  /** The group's dispatch sequence number of the last request sent here. */
  long lastDispatch;
  /** Requests sent here since the group last re-weighed its instances. */
  long dispatchedSinceReweigh;
  /** Requests held here that were sent CANCEL and not yet answered. */
  int cancelling;
  boolean draining;
  boolean removed;

  /** Position in a {@link LeastOutstanding} heap, -1 when not in it. */
  int heapIndex = -1;
  /** Outstanding requests when a {@link LeastOutstanding} heap last saw this instance. */
  int seenOutstanding;
  /** Whether the ring of a {@link RoundRobin} or a {@link LeastOutstanding} holds this. */
  boolean inRing;

  WorkerInstance(Peer peer, WorkerGroup group, Ready ready, long now) {
    this.peer = peer;
    this.group = group;
    this.ready = ready;
    this.instanceId = ready.getInstanceId();
    this.concurrency = ready.getConcurrency();
    // The instance says how long it has run; a broker that restarted shows that, not the time
    // since this READY. Capped so a clock's nonsense cannot go back before the broker's epoch.
    this.startedAt = now - Math.min(ready.getUptimeMs(), Long.MAX_VALUE / MS / 2) * MS;
  }

  int outstanding() {
    return inFlight.size();
  }

  /** May take one more request now. */
  boolean hasCredit() {
    return !draining && !removed && !peer.gone && inFlight.size() < concurrency;
  }

  void recordLatency(long nanos) {
    latencyNanos = latencyNanos == 0 ? nanos : latencyNanos + LATENCY_ALPHA * (nanos - latencyNanos);
  }

  /**
   * {@code stuck} while it holds a request it was sent CANCEL for and has not answered (it is
   * disconnected when the cancel grace passes), else {@code draining} or {@code ready}.
   */
  String state() {
    return cancelling > 0 ? "stuck" : draining ? "draining" : "ready";
  }
}
