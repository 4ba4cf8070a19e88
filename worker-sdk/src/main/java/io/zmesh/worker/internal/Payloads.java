package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.GeneratedMessage;
import com.google.protobuf.Internal;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Names;
import io.zmesh.proto.Wire;
import io.zmesh.worker.CallOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/** Packing and unpacking of typed payloads, and the request path shared by clients and workers. */
public final class Payloads {
  private static final String TYPE_URL_PREFIX = "type.googleapis.com/";

  private static final ClassValue<Message> DEFAULTS = new ClassValue<>() {
    @Override
    protected Message computeValue(Class<?> type) {
      @SuppressWarnings("unchecked")
      Class<? extends Message> messageType = (Class<? extends Message>) type;
      return Internal.getDefaultInstance(messageType);
    }
  };

  /** Type URLs of generated classes, so publishing does not build the string per message. */
  private static final ClassValue<String> TYPE_URLS = new ClassValue<>() {
    @Override
    protected String computeValue(Class<?> type) {
      return typeUrl(DEFAULTS.get(type).getDescriptorForType().getFullName());
    }
  };

  private Payloads() {}

  /** The default instance of a generated message class. */
  public static Message defaultInstance(Class<? extends Message> type) {
    return DEFAULTS.get(type);
  }

  /** The fully qualified protobuf name of a generated message class. */
  public static String typeName(Class<? extends Message> type) {
    return defaultInstance(type).getDescriptorForType().getFullName();
  }

  /** The message name in a type URL ({@code type.googleapis.com/pkg.Msg} gives {@code pkg.Msg}). */
  public static String typeName(Any any) {
    String url = any.getTypeUrl();
    return url.substring(url.lastIndexOf('/') + 1);
  }

  public static Any pack(Message message) {
    return message instanceof Any ? (Any) message : Any.pack(message);
  }

  /**
   * Unpacks {@code any} as {@code type}.
   *
   * @throws MeshException INVALID_ARGUMENT if it holds another type or does not parse
   */
  @SuppressWarnings("unchecked")
  public static <T extends Message> T unpack(Any any, Class<T> type, String what) {
    if (type == Any.class) {
      return (T) any;
    }
    Message prototype = defaultInstance(type);
    String expected = prototype.getDescriptorForType().getFullName();
    String url = any.getTypeUrl();
    int name = url.lastIndexOf('/') + 1;
    // Compared in place: runs for every request and every message delivered.
    if (url.length() - name != expected.length()
        || !url.regionMatches(name, expected, 0, expected.length())) {
      throw wrongType(what, url.substring(name), expected);
    }
    try {
      return (T) prototype.getParserForType().parseFrom(any.getValue());
    } catch (InvalidProtocolBufferException e) {
      throw doesNotParse(what, expected, e);
    }
  }

  /**
   * {@link #unpack(Any, Class, String)} of a payload still in its frame: the type URL's UTF-8
   * bytes and the value's bytes at the given places. Builds no {@code Any}, copies no bytes.
   */
  @SuppressWarnings("unchecked")
  public static <T extends Message> T unpack(byte[] frame, int typeUrlStart, int typeUrlLength,
      int valueStart, int valueLength, Class<T> type, String what) {
    if (type == Any.class) {
      return (T) Any.newBuilder()
          .setTypeUrl(new String(frame, typeUrlStart, typeUrlLength, StandardCharsets.UTF_8))
          .setValue(ByteString.copyFrom(frame, valueStart, valueLength))
          .build();
    }
    Message prototype = defaultInstance(type);
    String expected = prototype.getDescriptorForType().getFullName();
    int end = typeUrlStart + typeUrlLength;
    int name = end;
    while (name > typeUrlStart && frame[name - 1] != '/') {
      name--;
    }
    boolean same = end - name == expected.length();
    for (int i = 0; same && i < expected.length(); i++) {
      same = frame[name + i] == expected.charAt(i);
    }
    if (!same) {
      throw wrongType(what, new String(frame, name, end - name, StandardCharsets.UTF_8), expected);
    }
    try {
      return (T) prototype.getParserForType().parseFrom(frame, valueStart, valueLength);
    } catch (InvalidProtocolBufferException e) {
      throw doesNotParse(what, expected, e);
    }
  }

  private static MeshException wrongType(String what, String actual, String expected) {
    return Status.INVALID_ARGUMENT
        .withDescription(what + " is a " + (actual.isEmpty() ? "<no type>" : actual)
            + ", expected " + expected)
        .asException();
  }

