package io.zmesh.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScanTest {
  private static Envelope publish() {
    return Envelope.newBuilder()
        .setCommand(Command.PUBLISH)
        .setId(77)
        .setService("chat.lobby")
        .setPayload(Any.pack(StringValue.of("hi")))
        .putHeaders("k", "v")
        .build();
  }

  private static Envelope credit(long id, int messages, long bytes) {
    return Envelope.newBuilder()
        .setCommand(Command.CREDIT)
        .setId(id)
        .setCredit(Credit.newBuilder().setMessages(messages).setBytes(bytes))
        .build();
  }

  @Test
  void readsPublishAndCredit() {
    assertEquals(new Scan.Publish(77, "chat.lobby", 1), Scan.read(Wire.encode(publish())));
    assertEquals(new Scan.Publish(0, "a.b", 1),
        Scan.read(Wire.publish("a.b", Any.pack(StringValue.of("x")))));
    assertEquals(new Scan.Publish(0, "", 1),
        Scan.read(Wire.encode(Envelope.newBuilder().setCommand(Command.PUBLISH).build())));

    assertEquals(new Scan.Credit(9, 0xFFFF_FFFFL, Long.MIN_VALUE, 0),
        Scan.read(Wire.encode(credit(9, -1, Long.MIN_VALUE))));
    // Two credit bodies merge, the later values winning, as the decoder has it.
    byte[] two = concat(Wire.encode(credit(3, 5, 700)), Wire.encode(Envelope.newBuilder()
        .setCredit(Credit.newBuilder().setBytes(900)).build()));
    assertEquals(new Scan.Credit(3, 5, 900, 0), Scan.read(two));
  }

  @Test
  void readsTheMessagesOfABatchWhereverThePayloadLies() {
    Envelope.Builder b = publish().toBuilder();
    for (int i = 1; i < 5; i++) {
      b.addBatch(Any.pack(StringValue.of("m" + i)));
    }
    Envelope batch = b.build();
    assertEquals(new Scan.Publish(77, "chat.lobby", 5), Scan.read(Wire.encode(batch)));
    assertEquals(new Scan.Publish(77, "chat.lobby", 5), Scan.of(batch));
    // The payload written after the batch is still the first message.
    byte[] late = concat(Wire.encode(batch.toBuilder().clearPayload().build()),
        Wire.encode(Envelope.newBuilder().setPayload(batch.getPayload()).build()));
    for (byte[] frame : new byte[][] {Wire.toMessage(Wire.encode(batch), 3, 0),
        Wire.toMessage(late, 3, 0)}) {
      Scan.Message m = assertInstanceOf(Scan.Message.class, Scan.read(frame));
      assertEquals(5, m.messages());
      int[] items = Scan.items(frame);
      assertEquals(20, items.length);
      for (int i = 0; i < 5; i++) {
        Any expected = i == 0 ? batch.getPayload() : batch.getBatch(i - 1);
        assertEquals(expected.getTypeUrl(),
            new String(frame, items[4 * i], items[4 * i + 1], StandardCharsets.UTF_8));
        assertEquals(expected.getValue(),
            ByteString.copyFrom(frame, items[4 * i + 2], items[4 * i + 3]));
      }
    }
  }

  @Test
  void readsWhatTheBrokerRoutesARequestBy() {
    byte[] request = Wire.withIdAndTimeout(Wire.request("chat", Any.pack(StringValue.of("x")),
        true, true), 7, 2_500);
    assertEquals(new Scan.Request(7, "chat", 2_500, true, true), Scan.read(request));
    assertEquals(new Scan.Request(0, "db", 0, false, false), Scan.read(Wire.encode(
        Envelope.newBuilder().setCommand(Command.REQUEST).setService("db").build())));
    // Headers and command bodies hold strings only the decoder checks.
    assertNull(Scan.read(Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST)
        .setService("db").putHeaders("a", "1").build())));
    assertNull(Scan.read(Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST)
        .setService("db").setHello(Hello.newBuilder().setClientName("odd")).build())));
    // A name that is not ASCII, and one given twice.
    assertNull(Scan.read(Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST)
        .setService("d\u00e9").build())));
    assertNull(Scan.read(concat(request, Wire.encode(Envelope.newBuilder()
        .setService("other").build()))));
  }

  @Test
  void leavesRepliesToTheDecoder() {
    byte[] reply = Wire.reply(41, Any.pack(StringValue.of("x")));
    assertNull(Scan.read(reply));
    assertNull(Scan.message(reply), "the SDK scans only messages");
  }

  @Test
  void readsAMessageInPlace() throws Exception {
    byte[] message = Wire.toMessage(Wire.encode(publish()), 12, 3);
    Scan.Message m = assertInstanceOf(Scan.Message.class, Scan.read(message));
    assertEquals(12, m.id());
    assertEquals(3, m.dropped());
    assertEquals("chat.lobby",
        new String(message, m.topicStart(), m.topicLength(), StandardCharsets.US_ASCII));
    assertTrue(m.payloadReadable());
    assertEquals("type.googleapis.com/google.protobuf.StringValue",
        new String(message, m.typeUrlStart(), m.typeUrlLength(), StandardCharsets.UTF_8));
    assertEquals(StringValue.of("hi"), StringValue.parseFrom(
        Arrays.copyOfRange(message, m.valueStart(), m.valueStart() + m.valueLength())));
  }

  @Test
  void aMessageWhosePayloadDoesNotScanIsStillAMessage() {
    // The broker forwards payloads unread; the subscriber must still count and credit it.
    byte[] bad = Wire.encode(Envelope.newBuilder().setCommand(Command.PUBLISH)
        .setService("a.b").build());
    bad = concat(bad, new byte[] {0x22, 2, 0x0a, 9}); // payload: a type URL longer than itself
    Scan.Message m = assertInstanceOf(Scan.Message.class, Scan.read(Wire.toMessage(bad, 5, 0)));
    assertEquals(5, m.id());
    assertFalse(m.payloadReadable());
  }

  @Test
  void leavesToTheDecoderWhatItCannotVouchFor() {
    // A publisher's own delivery body makes two, which the decoder merges.
    assertNull(Scan.read(Wire.toMessage(Wire.encode(publish().toBuilder()
        .setDelivery(Delivery.newBuilder().setDropped(99)).build()), 12, 3)));
    // A topic given twice: the decoder checks each copy.
    assertNull(Scan.read(concat(Wire.encode(publish()),
        Wire.encode(Envelope.newBuilder().setService("x.y").build()))));
    // Other commands.
    assertNull(Scan.read(Wire.encode(publish().toBuilder().setCommand(Command.REQUEST).build())));
    assertNull(Scan.read(new byte[0]));
    // Truncated, impossible lengths, groups.
    byte[] body = Wire.encode(publish());
    assertNull(Scan.read(Arrays.copyOf(body, body.length - 1)), "truncated");
    byte[] c = Wire.encode(credit(1, 2, 3));
    assertNull(Scan.read(Arrays.copyOf(c, c.length - 1)), "truncated credit");
    assertNull(Scan.read(new byte[] {0x08, 13, 0x1a, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}),
        "a length beyond any array");
    assertNull(Scan.read(new byte[] {0x08, 13, 0x03}), "a group");
  }

  @Test
  void ofADecodedPacketIsWhatTheScanReads() throws WireException {
    for (Envelope e : new Envelope[] {publish(), credit(4, 10, 1234),
        Envelope.newBuilder().setCommand(Command.REQUEST).setId(6).setService("w")
            .setTimeoutMs(-1).setIdempotent(true).build()}) {
      assertEquals(Scan.read(Wire.encode(e)), Scan.of(Wire.decode(Wire.encode(e))));
    }
    assertNull(Scan.of(Envelope.newBuilder().setCommand(Command.REPLY).build()));
  }

  @Test
  void publishAndCreditScansAgreeWithTheDecoderOnMangledPackets() {
    Random random = new Random(7);
    int agreed = 0;
    for (byte[] good : new byte[][] {Wire.encode(publish()), Wire.encode(credit(4, 10, 1234))}) {
      for (int k = 0; k < 20_000; k++) {
        byte[] b = mangle(good, random);
        Scan.Packet read = Scan.read(b);
        Envelope decoded;
        try {
          decoded = Wire.decode(b);
        } catch (WireException e) {
          continue; // a PUBLISH's payload is not the scan's business
        }
        if (read == null) {
          continue; // the decoder reads it, and Scan.of gives the value
        }
        assertEquals(decoded.getCommandValue(), read.command(), decoded.toString());
        assertEquals(decoded.getId(), read.id());
        if (read instanceof Scan.Publish
            && decoded.getService().chars().allMatch(ch -> ch < 0x80)) {
          assertEquals(decoded.getService(), ((Scan.Publish) read).topic());
        }
        if (read instanceof Scan.Credit && decoded.hasCredit()) {
          assertEquals(Scan.of(decoded), read);
        }
        agreed++;
      }
    }
    assertTrue(agreed > 1_000, "only " + agreed + " mangled packets both read");
  }

  @Test
  void requestScanAgreesWithTheDecoderOnMangledPackets() {
    Random random = new Random(13);
    byte[] request = Wire.withIdAndTimeout(
        Wire.request("chat", Any.pack(StringValue.of("hello")), true, false), 300, 2_000);
    int agreed = 0;
    for (byte[] good : new byte[][] {request}) {
      for (int k = 0; k < 40_000; k++) {
        byte[] b = mangle(good, random);
        Scan.Packet read = Scan.read(b);
        if (read == null) {
          continue; // the decoder reads it
        }
        Envelope decoded;
        try {
          decoded = Wire.decode(b);
        } catch (WireException e) {
          // What the broker routes unread must decode.
          assertFalse(read instanceof Scan.Request, "routed but undecodable: " + e.getMessage());
          continue;
        }
        assertEquals(decoded.getCommandValue(), read.command(), decoded.toString());
        assertEquals(Scan.of(decoded), read, decoded.toString());
        agreed++;
      }
    }
    assertTrue(agreed > 1_000, "only " + agreed + " mangled packets scanned");
  }

  @Test
  void messageScanAgreesWithTheDecoderOnMangledPackets() {
    Random random = new Random(11);
    byte[] good = Wire.toMessage(Wire.encode(publish()), 300, 5);
    int agreed = 0;
    for (int k = 0; k < 50_000; k++) {
      byte[] b = mangle(good, random);
      if (!(Scan.read(b) instanceof Scan.Message)) {
        continue; // the SDK then asks the decoder
      }
      Scan.Message m = (Scan.Message) Scan.read(b);
      Envelope decoded;
      try {
        decoded = Wire.decode(b);
      } catch (WireException e) {
        continue; // the SDK skips and credits it
      }
      assertEquals(Command.MESSAGE, decoded.getCommand());
      assertEquals(decoded.getId(), m.id());
      assertEquals(decoded.getDelivery().getDropped(), m.dropped(), decoded.toString());
      assertEquals(decoded.getServiceBytes(),
          ByteString.copyFrom(b, m.topicStart(), m.topicLength()), decoded.toString());
      if (m.payloadReadable()) {
        assertEquals(decoded.getPayload().getValue(),
            ByteString.copyFrom(b, m.valueStart(), m.valueLength()), decoded.toString());
        assertEquals(decoded.getPayload().getTypeUrlBytes(),
            ByteString.copyFrom(b, m.typeUrlStart(), m.typeUrlLength()), decoded.toString());
      }
      agreed++;
    }
    assertTrue(agreed > 1_000, "only " + agreed + " mangled messages both read");
  }

  /** {@code good} with one to three bytes changed, and cut short half of the time. */
  private static byte[] mangle(byte[] good, Random random) {
    byte[] b = good.clone();
    for (int j = 0; j < 1 + random.nextInt(3); j++) {
      b[random.nextInt(b.length)] = (byte) random.nextInt(256);
    }
    return random.nextBoolean() ? Arrays.copyOf(b, random.nextInt(b.length + 1)) : b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
