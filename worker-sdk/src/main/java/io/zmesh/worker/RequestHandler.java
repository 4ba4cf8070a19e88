package io.zmesh.worker;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;

/**
 * Handles requests of one message type and returns the reply. Runs on the worker's handler
 * executor, never on its I/O thread, so it may block (up to the worker's concurrency at once).
 *
 * <p>Throwing {@link MeshException} sends its Status to the requester; any other exception
 * sends {@link Code#HANDLER_FAILED} with the exception's class and message.
 */
@FunctionalInterface
public interface RequestHandler<T extends Message, R extends Message> {
  R handle(T request, RequestContext context) throws Exception;
}
