package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.Status;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Wire;
import java.util.Arrays;
import io.zmesh.worker.Publisher;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes on their way out. {@link #publish} checks and encodes a message on the publisher's
 * thread and queues it in the {@link PublishBacklog}; the I/O thread sends the backlog in claim
 * order, a batch per pass and only while connected, so a client's own subscriptions, renewed
 * after each WELCOME, see its publishes after a reconnect.
 *
 * <p>On a connection that agreed publish credit (protocol 1.1) it sends only while what it has
 * sent and the broker has not yet credited back fits the window the WELCOME announced: the
 * broker withholds credit while a subscriber is behind, so a publisher slows to its
 * subscribers' pace and the backlog fills, after which {@link #publish} blocks.
 */
final class PublishPump {
  private static final Logger log = LoggerFactory.getLogger(PublishPump.class);
  /** Publishes sent per pass of the I/O thread, so input and timers get their turn. */
  static final int BATCH = 1024;
  /** The most publishes one frame carries on a connection with batches (protocol 1.1). */
  static final int FRAME_MESSAGES = 256;
  /** ... and the most bytes. */
  static final int FRAME_BYTES = 64 * 1024;

  private final Connection connection;
  private final PublishBacklog backlog;
  private final long offerTimeoutNanos;
  /** The socket refused a publish (its queue is full): retry soon rather than at once. */
  private boolean blocked;
  /** Whether this connection takes batches (protocol 1.1); I/O thread only. */
  private boolean batches;
  /** The window of this connection, 0 for none (protocol 1.0); I/O thread only. */
  private long windowMessages;
  private long windowBytes;
  /** Sent on this connection and not yet credited back; I/O thread only. */
  private long inFlightMessages;
  private long inFlightBytes;

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
    return connection.session.isConnectedHere() && !blocked && !backlog.isEmpty()
        && windowOpen(0);
  }

  /** Whether a packet of {@code length} bytes fits the window (always, on an empty window). */
  private boolean windowOpen(int length) {
    return windowMessages == 0 || inFlightMessages == 0
        || inFlightMessages < windowMessages && inFlightBytes + length <= windowBytes;
  }

  /** A new connection: its window (0 for none), whether it takes batches, nothing in flight. */
  void onConnected(long messages, long bytes, boolean batches) {
    this.batches = batches;
    windowMessages = messages;
    windowBytes = bytes;
    inFlightMessages = 0;
    inFlightBytes = 0;
  }

  /** The broker credited back {@code messages} publishes of {@code bytes} bytes. */
  void onCredit(long messages, long bytes) {
    inFlightMessages = Math.max(0, inFlightMessages - messages);
    inFlightBytes = Math.max(0, inFlightBytes - bytes);
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
        backlog.remove();
        n++;
        continue;
      }
      if (!windowOpen(packet.length)) {
        break; // the broker's credit opens it again
      }
      int count = batches ? gather(packet, limit) : 1;
      byte[] frame = count == 1 ? packet : batch(packet, count);
      if (!session.send(frame)) {
        blocked = true;
        break;
      }
      inFlightMessages += count;
      inFlightBytes += frame.length;
      for (int i = 0; i < count; i++) {
        backlog.remove();
      }
      n += count;
    }
    backlog.release(n);
    return n;
  }

  /**
   * How many publishes from the head of the backlog go in one frame with {@code first}: those
   * that follow it to the same topic, within {@link #FRAME_MESSAGES}, {@link #FRAME_BYTES}, the
   * broker's limit and the window. Each publish of the SDK is {@code command, service,
   * payload}: one to the same topic starts with the same bytes up to its payload.
   */
  private int gather(byte[] first, int limit) {
    int head = payloadOffset(first);
    if (head < 0) {
      return 1;
    }
    long room = windowMessages == 0 ? FRAME_MESSAGES
        : Math.min(FRAME_MESSAGES, windowMessages - inFlightMessages);
    long bytesRoom = Math.min(Math.min(FRAME_BYTES, limit),
        windowBytes == 0 ? Long.MAX_VALUE : windowBytes - inFlightBytes);
    long length = first.length;
    int count = 1;
    byte[] next;
    while (count < room && (next = backlog.peek(count)) != null) {
      if (next.length <= head || !Arrays.equals(first, 0, head, next, 0, head)
          || length + next.length - head > bytesRoom) {
        break;
      }
      length += next.length - head;
      count++;
    }
    return count;
  }

  /**
   * {@code first} with the payloads of the {@code count - 1} publishes after it appended as
   * {@code batch} entries: the same bytes with the payload's field number changed.
   */
  private byte[] batch(byte[] first, int count) {
    int head = payloadOffset(first);
    int length = first.length;
    for (int i = 1; i < count; i++) {
      length += backlog.peek(i).length - head;
    }
    byte[] frame = Arrays.copyOf(first, length);
    int at = first.length;
    for (int i = 1; i < count; i++) {
      byte[] next = backlog.peek(i);
      frame[at] = BATCH_TAG;
      System.arraycopy(next, head + 1, frame, at + 1, next.length - head - 1);
      at += next.length - head;
    }
    return frame;
  }

  private static final byte PAYLOAD_TAG = (byte) (Envelope.PAYLOAD_FIELD_NUMBER << 3 | 2);
  private static final byte BATCH_TAG = (byte) (Envelope.BATCH_FIELD_NUMBER << 3 | 2);

  /**
   * Where the payload field starts in a publish as {@link Wire#publish} lays it out (command,
   * service, payload, nothing after), or -1 for another layout.
   */
  private static int payloadOffset(byte[] packet) {
    if (packet.length < 4 || packet[2] != SERVICE_TAG) {
      return -1;
    }
    int[] at = {3};
    long topicLength = varint(packet, at);
    if (topicLength < 0 || at[0] + topicLength >= packet.length) {
      return -1;
    }
    int head = at[0] + (int) topicLength;
    if (packet[head] != PAYLOAD_TAG) {
      return -1;
    }
    at[0] = head + 1;
    long anyLength = varint(packet, at);
    return anyLength >= 0 && at[0] + anyLength == packet.length ? head : -1;
  }

  private static final byte SERVICE_TAG = (byte) (Envelope.SERVICE_FIELD_NUMBER << 3 | 2);

  private static long varint(byte[] b, int[] at) {
    long result = 0;
    for (int shift = 0; shift < 35 && at[0] < b.length; shift += 7) {
      byte x = b[at[0]++];
      result |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return result;
      }
    }
    return -1;
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
