package io.zmesh.samples.receive;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How the gateway listens and what each WebSocket may hold. Immutable; built by {@link
 * #builder()}. The limits are per socket, so one client cannot take what the others need.
 */
public final class GatewayOptions {
  /** Characters of one text frame; a longer frame is answered with an error frame. */
  public static final int DEFAULT_MAX_FRAME_CHARS = 64 * 1024;
  /** Requests of one socket waiting for their answer. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 32;
  /** Bytes of frames waiting to be sent to one socket; topic messages get half. */
  public static final long DEFAULT_MAX_OUTBOUND_BYTES = 1024 * 1024;
  /** Topic patterns one socket may subscribe to. */
  public static final int DEFAULT_MAX_SUBSCRIPTIONS = 32;
  /** Timeout of a request frame without {@code timeout_ms}; also the most it may ask. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);

  private final String host;
  private final int port;
  private final int maxFrameChars;
  private final int maxInFlight;
  private final long maxOutboundBytes;
  private final int maxSubscriptions;
  private final Duration idleTimeout;
  private final Set<String> allowedWorkers;

  private GatewayOptions(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.maxFrameChars = b.maxFrameChars;
    this.maxInFlight = b.maxInFlight;
    this.maxOutboundBytes = b.maxOutboundBytes;
    this.maxSubscriptions = b.maxSubscriptions;
    this.idleTimeout = b.idleTimeout;
    this.allowedWorkers = b.allowedWorkers;
  }

  /** A builder with every default above. */
  public static Builder builder() {
    return new Builder();
  }

  /** The address listened on; 127.0.0.1 unless set. */
  public String host() {
    return host;
  }

  /** 0 picks a free port; {@link Gateway#port()} tells which. */
  public int port() {
    return port;
  }

  /** The longest text frame a socket may send, in characters. */
  public int maxFrameChars() {
    return maxFrameChars;
  }

  /** Requests of one socket waiting for their answers. */
  public int maxInFlight() {
    return maxInFlight;
  }

  /** Bytes waiting to be sent to one socket; topic messages may use half. */
  public long maxOutboundBytes() {
    return maxOutboundBytes;
  }

  /** Topic patterns one socket may subscribe to. */
  public int maxSubscriptions() {
    return maxSubscriptions;
  }

  /** A socket with no traffic either way for this long is closed. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /**
   * The workers a socket may ask; empty (the default) for any worker except the broker's own
   * services, which are never reachable.
   */
  public Set<String> allowedWorkers() {
    return allowedWorkers;
  }

  /** Whether a socket may send a request to {@code worker}. */
  boolean allows(String worker) {
    return !worker.startsWith("zmesh.") && (allowedWorkers.isEmpty() || allowedWorkers.contains(worker));
  }

  /** Builds {@link GatewayOptions}; every value has the default above. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8080;
    private int maxFrameChars = DEFAULT_MAX_FRAME_CHARS;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private long maxOutboundBytes = DEFAULT_MAX_OUTBOUND_BYTES;
    private int maxSubscriptions = DEFAULT_MAX_SUBSCRIPTIONS;
    private Duration idleTimeout = Duration.ofMinutes(10);
    private Set<String> allowedWorkers = Set.of();

    private Builder() {}

    /** The address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for every interface. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The port to listen on, 0 for a free one. */
    public Builder port(int port) {
      this.port = check("port", port, 0, 65_535);
      return this;
    }

    /** See {@link GatewayOptions#maxFrameChars()}; 64 to 16 Mi. */
    public Builder maxFrameChars(int chars) {
      this.maxFrameChars = check("max frame characters", chars, 64, 16 * 1024 * 1024);
      return this;
    }

    /** See {@link GatewayOptions#maxInFlight()}; 1 to 65,536. */
    public Builder maxInFlight(int requests) {
      this.maxInFlight = check("max requests in flight", requests, 1, 65_536);
      return this;
    }

    /** See {@link GatewayOptions#maxOutboundBytes()}; 4 KiB to 1 GiB. */
    public Builder maxOutboundBytes(long bytes) {
      if (bytes < 4096 || bytes > 1L << 30) {
        throw new IllegalArgumentException("max outbound bytes must be in [4096, 2^30]: " + bytes);
      }
      this.maxOutboundBytes = bytes;
      return this;
    }

    /** See {@link GatewayOptions#maxSubscriptions()}; 1 to 4,096. */
    public Builder maxSubscriptions(int patterns) {
      this.maxSubscriptions = check("max subscriptions", patterns, 1, 4096);
      return this;
    }

    /** See {@link GatewayOptions#idleTimeout()}. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** See {@link GatewayOptions#allowedWorkers()}. */
    public Builder allowedWorkers(Set<String> workers) {
      this.allowedWorkers = Set.copyOf(workers);
      return this;
    }

    /** The options. */
    public GatewayOptions build() {
      return new GatewayOptions(this);
    }

    private static int check(String what, int value, int min, int max) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            what + " must be in [" + min + ", " + max + "]: " + value);
      }
      return value;
    }
  }
}
