package io.zmesh.worker;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.proto.Topics;

/**
 * Publishes typed messages to topics. Implemented by {@link Worker} and {@link MeshClient};
 * thread-safe.
 *
 * <p>A topic is dot-separated tokens ({@code orders.eu.new}); docs/protocol.md ("Names and
 * grammars") has the grammar. Every subscription whose pattern matches the topic gets the message (for a
 * group, one member of the group). Messages from one publisher on one topic reach each
 * subscription in the order they were published; nothing is promised between publishers or
 * across topics. Publishing is fire-and-forget: no subscriber, or a subscriber too slow to keep
 * up, is not an error for the publisher.
 *
 * <p>Flow control: the broker credits publishes back as it delivers them and withholds the
 * credit while a subscriber that they reached is behind (more than an eighth of its budget
 * outstanding), so a publisher slows to the pace of its subscribers and nothing is lost while
 * they keep reading. A subscriber that stays behind without reading for the broker's
 * slow-subscriber timeout (1 s by default) is cut off instead: the publisher goes on, and that
 * subscriber loses what exceeds its budget.
 */
public interface Publisher {
  /**
   * Queues {@code message} for the I/O thread and returns.
   *
   * <p>Blocks while the publish backlog ({@link MeshOptions#publishBacklog()}, default {@value
   * MeshOptions#DEFAULT_PUBLISH_BACKLOG} packets) is full, at most the timeout of {@link
   * MeshOptions#callOptions()}, then throws {@link Code#OVERLOADED}. The backlog fills while
   * the broker withholds credit for a subscriber that is behind (until it catches up, or for
   * the broker's slow-subscriber timeout at most), and while disconnected: publishes wait in
   * the backlog and go out, in order, after the connection is back.
   *
   * @param topic where to publish; no wildcards
   * @param message any protobuf message; an {@code Any} is sent as it is
   * @throws MeshException thrown synchronously: {@link Code#INVALID_ARGUMENT} for an invalid
   *     topic or a message larger than the broker's limit, {@link Code#PERMISSION_DENIED} for a
   *     topic under the reserved prefix {@code zmesh.}, {@link Code#OVERLOADED} when the backlog
   *     stayed full, {@link Code#CANCELLED} once closed
   */
  void publish(String topic, Message message);

  /**
   * Checks {@code topic} as {@link #publish} does, without a connection: for tools that refuse
   * a bad topic before they reach a broker.
   *
   * @throws MeshException {@link Code#INVALID_ARGUMENT} for an invalid topic, {@link
   *     Code#PERMISSION_DENIED} for a topic under the reserved prefix {@code zmesh.}
   */
  static void checkTopic(String topic) {
    String problem = Topics.checkTopic(topic);
    if (problem != null) {
      throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
    }
    if (Topics.isReserved(topic)) {
      throw Status.PERMISSION_DENIED.withDescription("topics starting with '"
          + Topics.RESERVED_PREFIX + "' are the broker's own; cannot publish to '" + topic + "'")
          .asException();
    }
  }
}
