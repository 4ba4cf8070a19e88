package io.zmesh.worker.internal;

import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Credit;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Scan;
import java.util.ArrayList;
import java.util.List;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open subscriptions of one connection, by id. I/O thread only. The broker forgets a
 * connection's subscriptions when the connection ends, so after every new WELCOME each open one
 * is sent again under the same id.
 */
final class Subscriptions {
  private static final Logger log = LoggerFactory.getLogger(Subscriptions.class);

  private final Connection connection;
  private final Long2ObjectHashMap<TopicSubscription<?>> open = new Long2ObjectHashMap<>();
  /** Subscriptions with credit gathered in this pass of the I/O thread. */
  private final List<TopicSubscription<?>> creditDue = new ArrayList<>();

  Subscriptions(Connection connection) {
    this.connection = connection;
  }

  int size() {
    return open.size();
  }

  void add(TopicSubscription<?> s) {
    if (s.isClosed()) {
      return;
    }
    if (connection.isClosingOnIoThread()) {
      s.closeQuietly(Status.CANCELLED.withDescription("connection closed"));
      return;
    }
    open.put(s.id, s);
    if (connection.isConnectedOnIoThread()) {
      subscribe(s);
    }
  }

  /** After a new WELCOME: the broker knows none of them. */
  void subscribeAll() {
    for (TopicSubscription<?> s : open.values()) {
      subscribe(s);
    }
  }

  private void subscribe(TopicSubscription<?> s) {
    s.accepted = false;
    s.subscribedEpoch = connection.epochOnIoThread();
    if (!connection.sendOnIoThread(s.subscribe)) {
      log.debug("SUBSCRIBE to '{}' not sent: queue to broker full", s.pattern());
    }
  }

  void remove(TopicSubscription<?> s) {
    if (open.remove(s.id) == null) {
      return;
    }
    if (connection.isConnectedOnIoThread() && s.subscribedEpoch == connection.epochOnIoThread()) {
      connection.sendOnIoThread(
          Envelope.newBuilder().setCommand(Command.UNSUBSCRIBE).setId(s.id).build());
    }
  }

  /** A REPLY or ERROR matching no request; true if it answered a SUBSCRIBE. */
  boolean onAnswer(Envelope packet) {
    TopicSubscription<?> s = open.get(packet.getId());
    if (s == null || s.subscribedEpoch != connection.epochOnIoThread()) {
      return false;
    }
    if (packet.getCommand() == Command.REPLY) {
      s.onAccepted(packet.getSubscribe());
      return true;
    }
    Status why = StatusCodec.fromWire(packet.getStatus());
    if (s.accepted) {
      log.debug("broker reports on subscription to '{}': {}", s.pattern(), why);
      return true;
    }
    log.warn("broker refused the subscription to '{}': {}", s.pattern(), why);
    open.remove(s.id);
    s.closeQuietly(why);
    return true;
  }

  /** A MESSAGE, read by a scan of {@code frame}. */
  void onMessage(Scan.Message message, byte[] frame) {
    TopicSubscription<?> s = open.get(message.id());
    if (s == null) {
      return; // closed here, and the broker has not yet seen the UNSUBSCRIBE
    }
    String topic = s.topic(frame, message.topicStart(), message.topicLength());
    if (!message.payloadReadable()) {
      // The broker forwards payloads unparsed: a publisher's bad bytes are skipped and counted
      // in order, and credited like any other message.
      log.debug("subscription to '{}' got a message on '{}' whose payload does not scan",
          s.pattern(), topic);
    }
    long epoch = connection.epochOnIoThread();
    if (message.messages() == 1) {
      s.enqueue(new QueuedMessage(s, topic, frame, message, epoch));
      return;
    }
    int[] items = Scan.items(frame);
    int n = items.length / 4;
    for (int i = 0; i < n - 1; i++) {
      s.append(QueuedMessage.item(s, topic, frame, items, i, message.dropped(), epoch));
    }
    s.enqueue(QueuedMessage.item(s, topic, frame, items, n - 1, message.dropped(), epoch));
  }

  /**
   * Adds credit the subscription's handler returned; sent by {@link #flushCredit} at the end of
   * the I/O thread's pass. A handler that keeps up empties its queue after nearly every
   * message, and a CREDIT for each would double the packets of a busy topic; gathered per pass,
   * a burst costs one.
   */
  void credit(TopicSubscription<?> s, long epoch, long messages, long bytes, long skipped) {
    if (s.creditEpoch != epoch) {
      s.creditEpoch = epoch;
      s.creditMessagesDue = 0;
      s.creditBytesDue = 0;
      s.creditSkippedDue = 0;
    }
    s.creditMessagesDue += messages;
    s.creditBytesDue += bytes;
    s.creditSkippedDue += skipped;
    if (!s.creditQueued) {
      s.creditQueued = true;
      creditDue.add(s);
    }
  }

  /** Sends the credit gathered since the last call, one CREDIT per subscription. */
  void flushCredit() {
    for (int i = 0; i < creditDue.size(); i++) {
      TopicSubscription<?> s = creditDue.get(i);
      s.creditQueued = false;
      long messages = s.creditMessagesDue;
      long bytes = s.creditBytesDue;
      long skipped = s.creditSkippedDue;
      s.creditMessagesDue = 0;
      s.creditBytesDue = 0;
      s.creditSkippedDue = 0;
      if (messages > 0 && connection.isConnectedOnIoThread()
          && s.creditEpoch == connection.epochOnIoThread() && open.get(s.id) == s) {
        connection.sendOnIoThread(Envelope.newBuilder()
            .setCommand(Command.CREDIT)
            .setId(s.id)
            .setCredit(Credit.newBuilder()
                .setMessages((int) Math.min(messages, 0xFFFF_FFFFL))
                .setBytes(bytes)
                .setSkipped(skipped))
            .build());
      }
    }
    creditDue.clear();
  }

  /** The connection is closing: nothing more will be delivered. */
  void closeAll(Status why) {
    List<TopicSubscription<?>> all = new ArrayList<>(open.values());
    open.clear();
    for (TopicSubscription<?> s : all) {
      s.closeQuietly(why);
    }
  }
}
