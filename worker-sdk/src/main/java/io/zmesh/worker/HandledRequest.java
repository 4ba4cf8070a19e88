package io.zmesh.worker;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Wire;
import io.zmesh.worker.internal.Connection;
import io.zmesh.worker.internal.IncomingRequest;
import io.zmesh.worker.internal.Payloads;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request being handled, and the handler's {@link RequestContext}. Runs the handler on the
 * handler executor and turns what it returns or throws into exactly one answer: the reply, the
 * {@link MeshException}'s status, or HANDLER_FAILED for anything else.
 *
 * <p>The deadline is the request's {@code timeout_ms} from when it arrived (the default call
 * timeout if it carries none), on the worker's clock; requests made through the context are
 * capped by it.
 */
final class HandledRequest implements RequestContext {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private final Dispatcher dispatcher;
  /** The connection the request came on, which the answer and further requests use. */
  final Connection connection;
  final IncomingRequest request;
  /** The socket the request came on; the answer goes only there. */
  final long epoch;
  private final long deadlineNanos;
  /** The requester gave up, or the connection it came on was lost. */
  volatile boolean cancelled;

  HandledRequest(Dispatcher dispatcher, Connection connection, IncomingRequest request,
      long epoch) {
    this.dispatcher = dispatcher;
    this.connection = connection;
    this.request = request;
    this.epoch = epoch;
    long timeout = request.timeoutMs() > 0
        ? TimeUnit.MILLISECONDS.toNanos(request.timeoutMs())
        : CallOptions.DEFAULT_TIMEOUT.toNanos();
    this.deadlineNanos = dispatcher.ticker.nanoTime() + timeout;
  }

  /** On the handler executor. */
  <T extends Message, R extends Message> void run(TypedHandler<T, R> handler) {
    T message;
    try {
      message = request.unpack(handler.type, "request");
    } catch (MeshException e) {
      finish(StatusCodec.error(request.id(), e.status().code(), e.status().description()));
      return;
    }
    try {
      if (handler.async != null) {
        CompletionStage<R> stage = handler.async.handle(message, this);
        if (stage == null) {
          fail(handler, new NullPointerException("handler returned a null stage"));
          return;
        }
        stage.whenComplete((reply, failure) -> {
          if (failure != null) {
            fail(handler, failure);
          } else {
            reply(handler, reply);
          }
        });
      } else {
        reply(handler, handler.sync.handle(message, this));
      }
    } catch (Exception | Error e) {
      fail(handler, e);
    }
  }

  private void reply(TypedHandler<?, ?> handler, Message reply) {
    if (reply == null) {
      fail(handler, new NullPointerException("handler returned null"));
      return;
    }
    long id = request.id();
    // Written straight to bytes: no Any, no envelope, no copy of the reply's value.
    finish(reply instanceof Any
        ? Wire.reply(id, (Any) reply) : Wire.reply(id, Payloads.typeUrl(reply), reply));
  }

  private void fail(TypedHandler<?, ?> handler, Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    Status status;
    if (cause instanceof MeshException) {
      status = ((MeshException) cause).status();
      log.debug("handler of '{}' for {} failed: {}", worker(), handler.typeName, status);
    } else {
      status = Status.HANDLER_FAILED.withDescription(
          "worker '" + worker() + "' failed on " + handler.typeName + ": " + cause);
      log.warn("handler of '{}' for {} failed", worker(), handler.typeName, cause);
    }
    finish(StatusCodec.error(request.id(), status.code(), status.description()));
  }

  void finish(Envelope answer) {
    dispatcher.answer(this, Wire.encode(answer));
  }

  private void finish(byte[] answer) {
    dispatcher.answer(this, answer);
  }

  @Override
  public String worker() {
    return dispatcher.worker.name();
  }

  @Override
  public String instanceId() {
    return dispatcher.worker.instanceId();
  }

  @Override
  public Map<String, String> headers() {
    return request.headers();
  }

  @Override
  public Duration timeRemaining() {
    return Duration.ofNanos(deadlineNanos - dispatcher.ticker.nanoTime());
  }

  @Override
  public boolean isCancelled() {
    return cancelled || deadlineNanos - dispatcher.ticker.nanoTime() <= 0;
  }

  @Override
  public CallOptions callOptions() {
    return capped(dispatcher.worker.callOptions());
  }

  @Override
  public <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType, CallOptions callOptions) {
    Duration left = timeRemaining();
    if (left.isNegative() || left.isZero()) {
      return CompletableFuture.failedFuture(Status.DEADLINE_EXCEEDED
          .withDescription("the deadline of the request being handled has passed")
          .asException());
    }
    return Payloads.request(connection, worker, request, replyType,
        capped(callOptions));
  }

  @Override
  public <R extends Message> R call(
      String worker, Message request, Class<R> replyType, CallOptions callOptions) {
    Duration left = timeRemaining();
    if (left.isNegative() || left.isZero()) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("the deadline of the request being handled has passed")
          .asException();
    }
    return Payloads.call(connection, worker, request, replyType, capped(callOptions));
  }

  private CallOptions capped(CallOptions callOptions) {
    Duration left = timeRemaining();
    return left.compareTo(callOptions.timeout()) < 0 && !left.isNegative() && !left.isZero()
        ? callOptions.withTimeout(left)
        : callOptions;
  }
}
