package io.zmesh.broker;

import com.google.protobuf.Internal;
import com.google.protobuf.Message;
import io.zmesh.proto.Names;
import java.util.Objects;

/**
 * A service under the broker's reserved prefix ({@code zmesh.}) answered by the application
 * that embeds the broker, such as the supervisor's {@code zmesh.supervisor.*}; added with
 * {@link BrokerOptions.Builder#service}. Clients address it like any worker, with one REQUEST
 * whose payload is {@code requestType} (an empty payload is its default instance).
 *
 * <p>Each service says whether it changes anything ({@link Access#WRITE}) or only reads
 * ({@link Access#READ}), so that permissions can be given per kind. The broker's own services
 * ({@code zmesh.workers}, {@code zmesh.stats}, ...) all read.
 *
 * <p>Threads: the handler never runs on the broker loop. It runs on one of the broker's
 * service threads (at most {@link #MAX_CONCURRENT_CALLS} at once, more are queued up to {@link
 * #MAX_QUEUED_CALLS}, beyond that the request gets OVERLOADED) and may block, for instance
 * while processes stop. Its reply is sent when it returns; a {@link io.zmesh.MeshException} it
 * throws becomes that status, an {@link IllegalArgumentException} INVALID_ARGUMENT, anything
 * else INTERNAL.
 */
public final class BrokerService {
  /** Service calls running at once; the rest wait. */
  public static final int MAX_CONCURRENT_CALLS = 8;

  /** Service calls waiting for a thread before OVERLOADED. */
  public static final int MAX_QUEUED_CALLS = 64;

  /** Whether a service changes state or only reads it. */
  public enum Access {
    /** Reads only: listing, status, logs. */
    READ,
    /** Changes something: starts, stops, reloads, scales. */
    WRITE
  }

  /** Answers one request; may block. */
  @FunctionalInterface
  public interface Handler<T extends Message> {
    /** The reply to {@code request}. */
    Message handle(T request) throws Exception;
  }

  private final String name;
  private final Access access;
  private final Class<? extends Message> requestType;
  private final Handler<Message> handler;

  @SuppressWarnings("unchecked")
  private <T extends Message> BrokerService(String name, Access access, Class<T> requestType,
      Handler<T> handler) {
    this.name = name;
    this.access = access;
    this.requestType = requestType;
    this.handler = (Handler<Message>) handler;
  }

  /**
   * A service named {@code name}, taking requests of {@code requestType}.
   *
   * @throws IllegalArgumentException if the name is not a valid worker name under {@code
   *     zmesh.}
   */
  public static <T extends Message> BrokerService of(String name, Access access,
      Class<T> requestType, Handler<T> handler) {
    String problem = Names.checkWorkerName(name);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (!Names.isReserved(name)) {
      throw new IllegalArgumentException("a broker service's name starts with '"
          + Names.RESERVED_PREFIX + "': " + name);
    }
    return new BrokerService(name, Objects.requireNonNull(access, "access"),
        Objects.requireNonNull(requestType, "requestType"),
        Objects.requireNonNull(handler, "handler"));
  }

  /** The name clients address. */
  public String name() {
    return name;
  }

  /** Whether it changes state. */
  public Access access() {
    return access;
  }

  /** The message type its requests carry. */
  public Class<? extends Message> requestType() {
    return requestType;
  }

  Message defaultRequest() {
    return Internal.getDefaultInstance(requestType);
  }

  Handler<Message> handler() {
    return handler;
  }
}
