package io.zmesh.broker;

import io.zmesh.core.internal.DeadlineWheel;

/** A request the broker has accepted and not yet answered, or answered but not yet released. */
final class PendingRequest extends DeadlineWheel.Timer {
  /** The broker's own id, used on the worker side of the route. */
  final long id;
  final Peer requester;
  /** The id the requester chose, used on its side of the route. */
  final long requesterId;
  final WorkerGroup group;
  /**
   * The request as it arrived, forwarded with only its id and timeout replaced; null once it
   * can no longer be sent again (dispatched and not idempotent, or answered), so that the
   * broker holds the bytes only while it may need them. Counted in the memory budget.
   */
  byte[] body;
  /** Bytes of {@link #body} counted in the group's queue while queued. */
  final int size;
  final boolean idempotent;
  final long acceptedAt;

  WorkerInstance instance;
  long dispatchedAt;
  /** Times it went back to the queue because its instance was lost. */
  int retries;
  /** Waits for a first worker only because the broker has just started. */
  boolean graceWait;
  /** When that wait ends with NO_WORKER. */
  long graceUntil;
  /**
   * The requester already has its answer (a deadline passed, or it cancelled) and the worker,
   * which still holds the request, was sent CANCEL; its credit is returned only when the worker
   * answers or is lost, and the deadline timer now counts the cancel grace.
   */
  boolean answered;

  PendingRequest listPrev;
  PendingRequest listNext;
  RequestList list;

  /** The requester's requests not yet answered, linked through its {@link Peer}. */
  PendingRequest peerPrev;
  PendingRequest peerNext;
  boolean linkedToPeer;

  PendingRequest(long id, Peer requester, long requesterId, boolean idempotent, byte[] body,
      WorkerGroup group, long now) {
    this.id = id;
    this.requester = requester;
    this.requesterId = requesterId;
    this.body = body;
    this.size = body.length;
    this.idempotent = idempotent;
    this.group = group;
    this.acceptedAt = now;
  }
}
