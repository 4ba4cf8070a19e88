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
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;

/**
 * The one place that knows how a packet is laid out in ZeroMQ frames.
 *
 * <p>A peer's DEALER sends each packet as one frame: a serialized {@link Envelope}. The broker's
 * ROUTER sees a routing-identity frame in front of it and puts it back in front of everything
 * it sends. The protocol version is agreed once per connection: {@code Hello.protocol} and
 * {@code Welcome.protocol} name {@link #PROTOCOL}. docs/protocol.md is the prose version of
 * this class.
 */
public final class Wire {
  /**
   * Protocol name and version, named in HELLO and WELCOME. Version 1 sent it as a frame of its
   * own in front of every envelope, which cost an eighth of request/reply throughput.
   */
  public static final String PROTOCOL = "zmesh/2";

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
   * Why a packet of {@code frames} frames (after the routing id) is not one: a zmesh/1 peer
   * sent a signature frame in front of each envelope.
   */
  public static String describeFrames(int frames) {
    return "expected " + FRAMES + " frame (an envelope) per packet, got " + frames
        + (frames == 2 ? " (zmesh/1 sent a signature frame first; this is " + PROTOCOL + ")" : "");
  }

  /** Why a HELLO or WELCOME naming {@code protocol} is refused, or null when it is ours. */
  public static String checkProtocol(String protocol) {
    return PROTOCOL.equals(protocol) ? null
        : "unsupported protocol '" + (protocol.isEmpty() ? "<none>" : protocol)
            + "'; this side speaks " + PROTOCOL;
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

  /**
   * The fields of the packets a subscriber's traffic is made of, PUBLISH, CREDIT and MESSAGE,
   * read by a scan of the envelope's fields instead of the decoder, which would build the
   * envelope, its body and the {@code Any} with a copy of its bytes and its type URL: the broker
   * forwards payloads untouched and reads only what it routes by, and the SDK parses a MESSAGE's
   * payload straight from the frame. Reusable; one thread.
   */
  public static final class Scan {
    private static final int FIXED64 = 1;
    private static final int FIXED32 = 5;
    /** What {@link #fields} reads: the envelope, or one of its bodies. */
    private static final int ENVELOPE = 0;
    private static final int CREDIT = 1;
    private static final int PAYLOAD = 2;
    private static final int DELIVERY = 3;

    public long id;
    /**
     * PUBLISH: the topic; REQUEST: the worker name. Read as Latin-1 (a valid topic or name is
     * ASCII, and other bytes become characters their grammar refuses); empty when there is
     * none.
     */
    public String topic;
    /** PUBLISH and MESSAGE: where the topic's bytes are. */
    public int topicStart;
    public int topicLength;
    /** CREDIT: {@code credit.messages} (a uint32) and {@code credit.bytes} (a uint64). */
    public long creditMessages;
    public long creditBytes;
    /**
     * MESSAGE and REPLY, after {@link #readMessage}: where the payload's type URL and value
     * bytes are, and {@code delivery.dropped}.
     */
    public int typeUrlStart;
    public int typeUrlLength;
    public int valueStart;
    public int valueLength;
    public long dropped;
    /** REQUEST: {@code timeout_ms} (a uint32), the two flags, and how many headers it has. */
    public long timeoutMs;
    public boolean waitForWorker;
    public boolean idempotent;
    public int headers;
    /**
     * How many length-delimited envelope fields other than the service, the payload and the
     * headers it has (command bodies, which a request should not carry): only the decoder
     * checks what is in those.
     */
    public int bodies;
    /**
     * How many times the service or (after {@link #readMessage}) the payload's type URL came
     * again: the scan keeps the last, the decoder checks every one.
     */
    public int repeats;

    private int pos;
    private long command;
    private int payloadStart;
    private int payloadLength;
    private int payloads;
    private int deliveryStart;
    private int deliveryLength;
    private int deliveries;

    /** The tag of {@code command} as a varint: field 1, wire type 0. */
    private static final byte COMMAND_TAG = (byte) (Envelope.COMMAND_FIELD_NUMBER << 3);

    private final boolean replies;
    private final boolean requests;

    /** A scan of PUBLISH, MESSAGE and CREDIT packets; requests and replies go to the decoder. */
    public Scan() {
      this(false, false);
    }

    /**
     * @param replies also read REPLY packets: their id, and with {@link #readMessage} their
     *     payload, as the broker (which forwards them untouched) and the SDK (which parses a
     *     typed reply straight from the frame) need
     * @param requests also read REQUEST packets: what the broker routes them by (the worker
     *     name in {@link #topic}, id, timeout, flags), and with {@link #readMessage} where
     *     their payload is
     */
    public Scan(boolean replies, boolean requests) {
      this.replies = replies;
      this.requests = requests;
    }

    /** Whether {@code b}, a one-byte command value, is a packet this scan reads. */
    private boolean scans(byte b) {
      return b == Command.PUBLISH_VALUE || b == Command.MESSAGE_VALUE
          || b == Command.CREDIT_VALUE || (replies && b == Command.REPLY_VALUE)
          || (requests && b == Command.REQUEST_VALUE)
          || b < 0; // b < 0: a longer varint, left to the scan
    }

    /**
     * {@link Command#PUBLISH_VALUE}, {@link Command#MESSAGE_VALUE}, {@link
     * Command#CREDIT_VALUE} or (when asked to) {@link Command#REPLY_VALUE} when {@code body} is
     * such a packet and this scan can read it, having filled the fields of that command (for a
     * MESSAGE, its id and topic; {@link #readMessage} reads the rest; for a REPLY, its id);
     * otherwise 0, and {@link #decode} tells what the body is, or why it is none.
     */
    public int read(byte[] body) {
      pos = 0;
      command = 0;
      id = 0;
      topic = null;
      topicStart = 0;
      topicLength = 0;
      creditMessages = 0;
      creditBytes = 0;
      payloads = 0;
      deliveries = 0;
      timeoutMs = 0;
      waitForWorker = false;
      idempotent = false;
      headers = 0;
      bodies = 0;
      repeats = 0;
      if (body.length >= 2 && body[0] == COMMAND_TAG && !scans(body[1])) {
        // Every encoder writes the command first. Packets this scan does not read go to the
        // decoder, which also gets whatever a later command field may say, so scanning them
        // first would read them twice.
        return 0;
      }
      if (!fields(body, body.length, ENVELOPE)) {
        return 0;
      }
      if (command == Command.PUBLISH_VALUE || (requests && command == Command.REQUEST_VALUE)) {
        topic = new String(body, topicStart, topicLength, StandardCharsets.ISO_8859_1);
        return (int) command;
      }
      return command == Command.CREDIT_VALUE || command == Command.MESSAGE_VALUE
          || (replies && command == Command.REPLY_VALUE) ? (int) command : 0;
    }

    /**
     * After {@link #read} returned MESSAGE or REPLY: reads the payload's type URL and value and
     * (for a MESSAGE) the delivery's dropped count. False when they do not scan, or when a body
     * appears more than once (the decoder merges those): then the decoder must read the packet.
     */
    public boolean readMessage(byte[] body) {
      typeUrlStart = 0;
      typeUrlLength = 0;
      valueStart = 0;
      valueLength = 0;
      dropped = 0;
      if (payloads > 1 || deliveries > 1) {
        return false;
      }
      if (payloads == 1) {
        pos = payloadStart;
        if (!fields(body, payloadStart + payloadLength, PAYLOAD)) {
          return false;
        }
      }
      if (deliveries == 1) {
        pos = deliveryStart;
        return fields(body, deliveryStart + deliveryLength, DELIVERY);
      }
      return true;
    }

    /**
     * After {@link #read} returned REQUEST: reads the payload as {@link #readMessage} does, and
     * tells whether the scan has read everything the decoder would check, so the request can
     * be routed and forwarded without it: no headers or command bodies (strings the scan does
     * not read), no worker name or type URL given twice (the decoder checks every copy), and
     * both in ASCII (so their UTF-8 is valid, and the Latin-1 {@link #topic} is the name).
     */
    public boolean readRequest(byte[] body) {
      return headers == 0 && bodies == 0 && readMessage(body) && repeats == 0
          && ascii(body, topicStart, topicLength) && ascii(body, typeUrlStart, typeUrlLength);
    }

    private static boolean ascii(byte[] b, int start, int length) {
      for (int i = start; i < start + length; i++) {
        if (b[i] < 0) {
          return false;
        }
      }
      return true;
    }

    /** Reads the fields of one {@code kind} from {@link #pos} up to {@code end}. */
    private boolean fields(byte[] b, int end, int kind) {
      while (pos < end) {
        long tag = varint(b, end);
        int field = (int) (tag >>> 3);
        if (pos < 0 || field == 0) {
          return false;
        }
        switch ((int) tag & 7) {
          case VARINT:
            long value = varint(b, end);
            if (kind == ENVELOPE && field == Envelope.COMMAND_FIELD_NUMBER) {
              command = value;
            } else if (kind == ENVELOPE && field == Envelope.ID_FIELD_NUMBER) {
              id = value;
            } else if (kind == ENVELOPE && field == Envelope.TIMEOUT_MS_FIELD_NUMBER) {
              timeoutMs = value & 0xFFFF_FFFFL;
            } else if (kind == ENVELOPE && field == Envelope.WAIT_FOR_WORKER_FIELD_NUMBER) {
              waitForWorker = value != 0;
            } else if (kind == ENVELOPE && field == Envelope.IDEMPOTENT_FIELD_NUMBER) {
              idempotent = value != 0;
            } else if (kind == CREDIT && field == Credit.MESSAGES_FIELD_NUMBER) {
              creditMessages = value & 0xFFFF_FFFFL;
            } else if (kind == CREDIT && field == Credit.BYTES_FIELD_NUMBER) {
              creditBytes = value;
            } else if (kind == DELIVERY && field == Delivery.DROPPED_FIELD_NUMBER) {
              dropped = value;
            }
            break;
          case LENGTH_DELIMITED:
            long length = varint(b, end);
            if (pos < 0 || length < 0 || length > end - pos) {
              return false;
            }
            int start = pos;
            int fieldEnd = pos + (int) length;
            if (kind == ENVELOPE && field == Envelope.SERVICE_FIELD_NUMBER) {
              if (topicStart > 0) { // every field starts after its tag: 0 is "not seen"
                repeats++;
              }
              topicStart = start;
              topicLength = (int) length;
            } else if (kind == ENVELOPE && field == Envelope.CREDIT_FIELD_NUMBER) {
              bodies++;
              // Read at once: a body sent twice is merged, the later values winning.
              if (!fields(b, fieldEnd, CREDIT)) {
                return false;
              }
            } else if (kind == ENVELOPE && field == Envelope.PAYLOAD_FIELD_NUMBER) {
              // Only remembered: the broker forwards payloads without reading them.
              payloadStart = start;
              payloadLength = (int) length;
              payloads++;
            } else if (kind == ENVELOPE && field == Envelope.HEADERS_FIELD_NUMBER) {
              headers++;
            } else if (kind == ENVELOPE && field == Envelope.DELIVERY_FIELD_NUMBER) {
              bodies++;
              deliveryStart = start;
              deliveryLength = (int) length;
              deliveries++;
            } else if (kind == PAYLOAD && field == Any.TYPE_URL_FIELD_NUMBER) {
              if (typeUrlStart > 0) {
                repeats++;
              }
              typeUrlStart = start;
              typeUrlLength = (int) length;
            } else if (kind == PAYLOAD && field == Any.VALUE_FIELD_NUMBER) {
              valueStart = start;
              valueLength = (int) length;
            } else if (kind == ENVELOPE) {
              bodies++;
            }
            pos = fieldEnd;
            break;
          case FIXED64:
            pos += 8;
            break;
          case FIXED32:
            pos += 4;
            break;
          default:
            return false; // groups: left to the decoder
        }
        if (pos < 0 || pos > end) {
          return false;
        }
      }
      return true;
    }

    /** The varint at {@link #pos}; sets {@code pos} to -1 if none ends before {@code end}. */
    private long varint(byte[] b, int end) {
      long result = 0;
      for (int shift = 0; shift < 64 && pos >= 0 && pos < end; shift += 7) {
        byte x = b[pos++];
        result |= (long) (x & 0x7F) << shift;
        if (x >= 0) {
          return result;
        }
      }
      pos = -1;
      return 0;
    }
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
