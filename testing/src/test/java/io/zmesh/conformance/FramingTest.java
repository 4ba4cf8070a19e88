package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.command;
import static io.zmesh.conformance.RawConnection.publish;
import static io.zmesh.conformance.RawConnection.ready;
import static io.zmesh.conformance.RawConnection.request;
import static io.zmesh.conformance.RawConnection.subscribe;
import static io.zmesh.conformance.RawConnection.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import com.google.protobuf.UnknownFieldSet;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Wire;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 2, Transport and framing, and section 4, Ids. */
@Timeout(30)
class FramingTest {
  private static final int LIMIT = 4096;
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b.maxMessageBytes(LIMIT).subscriptionBudget(100, LIMIT));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  /** Asserts the connection is still served: a broker service answers. */
  private static void stillServed(RawConnection c) {
    broker.stats();
    c.send(request(77, "zmesh.nothing", "x", 1_000));
    c.expectError(77, StatusCode.NO_WORKER, "zmesh.workers");
  }

  @Test
  @Checks("F-1")
  void messageOfOtherThanOneFrameIsRefusedWithIdZero() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      byte[] packet = Wire.encode(request(5, "echo", "x", 1_000));
      c.send(packet, packet);
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "got 2");
      c.send(new byte[0], packet, packet);
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "got 3");
      stillServed(c);
    }
  }

  @Test
  @Checks("F-2")
  void undecodableFrameOrUnknownCommandIsRefused() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      c.send("GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "undecodable");
      c.send(Envelope.newBuilder().setCommandValue(99).setId(8).build());
      c.expectError(8, StatusCode.INVALID_ARGUMENT, "unknown command 99");
      c.send(Envelope.newBuilder().setId(9).build()); // command 0
      c.expectError(9, StatusCode.INVALID_ARGUMENT, "unknown command 0");
      stillServed(c);
    }
  }

  @Test
  @Checks("F-3")
  void oversizeEnvelopeIsRefusedAndNeverForwarded() {
    String big = "x".repeat(LIMIT);
    try (RawConnection worker = RawConnection.worker(broker.endpoint(), "f3", "f3-1", 2);
        RawConnection client = RawConnection.connected(broker.endpoint())) {
      client.send(request(11, "f3", big, 5_000));
      client.expectError(11, StatusCode.INVALID_ARGUMENT, "exceeds the limit of " + LIMIT);
      client.send(publish(0, "f3.topic", big)); // id 0: dropped unanswered
      client.send(publish(12, "f3.topic", big));
      client.expectError(12, StatusCode.INVALID_ARGUMENT, "exceeds the limit");
      worker.expectNothing(QUIET);

      // An oversize answer ends the request at the requester instead.
      client.send(request(13, "f3", "small", 5_000));
      Envelope forwarded = worker.next();
      assertEquals(Command.REQUEST, forwarded.getCommand(), forwarded.toString());
      worker.send(RawConnection.reply(forwarded.getId(), big));
      client.expectError(13, StatusCode.INVALID_ARGUMENT, "exceeds the limit");
      client.send(request(14, "f3", "small", 5_000));
      forwarded = worker.next();
      worker.send(RawConnection.error(forwarded.getId(), StatusCode.HANDLER_FAILED, big));
      client.expectError(14, StatusCode.INVALID_ARGUMENT, "exceeds the limit");
      worker.expectNothing(QUIET); // the sender of an oversize answer is told nothing
    }
  }

  @Test
  @Checks("F-4")
  void welcomeOrMessageFromAPeerIsRefused() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      c.send(command(Command.WELCOME, 21));
      c.expectError(21, StatusCode.INVALID_ARGUMENT, "unexpected command WELCOME");
      c.send(command(Command.MESSAGE, 22));
      c.expectError(22, StatusCode.INVALID_ARGUMENT, "unexpected command MESSAGE");
      stillServed(c);
    }
  }

  @Test
  @Checks("F-5")
  void unknownEnvelopeFieldsAreIgnored() {
    try (RawConnection worker = RawConnection.worker(broker.endpoint(), "f5", "f5-1", 1);
        RawConnection client = RawConnection.connected(broker.endpoint())) {
      Envelope withUnknown = request(31, "f5", "future", 5_000).toBuilder()
          .setUnknownFields(UnknownFieldSet.newBuilder()
              .addField(99, UnknownFieldSet.Field.newBuilder()
                  .addLengthDelimited(ByteString.copyFromUtf8("from 1.9")).build())
              .build())
          .build();
      client.send(withUnknown);
      Envelope forwarded = worker.next();
      assertEquals(Command.REQUEST, forwarded.getCommand(), forwarded.toString());
      assertEquals("future", text(forwarded));
      worker.send(RawConnection.reply(forwarded.getId(), "ok"));
      assertEquals("ok", text(client.expectReply(31)));
    }
  }

  @Test
  @Checks("ID-1")
  void packetsThatAskForAnAnswerMustNotHaveIdZero() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      c.send(ready(0, "id1", "id1-1", 1));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "READY must carry a non-zero id");
      c.send(request(0, "id1", "x", 1_000));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "REQUEST must carry a non-zero id");
      c.send(request(0, "zmesh.stats", "x", 1_000));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "REQUEST must carry a non-zero id");
      c.send(subscribe(0, "id1.>", "", 0, 0));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "SUBSCRIBE must carry a non-zero id");
      c.send(command(Command.UNSUBSCRIBE, 0));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "UNSUBSCRIBE must carry a non-zero id");
      c.send(command(Command.DRAIN, 0));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "DRAIN must carry a non-zero id");
      // Each was ignored otherwise: nothing registered, nothing subscribed.
      assertEquals(0, broker.workers("id1").getWorkersCount());
      c.send(publish(40, "id1.x", "nobody"));
      c.expectReply(40);
      assertEquals(0, broker.counter("messages_delivered"));
    }
  }

  @Test
  @Checks("ID-2")
  void answersCarryTheWholeSixtyFourBitId() {
    long id = 0xFFFF_FFFF_FFFF_FFFFL;
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      c.send(request(id, "id2-nobody", "x", 1_000));
      c.expectError(id, StatusCode.NO_WORKER, "id2-nobody");
      c.send(ready(id - 1, "id2", "id2-1", 1));
      c.expectReply(id - 1);
      c.send(subscribe(1L << 63, "id2.*", "", 0, 0));
      c.expectReply(1L << 63);
    }
  }

  @Test
  @Checks("ID-3")
  void welcomeHeartbeatAndDisconnectHaveIdZero() {
    try (BrokerUnderTest fast = BrokerUnderTest.start(b -> b.heartbeatInterval(
            java.time.Duration.ofMillis(50)).liveness(100));
        RawConnection c = RawConnection.opened(fast.endpoint())) {
      c.send(RawConnection.hello(5, Wire.PROTOCOL));
      Envelope welcome = c.raw.poll(RawConnection.WAIT);
      assertEquals(Command.WELCOME, welcome.getCommand(), String.valueOf(welcome));
      assertEquals(0, welcome.getId());
      Envelope beat = c.raw.poll(RawConnection.WAIT);
      assertEquals(Command.HEARTBEAT, beat.getCommand(), String.valueOf(beat));
      assertEquals(0, beat.getId());
      fast.broker().close();
      Envelope disconnect = c.next();
      assertEquals(Command.DISCONNECT, disconnect.getCommand(), disconnect.toString());
      assertEquals(0, disconnect.getId());
    }
  }
}
