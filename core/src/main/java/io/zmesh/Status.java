package io.zmesh;

import java.util.Objects;

/**
 * The outcome of a request: a {@link Code} and a human-readable description. Immutable.
 *
 * <p>The broker and the SDK share this model, so a failure looks the same whether the broker
 * detected it (no worker, deadline, worker lost) or a handler did:
 *
 * <pre>{@code
 * throw Status.INVALID_ARGUMENT.withDescription("empty room name").asException();
 * }</pre>
 */
public final class Status {
  public static final Status OK = new Status(Code.OK, "");
  public static final Status NO_WORKER = new Status(Code.NO_WORKER, "");
  public static final Status DEADLINE_EXCEEDED = new Status(Code.DEADLINE_EXCEEDED, "");
  public static final Status HANDLER_FAILED = new Status(Code.HANDLER_FAILED, "");
  public static final Status WORKER_LOST = new Status(Code.WORKER_LOST, "");
  public static final Status OVERLOADED = new Status(Code.OVERLOADED, "");
  public static final Status INVALID_ARGUMENT = new Status(Code.INVALID_ARGUMENT, "");
  public static final Status UNAUTHENTICATED = new Status(Code.UNAUTHENTICATED, "");
  public static final Status PERMISSION_DENIED = new Status(Code.PERMISSION_DENIED, "");
  public static final Status UNAVAILABLE = new Status(Code.UNAVAILABLE, "");
  public static final Status CANCELLED = new Status(Code.CANCELLED, "");
  public static final Status INTERNAL = new Status(Code.INTERNAL, "");

  private final Code code;
  private final String description;

  private Status(Code code, String description) {
    this.code = Objects.requireNonNull(code, "code");
    this.description = description == null ? "" : description;
  }

  /** The status with this code and no description. */
  public static Status of(Code code) {
    return new Status(code, "");
  }


  public Code code() {
    return code;
  }

  /** What went wrong, for people; empty when there is nothing to add to the code. */
  public String description() {
    return description;
  }

  public boolean isOk() {
    return code == Code.OK;
  }

  /** A status with the same code and this description. */
  public Status withDescription(String description) {
    return new Status(code, description);
  }

  public MeshException asException() {
    return new MeshException(this);
  }

  public MeshException asException(Throwable cause) {
    return new MeshException(this, cause);
  }


  @Override
  public boolean equals(Object o) {
    return o instanceof Status
        && ((Status) o).code == code
        && ((Status) o).description.equals(description);
  }

  @Override
  public int hashCode() {
    return code.hashCode() * 31 + description.hashCode();
  }

  @Override
  public String toString() {
    return description.isEmpty() ? code.name() : code.name() + ": " + description;
  }
}
