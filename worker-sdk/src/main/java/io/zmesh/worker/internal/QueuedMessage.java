package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import io.zmesh.worker.MessageContext;
import io.zmesh.worker.Subscription;

/**
 * One MESSAGE on its way from the I/O thread to a subscription's handler. It is at once the
 * node of the subscription's queue and the handler's {@link MessageContext}, so a message costs
 * one object besides its decoded payload.
 */
final class QueuedMessage implements MessageContext {
  final TopicSubscription<?> subscription;
  final String topic;
  /** Null when the envelope did not decode: the message is skipped, but still credited. */
  final Any payload;
  /** The envelope frame's length, credited back once handled. */
  final int bytes;
  /** The connection the message came on: credit goes back only on that one. */
  final long epoch;
  /** Set by the consumer to the gap before this message, skipped messages' gaps included. */
  long dropped;
  volatile QueuedMessage next;

  QueuedMessage(TopicSubscription<?> subscription, String topic, Any payload, long dropped, int bytes,
      long epoch) {
    this.subscription = subscription;
    this.topic = topic;
    this.payload = payload;
    this.dropped = dropped;
    this.bytes = bytes;
    this.epoch = epoch;
  }

  /** The queue's initial stub node. */
  static QueuedMessage stub() {
    return new QueuedMessage(null, null, null, 0, 0, 0);
  }

  @Override
  public String topic() {
    return topic;
  }

  @Override
  public long dropped() {
    return dropped;
  }

  @Override
  public Subscription subscription() {
    return subscription;
  }

  @Override
  public String toString() {
    return "MessageContext{topic=" + topic + ", dropped=" + dropped + "}";
  }
}
