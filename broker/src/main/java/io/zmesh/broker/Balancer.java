package io.zmesh.broker;

/**
 * Chooses the instance for the next request among those with credit. One per worker name,
 * driven by the broker loop. Implementations keep only instances with credit, so choosing never
 * scans the group.
 */
interface Balancer {
  /** The instance to send the next request to, or null when none has credit. */
  WorkerInstance next();

  /** A request was just sent to {@code instance}, which {@link #next()} chose. */
  void dispatched(WorkerInstance instance);

  /** The instance's credit or latency changed otherwise (reply, registration). */
  void changed(WorkerInstance instance);

  /** The instance is lost or draining: never choose it again. */
  void removed(WorkerInstance instance);

  static Balancer create(Policy policy) {
    switch (policy) {
      case ROUND_ROBIN:
        return new RoundRobin();
      case LEAST_OUTSTANDING:
      default:
        return new LeastOutstanding();
    }
  }
}
