package io.zmesh.worker;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.worker.internal.Payloads;
import java.util.concurrent.CompletableFuture;

/**
 * Sends requests to workers by name. Implemented by {@link MeshClient}, {@link Worker} and
 * {@link RequestContext}; all methods are thread-safe.
 *
 * <p>Every request ends exactly once: its future completes with the reply, or fails with a
 * {@link MeshException} whose {@link Status} says why (no worker, deadline exceeded, handler
 * failed, worker lost, overloaded, unavailable...). Futures are completed on the connection's
 * callback executor (see {@link MeshOptions.Builder#callbackExecutor}), never on its I/O thread.
 * A blocking {@code call} of the SDK's implementations is woken by the I/O thread directly,
 * since its future runs no user code: one thread hand-off fewer per call.
 */
public interface Requester {

  /**
   * Sends {@code request} to one instance of the worker named {@code worker}.
   *
   * @param replyType the reply's class; {@code Any.class} returns the reply undecoded
   * @return the reply, or a failure carrying the Status; a reply of another type fails with
   *     {@link Code#INVALID_ARGUMENT}
   */
  <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType, CallOptions options);

  /** The options used by the methods that take none. */
  CallOptions callOptions();

  /** {@link #request(String, Message, Class, CallOptions)} with {@link #callOptions()}. */
  default <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType) {
    return request(worker, request, replyType, callOptions());
  }

  /**
   * Blocks until the reply arrives.
   *
   * @throws MeshException with the Status of the failure
   */
  default <R extends Message> R call(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.await(request(worker, request, replyType, options), options.timeout());
  }

  /** {@link #call(String, Message, Class, CallOptions)} with {@link #callOptions()}. */
  default <R extends Message> R call(String worker, Message request, Class<R> replyType) {
    return call(worker, request, replyType, callOptions());
  }

  /** Sends a request already packed as {@link Any}, for tools that know types only at run time. */
  default CompletableFuture<Any> request(String worker, Any request, CallOptions options) {
    return request(worker, request, Any.class, options);
  }
}
