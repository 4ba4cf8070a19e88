package io.zmesh.proto;

import com.google.protobuf.Any;
import java.nio.charset.StandardCharsets;

/**
 * Reads the few fields the busiest packets are routed by, straight from the envelope's bytes,
 * instead of the decoder, which builds the envelope, its body and the {@code Any} with a copy
 * of its value: the broker forwards requests and published messages untouched, and
 * the SDK parses a delivered message's payload straight from its frame. docs/benchmarks.md#one-path-per-packet has the measurements
 * that keep each kind here.
 *
 * <p>{@link #read} answers null for every other packet, and for a packet of these kinds that it
 * cannot vouch for (a body or name given twice, which the decoder merges or checks copy by
 * copy; a group wire type; a truncated field). The caller then decodes it and, for a decoded
 * packet of these kinds, takes the same value from {@link #of(Envelope)}, so each kind is
 * routed on one path. Stateless; any thread.
 */
public final class Scan {
  private Scan() {}

  /** What a scan read; one record per kind of packet. */
  public sealed interface Packet permits Publish, Credit, Message, Request {
    /** The envelope's {@code command} number. */
    int command();

    /** The envelope's {@code id}. */
    long id();
  }

  /**
   * A PUBLISH: its id (0: never answered), topic, read as Latin-1 (a valid one is ASCII), and
   * the messages it carries: 1, plus those of its batch (protocol 1.1).
   */
  public record Publish(long id, String topic, int messages) implements Packet {
    @Override
    public int command() {
      return Command.PUBLISH_VALUE;
    }
  }

  /**
   * A REQUEST the broker can route and forward unread: its id, worker name (ASCII), {@code
   * timeout_ms} (a uint32, 0 for none) and flags. One with headers or a command body is left to
   * the decoder, which checks their strings.
   */
  public record Request(long id, String worker, long timeoutMs, boolean waitForWorker,
      boolean idempotent) implements Packet {
    @Override
    public int command() {
      return Command.REQUEST_VALUE;
    }
  }

  /**
   * A CREDIT for subscription {@code id}: messages (a uint32) and bytes taken off its queue, and
   * how many of those messages it skipped.
   */
  public record Credit(long id, long messages, long bytes, long skipped) implements Packet {
    @Override
    public int command() {
      return Command.CREDIT_VALUE;
    }
  }

  /**
   * A MESSAGE for subscription {@code id}: where its topic, its payload's type URL and value lie
   * in the frame, and {@code delivery.dropped}. The broker forwards payloads unread, so a
   * publisher's bad bytes arrive too: then {@link #payloadReadable()} is false, and the
   * subscriber skips the message (and still credits it).
   */
  public record Message(long id, int topicStart, int topicLength, int typeUrlStart,
      int typeUrlLength, int valueStart, int valueLength, long dropped, int messages)
      implements Packet {
    public boolean payloadReadable() {
      return typeUrlStart >= 0;
    }

    @Override
    public int command() {
      return Command.MESSAGE_VALUE;
    }
  }

  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;
  /** The tag of {@code command} as a varint: field 1, wire type 0. */
  private static final byte COMMAND_TAG = (byte) (Envelope.COMMAND_FIELD_NUMBER << 3);

  /** The scanned fields of {@code body}, or null when the decoder must read it. */
  public static Packet read(byte[] body) {
    if (body.length >= 2 && body[0] == COMMAND_TAG && !scanned(body[1])) {
      // Every encoder writes the command first: other packets go straight to the decoder,
      // which also reads whatever a later command field says.
      return null;
    }
    Cursor c = new Cursor(body);
    if (!c.fields(body.length, Cursor.ENVELOPE)) {
      return null;
    }
    switch ((int) c.command) {
      case Command.PUBLISH_VALUE:
        return c.repeats == 0 ? new Publish(c.id, c.topic(), 1 + c.batch) : null;
      case Command.CREDIT_VALUE:
        // A body given twice is read in order, later fields winning, as the decoder merges it.
        return new Credit(c.id, c.creditMessages, c.creditBytes, c.creditSkipped);
      case Command.REQUEST_VALUE:
        // Everything the decoder would check must have been read: no strings the scan skips
        // (headers, bodies), no name or type URL given twice, both ASCII (valid UTF-8, and the
        // Latin-1 name is the name).
        return c.repeats == 0 && c.headers == 0 && c.bodies == 0 && c.batch == 0
            && c.payloads <= 1
            && c.readPayload() && c.ascii(c.topicStart, c.topicLength)
            && c.ascii(c.typeUrlStart, c.typeUrlLength)
            ? new Request(c.id, c.topic(), c.timeoutMs, c.waitForWorker, c.idempotent)
            : null;
      case Command.MESSAGE_VALUE:
        if (c.repeats > 0 || c.payloads > 1 || c.deliveries > 1 || !c.readDelivery()) {
          return null; // the decoder checks every copy, or merges the bodies
        }
        if (c.payloads == 0 && c.batch > 0) {
          return null; // a batch without its first message: the decoder's canonical form has one
        }
        return c.readPayload()
            ? new Message(c.id, c.topicStart, c.topicLength, c.typeUrlStart, c.typeUrlLength,
                c.valueStart, c.valueLength, c.dropped, 1 + c.batch)
            : new Message(c.id, c.topicStart, c.topicLength, -1, 0, -1, 0, c.dropped,
                1 + c.batch);
      default:
        return null;
    }
  }

