package io.zmesh.worker.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.testing.FakeBroker;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SDK's side of publishing, against a scripted broker. */
@Timeout(30)
class PublishTest {
  private static final Duration WAIT = FakeBroker.WAIT;

  private static void assertEncodedLikeTheBuilder(String topic, Message m) throws Exception {
    byte[] direct = m instanceof Any
        ? Wire.publish(topic, (Any) m) : Wire.publish(topic, Payloads.typeUrl(m), m);
    Envelope expected = Envelope.newBuilder()
        .setCommand(Command.PUBLISH).setService(topic).setPayload(Payloads.pack(m)).build();
    assertEquals(expected, Envelope.parseFrom(direct));
    assertArrayEquals(expected.toByteArray(), direct);
  }

  @Test
  void publishPacketsAreEncodedAsTheEnvelopeBuilderWould() throws Exception {
    assertEncodedLikeTheBuilder("a.b", StringValue.of("hello"));
    assertEncodedLikeTheBuilder("a", Empty.getDefaultInstance());
    assertEncodedLikeTheBuilder("t", StringValue.of("x".repeat(100_000)));
    assertEncodedLikeTheBuilder("packed", Any.pack(StringValue.of("inside")));
    assertEncodedLikeTheBuilder("dynamic", DynamicMessage.newBuilder(StringValue.getDescriptor())
        .setField(StringValue.getDescriptor().findFieldByName("value"), "dyn").build());
    assertEquals("type.googleapis.com/google.protobuf.StringValue",
        Payloads.typeUrl(StringValue.of("")));
  }

  @Test
  void publishesLeaveInOrder() throws Exception {
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options().build())) {
      broker.accept();
      int n = 3_000;
      for (int i = 0; i < n; i++) {
        client.publish("orders.eu", StringValue.of("m" + i));
      }
      for (int i = 0; i < n; i++) {
        Envelope p = broker.expect(Command.PUBLISH).envelope();
        assertEquals("orders.eu", p.getService());
        assertEquals(0, p.getId());
        assertEquals("m" + i, p.getPayload().unpack(StringValue.class).getValue());
      }
    }
  }

  @Test
  void badTopicsAndOversizeMessagesFailSynchronously() {
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options().build())) {
      broker.accept(Welcome.newBuilder().setHeartbeatIntervalMs(1_000).setLiveness(10)
          .setMaxMessageBytes(1_000).build());
      Await.connected(client);
      for (String topic : new String[] {"", "a.*", "a.>", "a..b", "a b", "é"}) {
        MeshException e = assertThrows(MeshException.class,
            () -> client.publish(topic, StringValue.of("x")), topic);
        assertEquals(Code.INVALID_ARGUMENT, e.code(), topic);
      }
      MeshException reserved = assertThrows(MeshException.class,
          () -> client.publish("zmesh.events", StringValue.of("x")));
      assertEquals(Code.PERMISSION_DENIED, reserved.code());
      MeshException large = assertThrows(MeshException.class,
          () -> client.publish("big", StringValue.of("x".repeat(2_000))));
      assertEquals(Code.INVALID_ARGUMENT, large.code());
      assertTrue(large.getMessage().contains("limit of 1000 bytes"), large.getMessage());
      assertThrows(NullPointerException.class, () -> client.publish("a", null));
      assertNull(broker.poll(Duration.ofMillis(100)), "nothing refused was sent");
    }
  }

  @Test
  void aFullBacklogBlocksForTheCallTimeoutThenFailsAndDrainsOnceConnected() throws Exception {
    Duration timeout = Duration.ofMillis(300);
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options()
            .publishBacklog(50)
            .callOptions(CallOptions.DEFAULT.withTimeout(timeout))
            .build())) {
      // Not connected yet (the HELLO is not answered): publishes wait in the backlog.
      for (int i = 0; i < 50; i++) {
        client.publish("t", StringValue.of("m" + i));
      }
      long start = System.nanoTime();
      MeshException e = assertThrows(MeshException.class,
          () -> client.publish("t", StringValue.of("one too many")));
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(Code.OVERLOADED, e.code());
      assertTrue(waited >= timeout.toMillis() - 20, "gave up after " + waited + " ms");
      assertTrue(waited < timeout.toMillis() + 5_000, "gave up after " + waited + " ms");

      broker.accept();
      for (int i = 0; i < 50; i++) {
        assertEquals(StringValue.of("m" + i),
            broker.expect(Command.PUBLISH).envelope().getPayload().unpack(StringValue.class));
      }
      assertNull(broker.poll(Duration.ofMillis(100)));
      // Room again.
      client.publish("t", StringValue.of("later"));
      assertEquals("later", broker.expect(Command.PUBLISH).envelope().getPayload()
          .unpack(StringValue.class).getValue());
    }
  }

  @Test
  void publishesMadeBeforeCloseGoOutBeforeTheGoodbyeAndNoneAfter() throws Exception {
    try (FakeBroker broker = new FakeBroker()) {
      MeshClient client = MeshClient.connect(broker.options().build());
      broker.accept();
      Await.connected(client);
      for (int i = 0; i < 100; i++) {
        client.publish("t", StringValue.of("m" + i));
      }
      client.close();
      for (int i = 0; i < 100; i++) {
        assertEquals(ByteString.copyFromUtf8("m" + i), broker.expect(Command.PUBLISH).envelope()
            .getPayload().unpack(StringValue.class).getValueBytes());
      }
      broker.expect(Command.DISCONNECT);
      MeshException e = assertThrows(MeshException.class,
          () -> client.publish("t", StringValue.of("after")));
      assertEquals(Code.CANCELLED, e.code());
    }
  }

  @Test
  void backlogOptionIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> MeshOptions.builder().publishBacklog(0));
    assertThrows(IllegalArgumentException.class,
        () -> MeshOptions.builder().publishBacklog(MeshOptions.MAX_PUBLISH_BACKLOG + 1));
    assertThrows(IllegalArgumentException.class,
        () -> MeshOptions.builder().subscriptionBudget(-1, 0));
    assertThrows(IllegalArgumentException.class,
        () -> MeshOptions.builder().subscriptionBudget(0, -1));
    MeshOptions o = MeshOptions.builder().publishBacklog(7).subscriptionBudget(5, 6).build();
    assertEquals(7, o.toBuilder().build().publishBacklog());
    assertEquals(5, o.toBuilder().build().subscriptionBudgetMessages());
    assertEquals(6, o.toBuilder().build().subscriptionBudgetBytes());
    assertEquals(MeshOptions.DEFAULT_PUBLISH_BACKLOG, MeshOptions.defaults().publishBacklog());
  }

  /** Bounded waits. */
  static final class Await {
    private Await() {}

    static void connected(MeshClient client) {
      try {
        assertTrue(client.awaitConnected(WAIT), "not connected within " + WAIT);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
