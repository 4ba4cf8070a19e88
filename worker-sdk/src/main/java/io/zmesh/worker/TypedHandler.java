package io.zmesh.worker;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Message;
import io.zmesh.worker.internal.Payloads;

/** A request handler and the request type it takes: exactly one of {@code sync}, {@code async}. */
final class TypedHandler<T extends Message, R extends Message> {
  final Class<T> type;
  final Descriptor descriptor;
  /** The type's full protobuf name, which requests carry in their type URL. */
  final String typeName;
  final RequestHandler<T, R> sync;
  final AsyncRequestHandler<T, R> async;

  private TypedHandler(Class<T> type, RequestHandler<T, R> sync, AsyncRequestHandler<T, R> async) {
    this.type = type;
    this.descriptor = Payloads.defaultInstance(type).getDescriptorForType();
    this.typeName = descriptor.getFullName();
    this.sync = sync;
    this.async = async;
  }

  static <T extends Message, R extends Message> TypedHandler<T, R> of(
      Class<T> type, RequestHandler<T, R> handler) {
    return new TypedHandler<>(type, handler, null);
  }

  static <T extends Message, R extends Message> TypedHandler<T, R> async(
      Class<T> type, AsyncRequestHandler<T, R> handler) {
    return new TypedHandler<>(type, null, handler);
  }
}
