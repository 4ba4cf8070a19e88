package io.zmesh;


/**
 * Why a request failed. The numbers are part of the wire protocol and of the CLI's exit codes;
 * they never change.
 */
public enum Code {
  /** Not an error. */
  OK(0),
  /** No worker of the requested name is registered (and the request did not ask to wait). */
  NO_WORKER(1),
  /** The request's deadline passed before a reply arrived. */
  DEADLINE_EXCEEDED(2),
  /** The worker's handler threw; the message says what. */
  HANDLER_FAILED(3),
  /** The worker handling the request died or disconnected before replying. */
  WORKER_LOST(4),
  /** The worker group's queue at the broker is full; retry later. */
  OVERLOADED(5),
  /** The request itself is wrong: bad name, unknown type, malformed packet, too large. */
  INVALID_ARGUMENT(6),
  /** The caller could not be identified. */
  UNAUTHENTICATED(7),
  /** The caller may not do this, e.g. register under the reserved prefix {@code zmesh.}. */
  PERMISSION_DENIED(8),
  /** The broker cannot be reached, or the connection to it was lost. */
  UNAVAILABLE(9),
  /** The requester gave up, or the client was closed. */
  CANCELLED(10),
  /** A bug: something that should not happen did. */
  INTERNAL(11);

  private static final Code[] BY_NUMBER;

  static {
    BY_NUMBER = new Code[values().length];
    for (Code c : values()) {
      BY_NUMBER[c.number] = c;
    }
  }

  private final int number;

  Code(int number) {
    this.number = number;
  }

  /** The stable number of this code. */
  public int number() {
    return number;
  }

  /** The code with this number, or {@link #INTERNAL} for a number this version does not know. */
  public static Code forNumber(int number) {
    return number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : INTERNAL;
  }


  /** The status built from this code, without a description. */
  public Status toStatus() {
    return Status.of(this);
  }
}
