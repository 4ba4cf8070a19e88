package io.zmesh.proto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
