package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.Status;
import io.zmesh.proto.Wire;
import io.zmesh.worker.Publisher;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes on their way out. {@link #publish} checks and encodes a message on the publisher's
 * thread and queues it in the {@link PublishBacklog}; the I/O thread sends the backlog in claim
 * order, a batch per pass and only while connected, so a client's own subscriptions, renewed
 * after each WELCOME, see its publishes after a reconnect.
 */
final class PublishPump {
  private static final Logger log = LoggerFactory.getLogger(PublishPump.class);
  /** Publishes sent per pass of the I/O thread, so input and timers get their turn. */
  static final int BATCH = 1024;

  private final Connection connection;
  private final PublishBacklog backlog;
  private final long offerTimeoutNanos;
  /** The socket refused a publish (its queue is full): retry soon rather than at once. */
  private boolean blocked;

  PublishPump(Connection connection) {
    this.connection = connection;
    this.backlog = new PublishBacklog(connection.options().publishBacklog());
    this.offerTimeoutNanos = connection.options().callOptions().timeout().toNanos();
  }

  /** See {@link Connection#publish}. Any thread. */
  void publish(String topic, Message message) {
    Objects.requireNonNull(message, "message");
    Publisher.checkTopic(topic);
    byte[] packet = message instanceof Any
        ? Wire.publish(topic, (Any) message)
        : Wire.publish(topic, Payloads.typeUrl(message), message);
    int limit = connection.session.maxMessageBytes();
    if (packet.length > limit) {
      throw Status.INVALID_ARGUMENT.withDescription("message of " + packet.length
          + " bytes to '" + topic + "' exceeds the broker's limit of " + limit + " bytes")
          .asException();
    }
    if (connection.loop.isClosing()) {
      throw PublishBacklog.closedException();
    }
    backlog.offer(packet, offerTimeoutNanos);
    connection.loop.wake();
  }

  /** Refuses new publishes and wakes publishers waiting for room. Any thread. */
  void close() {
    backlog.close();
  }

  // ------------------------------------------------------------ I/O thread only

  /** Whether publishes wait that can be sent now, so the I/O thread must not sleep. */
  boolean canSend() {
    return connection.session.isConnectedHere() && !blocked && !backlog.isEmpty();
  }

  /** Whether publishes wait for room in the socket's queue, which its descriptor won't signal. */
  boolean isBlocked() {
    return blocked && connection.session.isConnectedHere() && !backlog.isEmpty();
  }

  /** Sends what waits, up to a batch; returns how many left the backlog. */
  int send() {
    blocked = false;
    Session session = connection.session;
    if (!session.isConnectedHere()) {
      return 0;
    }
    int limit = session.maxMessageBytes();
    int n = 0;
    byte[] packet;
    while (n < BATCH && (packet = backlog.peek()) != null) {
      if (packet.length > limit) {
        // Checked when published, but the limit can change with a new broker.
        log.warn("dropped a publish of {} bytes: the broker's limit is {} bytes",
            packet.length, limit);
      } else if (!session.send(packet)) {
        blocked = true;
        break;
      }
      backlog.remove();
      n++;
    }
    backlog.release(n);
    return n;
  }

  /** Before DISCONNECT: sends everything that waits, unless the socket's queue fills. */
  void sendAll() {
    while (send() > 0) {
      if (blocked) {
        break;
      }
    }
  }
}
