package io.zmesh.worker;

import io.zmesh.Code;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * How one request is made: its timeout, whether it may wait for a worker to appear, whether it
 * is safe to run twice, and its headers. Immutable; every {@code withX} returns a new object.
 *
 * <pre>{@code
 * CallOptions opts = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(2)).withIdempotent(true);
 * }</pre>
 */
public final class CallOptions {
  /** Timeout of a request that does not set one: 10 seconds. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** The longest timeout the protocol carries: about 49 days. */
  public static final Duration MAX_TIMEOUT = Duration.ofMillis(0xFFFF_FFFFL);

  /** 10 s timeout, fail at once when no worker exists, not idempotent, no headers. */
  public static final CallOptions DEFAULT =
      new CallOptions(DEFAULT_TIMEOUT, false, false, Collections.emptyMap());

  private final Duration timeout;
  private final boolean waitForWorker;
  private final boolean idempotent;
  private final Map<String, String> headers;

  private CallOptions(
      Duration timeout, boolean waitForWorker, boolean idempotent, Map<String, String> headers) {
    this.timeout = timeout;
    this.waitForWorker = waitForWorker;
    this.idempotent = idempotent;
    this.headers = headers;
  }

  /** Time from the call until the request fails with {@link Code#DEADLINE_EXCEEDED}. */
  public Duration timeout() {
    return timeout;
  }

  /** Whether the broker holds the request until a worker of the name registers. */
  public boolean waitForWorker() {
    return waitForWorker;
  }

  /** Whether the broker may send the request to a second instance if the first is lost. */
  public boolean idempotent() {
    return idempotent;
  }

  /** Headers sent with the request; the handler reads them from its context. Unmodifiable. */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * @param timeout positive, at most {@link #MAX_TIMEOUT}
   */
  public CallOptions withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("timeout must be in (0, " + MAX_TIMEOUT + "]: " + timeout);
    }
    return new CallOptions(timeout, waitForWorker, idempotent, headers);
  }

  /**
   * Wait until the deadline for a worker of the name to register instead of failing at once
   * with {@link Code#NO_WORKER}. Useful while workers start or restart.
   */
  public CallOptions withWaitForWorker(boolean waitForWorker) {
    return new CallOptions(timeout, waitForWorker, idempotent, headers);
  }

  /**
   * Mark the request safe to run twice: if the instance handling it is lost, the broker sends
   * it once more to another instance instead of failing with {@link Code#WORKER_LOST}.
   */
  public CallOptions withIdempotent(boolean idempotent) {
    return new CallOptions(timeout, waitForWorker, idempotent, headers);
  }

  public CallOptions withHeader(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Map<String, String> copy = new LinkedHashMap<>(headers);
    copy.put(name, value);
    return new CallOptions(timeout, waitForWorker, idempotent, Collections.unmodifiableMap(copy));
  }

  @Override
  public String toString() {
    return "CallOptions{timeout=" + timeout + ", waitForWorker=" + waitForWorker
        + ", idempotent=" + idempotent + ", headers=" + headers + "}";
  }
}
