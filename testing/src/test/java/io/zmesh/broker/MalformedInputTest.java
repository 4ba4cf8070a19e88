package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.testing.RawPeer;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad packets from a raw DEALER: each is answered with ERROR INVALID_ARGUMENT on its route,
 * counted, and the broker goes on serving normal clients.
 */
class MalformedInputTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final int MAX_MESSAGE_BYTES = 4096;

  private TestMesh mesh;
  private RawPeer raw;

  @BeforeEach
  void start() {
    // Long liveness: the raw peer sends no heartbeats, and nothing here tests liveness.
    mesh = TestMesh.start(TestMesh.options()
        .heartbeatInterval(Duration.ofSeconds(1))
        .maxMessageBytes(MAX_MESSAGE_BYTES));
    mesh.startWorker("echo", b -> b.handle(StringValue.class, (s, ctx) -> s));
    mesh.stats(); // connects the admin client before the raw peer's clock starts
    raw = new RawPeer(mesh.endpoint());
  }

  @AfterEach
  void stop() {
    raw.close();
    mesh.close();
  }

  /** Reads the broker's answer to a bad packet: ERROR INVALID_ARGUMENT with this id and text. */
  private Envelope expectInvalidArgument(long id, String... parts) {
    Envelope error = raw.receive(WAIT);
    assertEquals(Command.ERROR, error.getCommand(), error.toString());
    assertEquals(id, error.getId(), error.toString());
    assertEquals(StatusCode.INVALID_ARGUMENT, error.getStatus().getCode(), error.toString());
    for (String part : parts) {
      assertTrue(error.getStatus().getMessage().contains(part),
          "'" + error.getStatus().getMessage() + "' lacks '" + part + "'");
    }
    return error;
  }

  /** The broker still serves a normal client and counted exactly {@code malformed} packets. */
  private void assertStillServing(long malformed) {
    MeshClient client = mesh.client();
    assertEquals(StringValue.of("still here"),
        client.call("echo", StringValue.of("still here"), StringValue.class));
    assertEquals(malformed, mesh.counter("malformed_packets"));
  }

  private static Envelope request(long id, String payload) {
    return Envelope.newBuilder()
        .setCommand(Command.REQUEST)
        .setId(id)
        .setService("echo")
        .setTimeoutMs(5_000)
        .setPayload(Any.pack(StringValue.of(payload)))
        .build();
  }

  @Test
  @Timeout(30)
  void wrongFrameCount() {
    raw.send(Wire.encode(request(1, "x")), new byte[] {1, 2, 3});
    expectInvalidArgument(0, "expected 1 frame", "got 2");
    raw.send(new byte[0], Wire.encode(request(1, "x")), new byte[] {1, 2, 3});
    expectInvalidArgument(0, "expected 1 frame", "got 3");
    assertStillServing(2);
  }

  @Test
  @Timeout(30)
  void foreignProtocol() {
    // Peers of an earlier protocol sent a signature frame in front of every envelope.
    raw.send("zmesh/1".getBytes(StandardCharsets.US_ASCII), Wire.encode(hello("zmesh/1")));
    expectInvalidArgument(0, "got 2", "signature frame in front of the envelope is an earlier protocol", Wire.PROTOCOL);
    raw.send(hello("zmesh/0"));
    expectInvalidArgument(0, "unsupported protocol 'zmesh/0'", Wire.PROTOCOL);
    raw.send(hello(""));
    expectInvalidArgument(0, "unsupported protocol '<none>'");
    raw.send("GET / HTTP/1.1".getBytes(StandardCharsets.US_ASCII));
    expectInvalidArgument(0, "undecodable packet (14 bytes)");
    // Refused HELLOs register nothing: a request from that peer is still from a stranger.
    raw.send(request(7, "x"));
    Envelope disconnect = raw.receive(WAIT);
    assertEquals(Command.DISCONNECT, disconnect.getCommand(), disconnect.toString());
    assertTrue(disconnect.getStatus().getMessage().contains("send HELLO first"),
        disconnect.toString());
    assertStillServing(4);
  }

  private static Envelope hello(String protocol) {
    return Envelope.newBuilder()
        .setCommand(Command.HELLO)
        .setHello(Hello.newBuilder().setClientName("old").setProtocol(protocol))
        .build();
  }

  @Test
  @Timeout(30)
  void requestsTheRouterCannotVouchForAreLeftToTheDecoder() {
    raw.hello(WAIT);
    byte[] good = Wire.withIdAndTimeout(
        Wire.request("echo", Any.pack(StringValue.of("x")), false, false), 5, 5_000);
    // A command body with a string that is not UTF-8 (hello.client_name = 0xFF).
    byte[] oddBody = new byte[good.length + 5];
    System.arraycopy(good, 0, oddBody, 0, good.length);
    System.arraycopy(new byte[] {0x5A, 3, 0x0A, 1, (byte) 0xFF}, 0, oddBody, good.length, 5);
    raw.send(oddBody);
    expectInvalidArgument(0, "undecodable packet");
    // A payload whose type URL is not UTF-8.
    // command REQUEST, id 6, service "echo", payload {type_url: 0xFF}
    byte[] oddUrl = {0x08, Command.REQUEST_VALUE, 0x10, 6, 0x1A, 4, 'e', 'c', 'h', 'o',
        0x22, 3, 0x0A, 1, (byte) 0xFF};
    raw.send(oddUrl);
    expectInvalidArgument(0, "undecodable packet");
    // The same request, well formed, is routed and answered.
    raw.send(good);
    Envelope reply = raw.receive(WAIT);
    assertEquals(Command.REPLY, reply.getCommand(), reply.toString());
    assertEquals(5, reply.getId());
    assertStillServing(2);
  }

  @Test
  @Timeout(30)
  void garbageEnvelope() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    raw.send(garbage);
    expectInvalidArgument(0, "undecodable packet (5 bytes)");
    assertStillServing(1);
  }

  @Test
  @Timeout(30)
  void unknownCommandNumber() {
    raw.send(Envelope.newBuilder().setCommandValue(99).setId(42).build());
    expectInvalidArgument(42, "unknown command 99");
    raw.send(Envelope.newBuilder().setId(43).build()); // COMMAND_UNSPECIFIED
    expectInvalidArgument(43, "unknown command 0");
    assertStillServing(2);
  }

  @Test
  @Timeout(30)
  void oversizeEnvelope() {
    Welcome welcome = raw.hello(WAIT).getWelcome();
    assertEquals(MAX_MESSAGE_BYTES, welcome.getMaxMessageBytes());
    Envelope big = request(9, "x".repeat(MAX_MESSAGE_BYTES + 100));
    assertTrue(big.getSerializedSize() > MAX_MESSAGE_BYTES);

    raw.send(big);
    expectInvalidArgument(9, "message of " + big.getSerializedSize() + " bytes",
        "exceeds the limit of " + MAX_MESSAGE_BYTES + " bytes");
    // The same connection may go on with packets of a proper size.
    raw.send(request(10, "small"));
    Envelope reply = raw.receive(WAIT);
    assertEquals(Command.REPLY, reply.getCommand(), reply.toString());
    assertEquals(10, reply.getId());
    assertStillServing(1);
  }

  @Test
  @Timeout(30)
  void oversizeEnvelopeBeforeHelloIsAnsweredToo() {
    Envelope big = request(11, "y".repeat(MAX_MESSAGE_BYTES));
    raw.send(big);
    expectInvalidArgument(11, "exceeds the limit of " + MAX_MESSAGE_BYTES + " bytes");
    assertStillServing(1);
  }

  @Test
  @Timeout(30)
  void oversizePublishIsRefusedOnlyWhenItCarriesAnId() {
    raw.hello(WAIT);
    for (long id : new long[] {0, 12}) {
      raw.send(Envelope.newBuilder()
          .setCommand(Command.PUBLISH)
          .setId(id)
          .setService("big.news")
          .setPayload(Any.pack(StringValue.of("x".repeat(MAX_MESSAGE_BYTES))))
          .build());
    }
    // The first, without an id, got no answer: the first answer is the second's.
    expectInvalidArgument(12, "exceeds the limit of " + MAX_MESSAGE_BYTES + " bytes");
    assertStillServing(2);
  }

  @Test
  @Timeout(30)
  void commandOnlyTheBrokerSends() {
    raw.hello(WAIT);
    raw.send(Envelope.newBuilder().setCommand(Command.WELCOME).setId(5).build());
    expectInvalidArgument(5, "unexpected command WELCOME");
    assertStillServing(1);
  }

  @Test
  @Timeout(30)
  void packetBeforeHelloIsToldToStartOver() {
    raw.send(request(3, "who am I"));
    Envelope answer = raw.receive(WAIT);
    assertEquals(Command.DISCONNECT, answer.getCommand(), answer.toString());
    assertEquals(StatusCode.UNAVAILABLE, answer.getStatus().getCode());
    assertTrue(answer.getStatus().getMessage().contains("send HELLO first"), answer.toString());
    assertStillServing(0);
    assertEquals(1, mesh.counter("unknown_peer_packets"));
  }
}
