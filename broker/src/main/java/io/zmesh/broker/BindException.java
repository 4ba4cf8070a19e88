package io.zmesh.broker;

/**
 * An endpoint could not be bound: it is in use, malformed, or not an address of this host. The
 * message names the endpoint and the cause, e.g. {@code cannot bind tcp://127.0.0.1:5555:
 * address already in use (EADDRINUSE)}.
 */
public final class BindException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String endpoint;

  BindException(String endpoint, String cause, Throwable source) {
    super("cannot bind " + endpoint + ": " + cause, source);
    this.endpoint = endpoint;
  }

  /** The endpoint that could not be bound, as given. */
  public String endpoint() {
    return endpoint;
  }
}
