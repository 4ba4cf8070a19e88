package io.zmesh.proto;

/** A packet that cannot be understood. Carries the correlation id when one could be read. */
public final class WireException extends Exception {
  private static final long serialVersionUID = 1L;

  private final long id;

  public WireException(String message) {
    this(message, 0);
  }

  public WireException(String message, long id) {
    super(message, null, false, false);
    this.id = id;
  }

  /** The packet's correlation id, or 0 when none could be read. */
  public long id() {
    return id;
  }
}
