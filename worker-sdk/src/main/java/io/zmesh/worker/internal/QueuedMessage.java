package io.zmesh.worker.internal;

import io.zmesh.proto.Scan;
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
  /**
   * The MESSAGE frame: the payload's type URL and value are parsed from it in place. Null in
   * the queue's sentinel.
   */
  final byte[] frame;
  /** Where the payload lies in {@link #frame}; typeUrlStart -1 when it does not scan. */
  final int typeUrlStart;
  final int typeUrlLength;
  final int valueStart;
  final int valueLength;
  /** The envelope frame's length, credited back once handled (0 but for a batch's last). */
  final int bytes;
  /** The connection the message came on: credit goes back only on that one. */
  final long epoch;
  /** Set by the consumer to the gap before this message, skipped messages' gaps included. */
  long dropped;
  volatile QueuedMessage next;

  QueuedMessage(TopicSubscription<?> subscription, String topic, byte[] frame,
      Scan.Message message, long epoch) {
    this(subscription, topic, frame, message != null ? message.typeUrlStart() : -1,
        message != null ? message.typeUrlLength() : 0,
        message != null ? message.valueStart() : 0,
        message != null ? message.valueLength() : 0,
        message != null ? message.dropped() : 0, frame != null ? frame.length : 0, epoch);
  }

  /**
   * Message {@code i} of a batch in {@code frame}, whose places {@link Scan#items} gave: the
   * gap before the batch goes with its first message, the frame's length (its credit) with its
   * last.
   */
  static QueuedMessage item(TopicSubscription<?> subscription, String topic, byte[] frame,
      int[] items, int i, long dropped, long epoch) {
    int k = 4 * i;
    boolean last = k + 4 == items.length;
    return new QueuedMessage(subscription, topic, frame, items[k], items[k + 1], items[k + 2],
        items[k + 3], i == 0 ? dropped : 0, last ? frame.length : 0, epoch);
  }

  private QueuedMessage(TopicSubscription<?> subscription, String topic, byte[] frame,
      int typeUrlStart, int typeUrlLength, int valueStart, int valueLength, long dropped,
      int bytes, long epoch) {
    this.subscription = subscription;
    this.topic = topic;
    this.frame = frame;
    this.typeUrlStart = typeUrlStart;
    this.typeUrlLength = typeUrlLength;
    this.valueStart = valueStart;
    this.valueLength = valueLength;
    this.dropped = dropped;
    this.bytes = bytes;
    this.epoch = epoch;
  }

  /**
   * The node a subscription's queue starts with: the queue is a linked list of messages in
   * which the head is always the last message taken (or this node), so the I/O thread appends
   * and the drain task takes without a lock and without a node per message.
   */
  static QueuedMessage sentinel() {
    return new QueuedMessage(null, null, null, null, 0);
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
