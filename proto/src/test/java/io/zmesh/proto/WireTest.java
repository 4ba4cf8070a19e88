package io.zmesh.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
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
}
