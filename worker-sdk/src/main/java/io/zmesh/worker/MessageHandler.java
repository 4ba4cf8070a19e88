package io.zmesh.worker;

import com.google.protobuf.Message;

/**
 * Handles the messages of one subscription, one at a time and in arrival order (see {@link
 * Subscriber} for the threads). A handler that throws is logged and the next message goes on;
 * the exception goes nowhere else.
 */
@FunctionalInterface
public interface MessageHandler<T extends Message> {
  void onMessage(T message, MessageContext context) throws Exception;
}