  /** {@link #read} of a MESSAGE, and null for any other packet, without scanning those. */
  public static Message message(byte[] body) {
    if (body.length >= 2 && body[0] == COMMAND_TAG && body[1] != Command.MESSAGE_VALUE) {
      return null;
    }
    Packet p = read(body);
    return p instanceof Message ? (Message) p : null;
  }

  /**
   * The value {@link #read} gives for a decoded PUBLISH, CREDIT or REQUEST; null for
   * other commands. A MESSAGE's value points into a frame: scan {@link Wire#encode} of the
   * decoded envelope.
   */
  public static Packet of(Envelope decoded) {
    switch (decoded.getCommand()) {
      case REQUEST:
        return new Request(decoded.getId(), decoded.getService(),
            decoded.getTimeoutMs() & 0xFFFF_FFFFL, decoded.getWaitForWorker(),
            decoded.getIdempotent());
      case PUBLISH:
        return new Publish(decoded.getId(), decoded.getService(), 1 + decoded.getBatchCount());
      case CREDIT:
        return new Credit(decoded.getId(), decoded.getCredit().getMessages() & 0xFFFF_FFFFL,
            decoded.getCredit().getBytes(), decoded.getCredit().getSkipped());
      default:
        return null;
    }
  }

  /**
   * Where each message of a MESSAGE (or PUBLISH) frame that {@link #read} scanned lies: its
   * payload, then each of its batch in order, as four ints each (type URL start and length,
   * value start and length; a type URL start of -1 for a message whose payload does not scan).
   */
  public static int[] items(byte[] frame) {
    Cursor c = new Cursor(frame);
    int[] out = new int[8];
    int n = 0;
    int payloadAt = -1;
    while (c.pos < frame.length) {
      long tag = c.varint(frame.length);
      if (c.pos < 0) {
        break;
      }
      int field = (int) (tag >>> 3);
      int type = (int) tag & 7;
      if (type == LENGTH_DELIMITED) {
        long length = c.varint(frame.length);
        if (c.pos < 0 || length < 0 || length > frame.length - c.pos) {
          break;
        }
        int start = c.pos;
        int end = start + (int) length;
        if (field == Envelope.PAYLOAD_FIELD_NUMBER || field == Envelope.BATCH_FIELD_NUMBER) {
          if (n + 4 > out.length) {
            out = java.util.Arrays.copyOf(out, out.length * 2);
          }
          int slot = n;
          if (field == Envelope.PAYLOAD_FIELD_NUMBER) {
            payloadAt = slot; // moved to the front below
          }
          Cursor any = new Cursor(frame);
          any.pos = start;
          if (any.fields(end, Cursor.PAYLOAD) && any.repeats == 0) {
            out[slot] = any.typeUrlStart > 0 ? any.typeUrlStart : start;
            out[slot + 1] = any.typeUrlLength;
            out[slot + 2] = any.valueStart > 0 ? any.valueStart : start;
            out[slot + 3] = any.valueLength;
          } else {
            out[slot] = -1;
          }
          n += 4;
        }
        c.pos = end;
      } else if (type == VARINT) {
        c.varint(frame.length);
      } else if (type == FIXED64) {
        c.pos += 8;
      } else if (type == FIXED32) {
        c.pos += 4;
      } else {
        break;
      }
      if (c.pos < 0 || c.pos > frame.length) {
        break;
      }
    }
    if (payloadAt > 0) {
      // The payload is the first message, wherever the encoder put it.
      int[] first = java.util.Arrays.copyOfRange(out, payloadAt, payloadAt + 4);
      System.arraycopy(out, 0, out, 4, payloadAt);
      System.arraycopy(first, 0, out, 0, 4);
    }
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }

