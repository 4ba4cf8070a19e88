package io.zmesh.broker;

/**
 * Told when a worker instance registers and when it leaves; set with {@link
 * BrokerOptions.Builder#workerListener}. A supervisor uses it to learn when a child it started
 * is ready (its READY was accepted) and when it is gone.
 *
 * <p>Both methods run on the broker's loop thread, in the order the broker saw the events.
 * They must return at once and never block or call back into the broker synchronously: hand
 * the event to a thread of your own. An exception they throw is logged and otherwise ignored.
 */
public interface WorkerListener {
  /** The broker accepted the READY of {@code instance}: requests are routed to it from now. */
  default void onReady(WorkerEvent instance) {}

  /**
   * {@code instance} left: it disconnected, its connection closed or it went silent. Requests
   * it held have been answered WORKER_LOST or queued again (idempotent ones) before this call.
   */
  default void onLeft(WorkerEvent instance) {}
}
