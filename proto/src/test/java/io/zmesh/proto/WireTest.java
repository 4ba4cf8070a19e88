package io.zmesh.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireTest {
  private static Envelope publish() {
    return Envelope.newBuilder()
        .setCommand(Command.PUBLISH)
        .setId(77)
        .setService("chat.lobby")
        .setPayload(Any.pack(StringValue.of("hi")))
        .putHeaders("k", "v")
        .build();
  }

  @Test
  void toMessageKeepsTopicPayloadAndHeadersAndSetsTheRest() throws WireException {
    for (long id : new long[] {0, 1, 127, 128, 1L << 40, -1L}) {
      for (long dropped : new long[] {0, 1, 300, Long.MAX_VALUE}) {
        byte[] body = Wire.encode(publish());
        byte[] message = Wire.toMessage(body, id, dropped);
        assertEquals(Wire.messageLength(body.length, id, dropped), message.length);
        Envelope e = Wire.decode(message);
        assertEquals(Command.MESSAGE, e.getCommand());
        assertEquals(id, e.getId());
        assertEquals("chat.lobby", e.getService());
        assertEquals(publish().getPayload(), e.getPayload());
        assertEquals("v", e.getHeadersOrThrow("k"));
        assertEquals(Envelope.BodyCase.DELIVERY, e.getBodyCase());
        assertEquals(dropped, e.getDelivery().getDropped());
      }
    }
  }

  @Test
  void aDeliveryOrOtherBodyFromThePublisherDoesNotSurvive() throws WireException {
    byte[] forged = Wire.encode(publish().toBuilder()
        .setDelivery(Delivery.newBuilder().setDropped(999)).build());
    assertEquals(0, Wire.decode(Wire.toMessage(forged, 3, 0)).getDelivery().getDropped());

    byte[] other = Wire.encode(publish().toBuilder()
        .setStatus(ErrorStatus.newBuilder().setMessage("x")).build());
    Envelope e = Wire.decode(Wire.toMessage(other, 3, 5));
    assertEquals(Envelope.BodyCase.DELIVERY, e.getBodyCase());
    assertEquals(5, e.getDelivery().getDropped());
  }

  private static Envelope credit(long id, int messages, long bytes) {
    return Envelope.newBuilder()
        .setCommand(Command.CREDIT)
        .setId(id)
        .setCredit(Credit.newBuilder().setMessages(messages).setBytes(bytes))
        .build();
  }

  @Test
  void requestsAndRepliesAreEncodedAsTheBuilderWould() throws Exception {
    String url = "type.googleapis.com/google.protobuf.StringValue";
    for (StringValue value : List.of(StringValue.of("hello"), StringValue.of(""),
        StringValue.of("x".repeat(100_000)))) {
      Any any = Any.pack(value);
      for (boolean wait : new boolean[] {false, true}) {
        for (boolean idempotent : new boolean[] {false, true}) {
          Envelope.Builder expected = Envelope.newBuilder().setCommand(Command.REQUEST)
              .setService("chat").setPayload(any).setWaitForWorker(wait)
              .setIdempotent(idempotent);
          assertArrayEquals(expected.build().toByteArray(),
              Wire.request("chat", url, value, wait, idempotent));
          assertArrayEquals(expected.build().toByteArray(),
              Wire.request("chat", any, wait, idempotent));
          // The sender appends the id and the timeout when it transmits.
          assertEquals(expected.setId(9).setTimeoutMs(1_500).build(), Envelope.parseFrom(
              Wire.withIdAndTimeout(Wire.request("chat", url, value, wait, idempotent), 9, 1_500)));
        }
      }
      Envelope reply = Envelope.newBuilder().setCommand(Command.REPLY).setId(1L << 40)
          .setPayload(any).build();
      assertArrayEquals(reply.toByteArray(), Wire.reply(1L << 40, url, value));
      assertArrayEquals(reply.toByteArray(), Wire.reply(1L << 40, any));
    }
  }

  @Test
  void scanReadsWhatTheBrokerRoutesARequestBy() {
    byte[] request = Wire.withIdAndTimeout(Wire.request("chat", Any.pack(StringValue.of("x")),
        true, true), 7, 2_500);
    assertEquals(0, new Wire.Scan(true, false).read(request), "workers decode requests");
    Wire.Scan f = new Wire.Scan(true, true);
    assertEquals(Command.REQUEST_VALUE, f.read(request));
    assertEquals("chat", f.topic);
    assertEquals(7, f.id);
    assertEquals(2_500, f.timeoutMs);
    assertTrue(f.waitForWorker);
    assertTrue(f.idempotent);
    assertEquals(0, f.headers);
    assertEquals(0, f.bodies);
    assertTrue(f.readMessage(request));
    assertEquals("type.googleapis.com/google.protobuf.StringValue",
        new String(request, f.typeUrlStart, f.typeUrlLength, StandardCharsets.UTF_8));
    // Flags off, no timeout; headers and command bodies are counted for the broker to see.
    assertEquals(Command.REQUEST_VALUE, f.read(Wire.encode(Envelope.newBuilder()
        .setCommand(Command.REQUEST).setService("db").putHeaders("a", "1").putHeaders("b", "2")
        .setHello(Hello.newBuilder().setClientName("odd")).build())));
    assertEquals("db", f.topic);
    assertEquals(0, f.timeoutMs);
    assertFalse(f.waitForWorker);
    assertFalse(f.idempotent);
    assertEquals(2, f.headers);
    assertEquals(1, f.bodies);
  }

  @Test
  void scanReadsRepliesOnlyWhenAsked() throws Exception {
    byte[] reply = Wire.encode(Envelope.newBuilder().setCommand(Command.REPLY).setId(41)
        .setPayload(Any.pack(StringValue.of("x"))).putHeaders("k", "v").build());
    assertEquals(0, new Wire.Scan().read(reply), "replies are scanned only when asked");
    Wire.Scan f = new Wire.Scan(true, false);
    assertEquals(Command.REPLY_VALUE, f.read(reply));
    assertEquals(41, f.id);
    // Its payload, where it lies in the frame.
    assertTrue(f.readMessage(reply));
    assertEquals("type.googleapis.com/google.protobuf.StringValue",
        new String(reply, f.typeUrlStart, f.typeUrlLength, StandardCharsets.UTF_8));
    assertEquals(StringValue.of("x"), StringValue.parseFrom(
        Arrays.copyOfRange(reply, f.valueStart, f.valueStart + f.valueLength)));
    // The broker's renumbering appends an id; the last one counts, as for the decoder.
    assertEquals(Command.REPLY_VALUE, f.read(Wire.withId(reply, 300_000)));
    assertEquals(300_000, f.id);
    // Requests and errors are still left to the decoder.
    assertEquals(0, f.read(Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST)
        .setId(1).setService("w").build())));
    assertEquals(0, f.read(Wire.encode(Wire.error(2, StatusCode.INTERNAL, "no"))));
    // A reply that does not scan (a length beyond the frame) goes to the decoder, which says why.
    byte[] truncated = Arrays.copyOf(reply, reply.length - 1);
    assertEquals(0, f.read(truncated));
    assertThrows(WireException.class, () -> Wire.decode(truncated));
  }

  @Test
  void scanReadsPublishAndCredit() {
    Wire.Scan f = new Wire.Scan();
    assertEquals(Command.PUBLISH_VALUE, f.read(Wire.encode(publish())));
    assertEquals(77, f.id);
    assertEquals("chat.lobby", f.topic);
    assertEquals(Command.PUBLISH_VALUE, f.read(Wire.publish("a.b", Any.pack(StringValue.of("x")))));
    assertEquals(0, f.id);
    assertEquals("a.b", f.topic);
    assertEquals(Command.PUBLISH_VALUE,
        f.read(Wire.encode(Envelope.newBuilder().setCommand(Command.PUBLISH).build())));
    assertEquals("", f.topic);
    // A MESSAGE: id and topic, then its payload and gap read in place.
    byte[] message = Wire.toMessage(Wire.encode(publish()), 12, 3);
    assertEquals(Command.MESSAGE_VALUE, f.read(message));
    assertEquals(12, f.id);
    assertEquals("chat.lobby",
        new String(message, f.topicStart, f.topicLength, StandardCharsets.US_ASCII));
    assertTrue(f.readMessage(message));
    assertEquals(3, f.dropped);
    assertEquals("type.googleapis.com/google.protobuf.StringValue",
        new String(message, f.typeUrlStart, f.typeUrlLength, StandardCharsets.UTF_8));
    assertEquals(StringValue.of("hi").toByteString(),
        ByteString.copyFrom(message, f.valueStart, f.valueLength));
    // A publisher's own delivery body makes two, which the decoder merges: not the scan's job.
    byte[] twice = Wire.toMessage(Wire.encode(publish().toBuilder()
        .setDelivery(Delivery.newBuilder().setDropped(99)).build()), 12, 3);
    assertEquals(Command.MESSAGE_VALUE, f.read(twice));
    assertFalse(f.readMessage(twice));

    assertEquals(Command.CREDIT_VALUE, f.read(Wire.encode(credit(9, -1, Long.MIN_VALUE))));
    assertEquals(9, f.id);
    assertEquals(0xFFFF_FFFFL, f.creditMessages);
    assertEquals(Long.MIN_VALUE, f.creditBytes);
    // Two credit bodies merge, the later values winning, as the decoder has it.
    byte[] two = concat(Wire.encode(credit(3, 5, 700)), Wire.encode(Envelope.newBuilder()
        .setCredit(Credit.newBuilder().setBytes(900)).build()));
    assertEquals(Command.CREDIT_VALUE, f.read(two));
    assertEquals(5, f.creditMessages);
    assertEquals(900, f.creditBytes);

    assertEquals(0, f.read(Wire.encode(publish().toBuilder().setCommand(Command.REQUEST).build())));
    assertEquals(0, f.read(new byte[0]));
    byte[] body = Wire.encode(publish());
    assertEquals(0, f.read(Arrays.copyOf(body, body.length - 1)), "truncated");
    byte[] c = Wire.encode(credit(1, 2, 3));
    assertEquals(0, f.read(Arrays.copyOf(c, c.length - 1)), "truncated credit");
    assertEquals(0, f.read(new byte[] {0x08, 13, 0x1a, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01}),
        "a length beyond any array");
    assertEquals(0, f.read(new byte[] {0x08, 13, 0x03}), "a group");
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

  @Test
  void scanAgreesWithTheDecoderOnMangledPackets() {
    Random random = new Random(7);
    Wire.Scan f = new Wire.Scan();
    for (byte[] good : new byte[][] {Wire.encode(publish()), Wire.encode(credit(4, 10, 1234))}) {
      for (int k = 0; k < 20_000; k++) {
        byte[] b = mangle(good, random);
        int read = f.read(b);
        Envelope decoded;
        try {
          decoded = Wire.decode(b);
        } catch (WireException e) {
          continue; // a PUBLISH's payload is not the scan's business
        }
        if (read == 0) {
          continue;
        }
        assertEquals(decoded.getCommandValue(), read, decoded.toString());
        assertEquals(decoded.getId(), f.id);
        if (read == Command.PUBLISH_VALUE
            && decoded.getService().chars().allMatch(ch -> ch < 0x80)) {
          assertEquals(decoded.getService(), f.topic);
        }
        if (read == Command.CREDIT_VALUE && decoded.hasCredit()) {
          assertEquals(decoded.getCredit().getMessages() & 0xFFFF_FFFFL, f.creditMessages);
          assertEquals(decoded.getCredit().getBytes(), f.creditBytes);
        }
      }
    }
  }

  @Test
  void requestAndReplyScansAgreeWithTheDecoderOnMangledPackets() {
    Random random = new Random(13);
    Wire.Scan f = new Wire.Scan(true, true);
    byte[] request = Wire.withIdAndTimeout(
        Wire.request("chat", Any.pack(StringValue.of("hello")), true, false), 300, 2_000);
    byte[] reply = Wire.reply(300, Any.pack(StringValue.of("hi")));
    int agreed = 0;
    for (byte[] good : new byte[][] {request, reply}) {
      for (int k = 0; k < 20_000; k++) {
        byte[] b = mangle(good, random);
        int read = f.read(b);
        if (read == 0 || !f.readMessage(b)) {
          continue; // the decoder reads it
        }
        // What the broker routes without the decoder must decode.
        boolean routable = read == Command.REQUEST_VALUE && f.readRequest(b);
        Envelope decoded;
        try {
          decoded = Wire.decode(b);
        } catch (WireException e) {
          assertFalse(routable, "routed but undecodable: " + e.getMessage());
          continue; // a reply's receiver decodes and judges it
        }
        assertEquals(decoded.getCommandValue(), read, decoded.toString());
        assertEquals(decoded.getId(), f.id);
        if (routable) {
          assertEquals(decoded.getService(), f.topic);
          assertEquals(decoded.getTimeoutMs() & 0xFFFF_FFFFL, f.timeoutMs);
          assertEquals(decoded.getWaitForWorker(), f.waitForWorker);
          assertEquals(decoded.getIdempotent(), f.idempotent);
        }
        assertEquals(decoded.getPayload().getTypeUrl(), new String(b, f.typeUrlStart,
            f.typeUrlLength, StandardCharsets.UTF_8), decoded.toString());
        agreed++;
      }
    }
    assertTrue(agreed > 1_000, "only " + agreed + " mangled packets scanned");
  }

  @Test
  void messageScanAgreesWithTheDecoderOnMangledPackets() {
    Random random = new Random(11);
    Wire.Scan f = new Wire.Scan();
    byte[] good = Wire.toMessage(Wire.encode(publish()), 300, 5);
    int agreed = 0;
    for (int k = 0; k < 50_000; k++) {
      byte[] b = mangle(good, random);
      if (f.read(b) != Command.MESSAGE_VALUE || !f.readMessage(b)) {
        continue; // the SDK then asks the decoder
      }
      Envelope decoded;
      try {
        decoded = Wire.decode(b);
      } catch (WireException e) {
        continue; // the SDK skips and credits it
      }
      assertEquals(Command.MESSAGE, decoded.getCommand());
      assertEquals(decoded.getId(), f.id);
      assertEquals(decoded.getDelivery().getDropped(), f.dropped, decoded.toString());
      assertEquals(decoded.getPayload().getValue(),
          ByteString.copyFrom(b, f.valueStart, f.valueLength), decoded.toString());
      assertEquals(decoded.getPayload().getTypeUrlBytes(),
          ByteString.copyFrom(b, f.typeUrlStart, f.typeUrlLength), decoded.toString());
      assertEquals(decoded.getServiceBytes(),
          ByteString.copyFrom(b, f.topicStart, f.topicLength), decoded.toString());
      agreed++;
    }
    assertTrue(agreed > 1_000, "only " + agreed + " mangled messages both read");
  }
}
