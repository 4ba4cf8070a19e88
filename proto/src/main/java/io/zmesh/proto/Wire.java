package io.zmesh.proto;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Properties;

/**
 * The one place that knows how a packet is laid out in ZeroMQ frames.
 *
 * <p>A peer's DEALER sends each packet as one frame: a serialized {@link Envelope}. The broker's
 * ROUTER sees a routing-identity frame in front of it and puts it back in front of everything
 * it sends. The protocol version is agreed once per connection: {@code Hello.protocol} and
 * {@code Welcome.protocol} name {@link #PROTOCOL}. docs/protocol.md states the protocol;
 * {@link Scan} reads the busiest packets without decoding them.
 */
public final class Wire {
  /**
   * The protocol and the highest version this side speaks, named in HELLO and WELCOME
   * (docs/protocol.md, "Versions"): {@code zmesh/MAJOR.MINOR}.
   */
  public static final String PROTOCOL = "zmesh/1.1";

  /** Version 1.0, which peers of before publish credit and batches speak. */
  public static final String PROTOCOL_1_0 = "zmesh/1.0";

  /** Versions of another major are another protocol. */
  public static final int MAJOR = 1;

  /** Minor versions only add to the protocol; the lower of two sides' minors is agreed. */
  public static final int MINOR = 1;

  /** The first minor with publish credit and batches. */
  public static final int MINOR_FLOW = 1;

  private static final String PREFIX = "zmesh/";

  /** Frames in a packet as a DEALER sends it (the envelope). */
  public static final int FRAMES = 1;

  private static final String VERSION = readVersion();

  private Wire() {}

  /** The zmesh release these classes belong to, e.g. {@code 0.1.0}. */
  public static String version() {
    return VERSION;
  }

