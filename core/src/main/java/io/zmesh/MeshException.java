package io.zmesh;

import java.util.Objects;

/**
 * A failed request, carrying its {@link Status}. Every failure the SDK reports is one of these,
 * whether it came from the broker, from the worker's handler or from the local connection.
 */
public class MeshException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Status status;

  public MeshException(Status status) {
    this(status, null);
  }

  public MeshException(Status status, Throwable cause) {
    super(Objects.requireNonNull(status, "status").toString(), cause);
    this.status = status;
  }

  public Status status() {
    return status;
  }

  public Code code() {
    return status.code();
  }

  /**
   * The status of {@code t}: its own if it is (or wraps, as {@code CompletionException} does) a
   * MeshException, otherwise {@link Code#INTERNAL} with the exception's text.
   */
  public static Status statusOf(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof MeshException) {
        return ((MeshException) c).status();
      }
    }
    return Status.INTERNAL.withDescription(String.valueOf(t));
  }
}