  private static boolean scanned(byte command) {
    return command == Command.PUBLISH_VALUE || command == Command.MESSAGE_VALUE
        || command == Command.CREDIT_VALUE || command == Command.REQUEST_VALUE
        || command < 0; // < 0: a longer varint
  }

  /** One pass over one frame. */
  private static final class Cursor {
    static final int ENVELOPE = 0;
    static final int CREDIT = 1;
    static final int PAYLOAD = 2;
    static final int DELIVERY = 3;

    final byte[] b;
    int pos;
    long command;
    long id;
    int topicStart;
    int topicLength;
    long creditMessages;
    long creditBytes;
    long creditSkipped;
    long timeoutMs;
    boolean waitForWorker;
    boolean idempotent;
    int headers;
    /** Length-delimited envelope fields other than service, payload and headers. */
    int bodies;
    int payloadStart;
    int payloadLength;
    int payloads;
    int deliveryStart;
    int deliveryLength;
    int deliveries;
    /** Messages of a batch (field 9) after the payload. */
    int batch;
    int typeUrlStart;
    int typeUrlLength;
    int valueStart;
    int valueLength;
    long dropped;
    /** Names, topics or type URLs given again: the scan keeps the last, the decoder checks all. */
    int repeats;

    Cursor(byte[] b) {
      this.b = b;
    }

    String topic() {
      return new String(b, topicStart, topicLength, StandardCharsets.ISO_8859_1);
    }

    boolean ascii(int start, int length) {
      for (int i = start; i < start + length; i++) {
        if (b[i] < 0) {
          return false;
        }
      }
      return true;
    }

    /** Reads the payload's type URL and value; false when they do not scan. */
    boolean readPayload() {
      if (payloads == 0) {
        return true;
      }
      pos = payloadStart;
      return fields(payloadStart + payloadLength, PAYLOAD) && repeats == 0;
    }

    /** Reads the delivery's dropped count; false when it does not scan. */
    boolean readDelivery() {
      if (deliveries == 0) {
        return true;
      }
      pos = deliveryStart;
      return fields(deliveryStart + deliveryLength, DELIVERY);
    }

    /** Reads the fields of one {@code kind} from {@link #pos} up to {@code end}. */
    boolean fields(int end, int kind) {
      while (pos < end) {
        long tag = varint(end);
        int field = (int) (tag >>> 3);
        if (pos < 0 || field == 0) {
          return false;
        }
        switch ((int) tag & 7) {
          case VARINT:
            long value = varint(end);
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
            } else if (kind == CREDIT && field == io.zmesh.proto.Credit.MESSAGES_FIELD_NUMBER) {
              creditMessages = value & 0xFFFF_FFFFL;
            } else if (kind == CREDIT && field == io.zmesh.proto.Credit.BYTES_FIELD_NUMBER) {
              creditBytes = value;
            } else if (kind == CREDIT && field == io.zmesh.proto.Credit.SKIPPED_FIELD_NUMBER) {
              creditSkipped = value;
            } else if (kind == DELIVERY && field == Delivery.DROPPED_FIELD_NUMBER) {
              dropped = value;
            }
            break;
          case LENGTH_DELIMITED:
            long length = varint(end);
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
            } else if (kind == ENVELOPE && field == Envelope.HEADERS_FIELD_NUMBER) {
              headers++;
            } else if (kind == ENVELOPE && field == Envelope.CREDIT_FIELD_NUMBER) {
              bodies++;
              if (!fields(fieldEnd, CREDIT)) {
                return false;
              }
            } else if (kind == ENVELOPE && field == Envelope.PAYLOAD_FIELD_NUMBER) {
              payloadStart = start; // only remembered: the broker forwards payloads unread
              payloadLength = (int) length;
              payloads++;
            } else if (kind == ENVELOPE && field == Envelope.BATCH_FIELD_NUMBER) {
              batch++; // read by items(), when a subscriber hands them out
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
    long varint(int end) {
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
}
