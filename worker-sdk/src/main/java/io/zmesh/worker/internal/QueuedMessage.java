package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import io.zmesh.proto.Wire;
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
  /** The payload when the decoder read the envelope; else null. */
  final Any payload;
  /**
   * The frame, when the scan read it: the payload's type URL and value are parsed from it in
   * place. Null, with a null {@link #payload}, when the envelope did not decode at all: the
   * message is skipped, but still credited.
   */
  final byte[] frame;
  final int typeUrlStart;
  final int typeUrlLength;
  final int valueStart;
  final int valueLength;
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
    this.frame = null;
    this.typeUrlStart = 0;
    this.typeUrlLength = 0;
    this.valueStart = 0;
    this.valueLength = 0;
    this.dropped = dropped;
    this.bytes = bytes;
    this.epoch = epoch;
  }

  /** A MESSAGE {@code scan} has read from {@code frame}. */
  QueuedMessage(TopicSubscription<?> subscription, String topic, byte[] frame, Wire.Scan scan,
      long epoch) {
    this.subscription = subscription;
    this.topic = topic;
    this.payload = null;
    this.frame = frame;
    this.typeUrlStart = scan.typeUrlStart;
    this.typeUrlLength = scan.typeUrlLength;
    this.valueStart = scan.valueStart;
    this.valueLength = scan.valueLength;
    this.dropped = scan.dropped;
    this.bytes = frame.length;
    this.epoch = epoch;
  }

  /**
   * The node a subscription's queue starts with: the queue is a linked list of messages in
   * which the head is always the last message taken (or this node), so the I/O thread appends
   * and the drain task takes without a lock and without a node per message.
   */
  static QueuedMessage sentinel() {
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
