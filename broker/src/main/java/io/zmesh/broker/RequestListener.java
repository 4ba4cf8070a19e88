package io.zmesh.broker;

import io.zmesh.Code;

/**
 * Told how each request ends, for metrics; set with {@link
 * BrokerOptions.Builder#requestListener}. A request ends once, with the worker's REPLY ({@link
 * Code#OK}) or ERROR, or with the status the broker answered itself (NO_WORKER, OVERLOADED,
 * DEADLINE_EXCEEDED, WORKER_LOST, CANCELLED, INVALID_ARGUMENT...).
 *
 * <p>Runs on the broker's loop thread for every request: it must return at once, never block
 * and never call back into the broker; an exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface RequestListener {
  /**
   * @param worker the worker name the request was addressed to, or the empty string when it
   *     was not a valid name
   * @param code how it ended
   * @param nanos from when the broker read the request to when it sent the answer; 0 for a
   *     request refused at once
   */
  void onRequestDone(String worker, Code code, long nanos);
}
