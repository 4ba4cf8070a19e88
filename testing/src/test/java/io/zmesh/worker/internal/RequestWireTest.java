package io.zmesh.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Wire;
import io.zmesh.testing.FakeBroker;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Requests written straight to bytes and replies parsed straight from their frames, against a
 * scripted broker: what leaves and what the caller gets match the envelope path.
 */
@Timeout(30)
class RequestWireTest {
  private static final CallOptions OPTIONS =
      CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(20)).withIdempotent(true);

  /** The request as the broker received it, and the outcome of the broker's answer to it. */
  private record Exchange(Envelope request, CompletableFuture<StringValue> reply) {
    StringValue get() throws Exception {
      return reply.get(20, TimeUnit.SECONDS);
    }

    MeshException failure() {
      ExecutionException e = assertThrows(ExecutionException.class, this::get);
      return (MeshException) e.getCause();
    }
  }

  /** Sends "ping" to "echo" with {@code options} and answers it with {@code answer}'s bytes. */
  private static Exchange exchange(CallOptions options, Function<Long, byte[]> answer)
      throws Exception {
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options().build())) {
      byte[] peer = broker.accept();
      CompletableFuture<StringValue> f =
          client.request("echo", StringValue.of("ping"), StringValue.class, options);
      Envelope request = broker.expect(Command.REQUEST).envelope();
      broker.sendBytes(peer, answer.apply(request.getId()));
      Exchange e = new Exchange(request, f);
      e.reply.handle((r, t) -> null).get(20, TimeUnit.SECONDS);
      return e;
    }
  }

  @Test
  void aRequestCarriesItsIdTimeoutAndFlagsAndItsReplyComesBackTyped() throws Exception {
    Exchange e = exchange(OPTIONS, id -> Wire.reply(id, Any.pack(StringValue.of("pong"))));
    assertEquals("echo", e.request.getService());
    assertTrue(e.request.getId() != 0);
    assertTrue(e.request.getTimeoutMs() > 15_000 && e.request.getTimeoutMs() <= 20_000,
        e.request.toString());
    assertTrue(e.request.getIdempotent());
    assertEquals(StringValue.of("ping"), e.request.getPayload().unpack(StringValue.class));
    assertEquals(StringValue.of("pong"), e.get());
  }

  @Test
  void aReplyOfAnotherTypeFailsAsInvalidArgument() throws Exception {
    MeshException failure =
        exchange(OPTIONS, id -> Wire.reply(id, Any.pack(Int32Value.of(7)))).failure();
    assertEquals(Code.INVALID_ARGUMENT, failure.status().code());
    assertEquals("reply from 'echo' is a google.protobuf.Int32Value, expected"
        + " google.protobuf.StringValue", failure.status().description());
  }

  @Test
  void aReplyThatDoesNotScanIsDecodedLikeAnyEnvelope() throws Exception {
    // Two payload fields: the scan leaves it to the decoder, which merges them.
    Exchange e = exchange(OPTIONS, id -> {
      byte[] first = Wire.reply(id, Any.pack(StringValue.of("first")));
      byte[] second = Envelope.newBuilder()
          .setPayload(Any.pack(StringValue.of("second"))).build().toByteArray();
      byte[] both = new byte[first.length + second.length];
      System.arraycopy(first, 0, both, 0, first.length);
      System.arraycopy(second, 0, both, first.length, second.length);
      return both;
    });
    assertEquals(StringValue.of("second"), e.get());
  }

  @Test
  void aRequestWithHeadersCarriesThem() throws Exception {
    Exchange e = exchange(OPTIONS.withHeader("trace", "t-1"),
        id -> Wire.reply(id, Any.pack(StringValue.of("pong"))));
    assertEquals("t-1", e.request.getHeadersOrThrow("trace"));
    assertTrue(e.request.getIdempotent());
    assertEquals(StringValue.of("pong"), e.get());
  }
}