  private static MeshException doesNotParse(
      String what, String expected, InvalidProtocolBufferException e) {
    return Status.INVALID_ARGUMENT
        .withDescription(what + " does not parse as " + expected + ": " + e.getMessage())
        .asException(e);
  }

  /** Starts a request on {@code connection}; the common path of every {@code request} method. */
  public static <R extends Message> CompletableFuture<R> request(
      Connection connection, String worker, Message request, Class<R> replyType,
      CallOptions options) {
    Objects.requireNonNull(replyType, "replyType");
    String problem = check(worker, request, options);
    if (problem != null) {
      return CompletableFuture.failedFuture(
          Status.INVALID_ARGUMENT.withDescription(problem).asException());
    }
    String what = "reply from '" + worker + "'";
    return connection.requestBounded(body(worker, request, options),
        options.timeout().toNanos(), options.idempotent(),
        reply -> unpack(reply.getPayload(), replyType, what));
  }

  /**
   * A blocking call on {@code connection}; the common path of every {@code call} method. Its
   * future is nobody else's, so the I/O thread completes it itself (waking the caller) instead
   * of handing it to the callback executor, which would cost a thread hand-off per call; the
   * reply is decoded here, on the caller's thread.
   *
   * @throws MeshException with the failure's Status
   */
  public static <R extends Message> R call(Connection connection, String worker,
      Message request, Class<R> replyType, CallOptions options) {
    Objects.requireNonNull(replyType, "replyType");
    String problem = check(worker, request, options);
    if (problem != null) {
      throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
    }
    Envelope reply = await(connection.call(body(worker, request, options),
        options.timeout().toNanos(), options.idempotent()), options.timeout());
    return unpack(reply.getPayload(), replyType, "reply from '" + worker + "'");
  }

  private static String check(String worker, Message request, CallOptions options) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(options, "options");
    return Names.checkWorkerName(worker);
  }

  private static byte[] body(String worker, Message request, CallOptions options) {
    // Written straight to bytes (no Any, no envelope, no copy of the value): a request with
    // headers, rare, goes through the builder.
    byte[] body;
    if (!options.headers().isEmpty()) {
      body = Wire.encode(Envelope.newBuilder()
          .setCommand(Command.REQUEST)
          .setService(worker)
          .setPayload(pack(request))
          .setWaitForWorker(options.waitForWorker())
          .setIdempotent(options.idempotent())
          .putAllHeaders(options.headers())
          .build());
    } else if (request instanceof Any) {
      body = Wire.request(worker, (Any) request, options.waitForWorker(), options.idempotent());
    } else {
      body = Wire.request(worker, typeUrl(request), request, options.waitForWorker(),
          options.idempotent());
    }
    return body;
  }

  /**
   * Waits for a request's future. The future always ends by its deadline; the extra time only
   * guards against a bug leaving it open.
   *
   * @throws MeshException with the failure's Status, thrown from the caller's stack
   */
  public static <R> R await(CompletableFuture<R> future, Duration timeout) {
    try {
      return future.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Status status = MeshException.statusOf(e.getCause());
      throw status.asException(e.getCause());
    } catch (CancellationException e) {
      throw Status.CANCELLED.withDescription("request cancelled").asException(e);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw Status.DEADLINE_EXCEEDED.withDescription("no answer within " + timeout.toMillis()
          + " ms").asException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(false);
      throw Status.CANCELLED.withDescription("interrupted while waiting").asException(e);
    }
  }

  /** The files declaring {@code types} and everything they import. */
  public static FileDescriptorSet descriptorSet(Collection<Descriptor> types) {
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    Set<String> seen = new HashSet<>();
    for (Descriptor d : types) {
      addWithDependencies(d.getFile(), seen, set);
    }
    return set.build();
  }

  /**
   * Dependencies first, so a reader can build the files in order. Depth-first: a reversed
   * breadth-first walk puts a file before a dependency it shares with a file it imports.
   */
  private static void addWithDependencies(
      FileDescriptor file, Set<String> seen, FileDescriptorSet.Builder set) {
    if (!seen.add(file.getName())) {
      return;
    }
    for (FileDescriptor dependency : file.getDependencies()) {
      addWithDependencies(dependency, seen, set);
    }
    set.addFile(file.toProto());
  }

  /** The type URL {@code Any.pack(message)} would use. */
  public static String typeUrl(Message message) {
    return message instanceof GeneratedMessage
        ? TYPE_URLS.get(message.getClass())
        : typeUrl(message.getDescriptorForType().getFullName());
  }

  /** The type URL prefix protobuf's {@code Any.pack} uses. */
  public static String typeUrl(String typeName) {
    return TYPE_URL_PREFIX + typeName;
  }
}
