package io.zmesh.worker;

import com.google.protobuf.Message;
import java.util.concurrent.CompletionStage;

/**
 * Handles requests of one message type and returns the reply later. The request counts against
 * the worker's concurrency until the stage completes. A stage completed exceptionally is
 * reported like an exception thrown by a {@link RequestHandler}.
 */
@FunctionalInterface
public interface AsyncRequestHandler<T extends Message, R extends Message> {
  CompletionStage<R> handle(T request, RequestContext context) throws Exception;
}