  private static String readVersion() {
    try (InputStream in = Wire.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Why a packet of {@code frames} frames (after the routing id) is not one: peers of an earlier
   * protocol sent a signature frame in front of each envelope.
   */
  public static String describeFrames(int frames) {
    return "expected " + FRAMES + " frame (an envelope) per packet, got " + frames
        + (frames == 2 ? " (a signature frame in front of the envelope is an earlier"
            + " protocol; this is " + PROTOCOL + ")" : "");
  }

  /**
   * The version a broker answers a HELLO naming {@code offered} with: {@code zmesh/1.K}, K the
   * lower of the offered minor and {@link #MINOR}; null when {@code offered} is not {@code
   * zmesh/1.N} (see {@link #refusal}).
   */
  public static String negotiate(String offered) {
    long minor = minorOf(offered);
    return minor < 0 ? null : PREFIX + MAJOR + "." + Math.min(minor, MINOR);
  }

  /** Why a HELLO naming {@code offered} is refused. */
  public static String refusal(String offered) {
    return "unsupported protocol '" + (offered.isEmpty() ? "<none>" : offered)
        + "'; this broker speaks " + PREFIX + MAJOR + ".0 to " + PROTOCOL;
  }

  /**
   * Why a WELCOME naming {@code agreed} is refused, or null when it names a version this side
   * speaks: the broker must answer {@link #PROTOCOL} or a lower minor of the same major.
   */
  public static String checkProtocol(String agreed) {
    long minor = minorOf(agreed);
    return minor >= 0 && minor <= MINOR ? null
        : "unsupported protocol '" + (agreed.isEmpty() ? "<none>" : agreed)
            + "'; this side speaks " + PROTOCOL;
  }

  /** The minor of a {@code zmesh/1.N} version string, or -1 when it is not one. */
  public static long minorOf(String version) {
    String major = PREFIX + MAJOR + ".";
    if (version == null || !version.startsWith(major)) {
      return -1;
    }
    int start = major.length();
    int n = version.length() - start;
    if (n < 1 || n > 9 || (n > 1 && version.charAt(start) == '0')) {
      return -1;
    }
    long minor = 0;
    for (int i = start; i < version.length(); i++) {
      char c = version.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      minor = minor * 10 + (c - '0');
    }
    return minor;
  }

  public static byte[] encode(Envelope envelope) {
    return envelope.toByteArray();
  }

  /**
   * Decodes an envelope frame.
   *
   * @throws WireException if the bytes are not an envelope or name no known command
   */
  public static Envelope decode(byte[] frame) throws WireException {
    Envelope envelope;
    try {
      envelope = Envelope.parseFrom(frame);
    } catch (InvalidProtocolBufferException e) {
      throw new WireException("undecodable packet (" + frame.length + " bytes): " + e.getMessage());
    }
    if (envelope.getCommand() == Command.COMMAND_UNSPECIFIED
        || envelope.getCommand() == Command.UNRECOGNIZED) {
      throw new WireException(
          "unknown command " + envelope.getCommandValue(), envelope.getId());
    }
    return envelope;
  }

  /**
   * {@code body} with its {@code id} replaced, without decoding or re-encoding the rest: the
   * field is appended, and protobuf parsers keep the last value of a scalar field. The broker
   * forwards requests and replies this way, so their payloads and headers pass untouched.
   */
  public static byte[] withId(byte[] body, long id) {
    int extra = CodedOutputStream.computeUInt64Size(Envelope.ID_FIELD_NUMBER, id);
    byte[] out = Arrays.copyOf(body, body.length + extra);
    write(out, body.length, extra, id, false, 0);
    return out;
  }

  /** {@link #withId} that also replaces {@code timeout_ms}. */
  public static byte[] withIdAndTimeout(byte[] body, long id, int timeoutMs) {
    int extra = CodedOutputStream.computeUInt64Size(Envelope.ID_FIELD_NUMBER, id)
        + CodedOutputStream.computeUInt32Size(Envelope.TIMEOUT_MS_FIELD_NUMBER, timeoutMs);
    byte[] out = Arrays.copyOf(body, body.length + extra);
    write(out, body.length, extra, id, true, timeoutMs);
    return out;
  }

  private static void write(
      byte[] out, int offset, int length, long id, boolean withTimeout, int timeoutMs) {
    CodedOutputStream o = CodedOutputStream.newInstance(out, offset, length);
    try {
      o.writeUInt64(Envelope.ID_FIELD_NUMBER, id);
      if (withTimeout) {
        o.writeUInt32(Envelope.TIMEOUT_MS_FIELD_NUMBER, timeoutMs);
      }
      o.checkNoSpaceLeft();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("miscounted field size", e);
    }
  }

  private static final int VARINT = 0;
  private static final int LENGTH_DELIMITED = 2;
  private static final int COMMAND_TAG = Envelope.COMMAND_FIELD_NUMBER << 3 | VARINT;
  private static final int ID_TAG = Envelope.ID_FIELD_NUMBER << 3 | VARINT;
  private static final int DELIVERY_TAG = Envelope.DELIVERY_FIELD_NUMBER << 3 | LENGTH_DELIMITED;
  private static final int DROPPED_TAG = Delivery.DROPPED_FIELD_NUMBER << 3 | VARINT;

  /**
   * A PUBLISH envelope as it arrived, made into the MESSAGE for subscription {@code id} by
   * appending {@code command}, {@code id} and {@code delivery {dropped}}, as {@link #withId}
   * does: the topic, payload and headers pass without being decoded or re-encoded. {@code
   * dropped} is written even when 0, so a {@code delivery} a publisher slipped into its PUBLISH
   * cannot survive the merge of the two. Writes the bytes itself: the broker calls this once
   * per copy of every message.
   */
  public static byte[] toMessage(byte[] publish, long id, long dropped) {
    byte[] out = new byte[messageLength(publish.length, id, dropped)];
    System.arraycopy(publish, 0, out, 0, publish.length);
    int i = publish.length;
    out[i++] = (byte) COMMAND_TAG;
    out[i++] = (byte) Command.MESSAGE_VALUE;
    out[i++] = (byte) ID_TAG;
    i = putVarint(out, i, id);
    out[i++] = (byte) DELIVERY_TAG;
    out[i++] = (byte) (1 + CodedOutputStream.computeUInt64SizeNoTag(dropped));
    out[i++] = (byte) DROPPED_TAG;
    putVarint(out, i, dropped);
    return out;
  }

  /** The length of {@link #toMessage}'s result, without making it. */
  public static int messageLength(int publishLength, long id, long dropped) {
    return publishLength + 6 + CodedOutputStream.computeUInt64SizeNoTag(id)
        + CodedOutputStream.computeUInt64SizeNoTag(dropped);
  }

  private static int putVarint(byte[] out, int i, long value) {
    while ((value & ~0x7FL) != 0) {
      out[i++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[i++] = (byte) value;
    return i;
  }

  /** An error envelope answering request {@code id}. */
  public static Envelope error(long id, StatusCode code, String message) {
    return Envelope.newBuilder()
        .setCommand(Command.ERROR)
        .setId(id)
        .setStatus(ErrorStatus.newBuilder().setCode(code).setMessage(message))
        .build();
  }

  /**
   * A PUBLISH envelope of {@code value} to {@code topic} with id 0, encoded straight into one
   * array: the same bytes a reader decodes as {@code Envelope{PUBLISH, service: topic, payload:
   * Any{typeUrl, value}}}, without building the Any, its ByteString or the Envelope on the way.
   * The publish path runs this once per message.
   */
  public static byte[] publish(String topic, String typeUrl, MessageLite value) {
    return publish(topic, typeUrl, value, null);
  }

  /** {@link #publish(String, String, MessageLite)} of a message already packed. */
  public static byte[] publish(String topic, Any payload) {
    return publish(topic, payload.getTypeUrl(), null, payload.getValue());
  }

  private static byte[] publish(String topic, String typeUrl, MessageLite value, ByteString raw) {
    return envelope(Command.PUBLISH_VALUE, 0, topic, typeUrl, value, raw, false, false);
  }

  /**
   * A REQUEST to worker {@code service} carrying {@code value} as an {@code Any} of {@code
   * typeUrl}, written directly as the builder would (no {@code Any}, no copy of the value), and
   * without {@code id} and {@code timeout_ms}: the sender appends them with {@link
   * #withIdAndTimeout} when it transmits. Headers are not written; a request with headers goes
   * through the builder.
   */
  public static byte[] request(String service, String typeUrl, MessageLite value,
      boolean waitForWorker, boolean idempotent) {
    return envelope(Command.REQUEST_VALUE, 0, service, typeUrl, value, null, waitForWorker,
        idempotent);
  }

  /** {@link #request(String, String, MessageLite, boolean, boolean)} of a packed message. */
  public static byte[] request(String service, Any payload, boolean waitForWorker,
      boolean idempotent) {
    return envelope(Command.REQUEST_VALUE, 0, service, payload.getTypeUrl(), null,
        payload.getValue(), waitForWorker, idempotent);
  }

  /** The REPLY to request {@code id}: {@code value} as an {@code Any} of {@code typeUrl}. */
  public static byte[] reply(long id, String typeUrl, MessageLite value) {
    return envelope(Command.REPLY_VALUE, id, null, typeUrl, value, null, false, false);
  }

  /** {@link #reply(long, String, MessageLite)} of a message already packed. */
  public static byte[] reply(long id, Any payload) {
    return envelope(Command.REPLY_VALUE, id, null, payload.getTypeUrl(), null, payload.getValue(),
        false, false);
  }

  /**
   * An envelope of {@code command}, {@code id} (when not 0), {@code service} (when not null), a
   * payload of {@code typeUrl} and either {@code value} or its bytes {@code raw}, and the two
   * request flags (when set), in field order.
   */
  private static byte[] envelope(int command, long id, String service, String typeUrl,
      MessageLite value, ByteString raw, boolean waitForWorker, boolean idempotent) {
    int valueSize = value != null ? value.getSerializedSize() : raw.size();
    int anySize = CodedOutputStream.computeStringSize(Any.TYPE_URL_FIELD_NUMBER, typeUrl)
        + (valueSize == 0 ? 0 : CodedOutputStream.computeTagSize(Any.VALUE_FIELD_NUMBER)
            + CodedOutputStream.computeUInt32SizeNoTag(valueSize) + valueSize);
    int size = CodedOutputStream.computeEnumSize(Envelope.COMMAND_FIELD_NUMBER, command)
        + (id == 0 ? 0 : CodedOutputStream.computeUInt64Size(Envelope.ID_FIELD_NUMBER, id))
        + (service == null ? 0
            : CodedOutputStream.computeStringSize(Envelope.SERVICE_FIELD_NUMBER, service))
        + CodedOutputStream.computeTagSize(Envelope.PAYLOAD_FIELD_NUMBER)
        + CodedOutputStream.computeUInt32SizeNoTag(anySize) + anySize
        + (waitForWorker ? 2 : 0) + (idempotent ? 2 : 0);
    byte[] out = new byte[size];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      o.writeEnum(Envelope.COMMAND_FIELD_NUMBER, command);
      if (id != 0) {
        o.writeUInt64(Envelope.ID_FIELD_NUMBER, id);
      }
      if (service != null) {
        o.writeString(Envelope.SERVICE_FIELD_NUMBER, service);
      }
      o.writeTag(Envelope.PAYLOAD_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
      o.writeUInt32NoTag(anySize);
      o.writeString(Any.TYPE_URL_FIELD_NUMBER, typeUrl);
      if (valueSize > 0) {
        o.writeTag(Any.VALUE_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        o.writeUInt32NoTag(valueSize);
        if (value != null) {
          value.writeTo(o);
        } else {
          o.writeRawBytes(raw);
        }
      }
      if (waitForWorker) {
        o.writeBool(Envelope.WAIT_FOR_WORKER_FIELD_NUMBER, true);
      }
      if (idempotent) {
        o.writeBool(Envelope.IDEMPOTENT_FIELD_NUMBER, true);
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("miscounted " + Command.forNumber(command) + " size", e);
    }
    return out;
  }
}
