package io.zmesh.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.CurveKeys;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A bare DEALER speaking to the broker frame by frame, to send what the SDK never would. Used
 * by one thread only, as ZeroMQ requires.
 */
public final class RawPeer implements AutoCloseable {
  private final ZContext context = new ZContext(1);
  private final ZMQ.Socket socket;
  private int lastLength;

  /**
   * JeroMQ 0.6.0 leaves a few percent of fresh outgoing connections connected at TCP level but
   * without a ZMTP handshake (zeromq/jeromq PR #1022) until the handshake interval, 30 s by
   * default, tears them down. The SDK recovers through its own handshake timeout; a raw socket
   * needs a short interval so JeroMQ reconnects and delivers what was queued.
   */
  private static final int HANDSHAKE_IVL_MS = 300;

  public RawPeer(String endpoint) {
    this(endpoint, null, null);
  }

  /**
   * A CURVE client of a broker whose public key is {@code brokerKey}, with {@code keys} as its
   * own; both null for a plain connection.
   */
  public RawPeer(String endpoint, String brokerKey, CurveKeys.Pair keys) {
    socket = context.createSocket(SocketType.DEALER);
    socket.setHandshakeIvl(HANDSHAKE_IVL_MS);
    if (brokerKey != null) {
      socket.setCurveServerKey(brokerKey.getBytes(StandardCharsets.US_ASCII));
      socket.setCurvePublicKey(keys.publicKey().getBytes(StandardCharsets.US_ASCII));
      socket.setCurveSecretKey(keys.secretKey().getBytes(StandardCharsets.US_ASCII));
    }
    socket.connect(endpoint);
  }

  /** Sends {@code frames} as one multipart message. */
  public void send(byte[]... frames) {
    for (int i = 0; i < frames.length; i++) {
      assertTrue(socket.send(frames[i], i < frames.length - 1 ? ZMQ.SNDMORE : 0),
          "send failed");
    }
  }

  /** Sends a well-formed packet. */
  public void send(Envelope envelope) {
    send(Wire.encode(envelope));
  }

  /**
   * Says HELLO for protocol 1.0 (no publish credit, no batches: what every later minor keeps)
   * and returns the broker's WELCOME.
   */
  public Envelope hello(Duration within) {
    send(Envelope.newBuilder()
        .setCommand(Command.HELLO)
        .setHello(Hello.newBuilder().setClientName("raw-test").setPid(1).setHost("test")
            .setProtocol(Wire.PROTOCOL_1_0))
        .build());
    Envelope welcome = receive(within);
    assertEquals(Command.WELCOME, welcome.getCommand(), welcome.toString());
    return welcome;
  }

  /** The next packet from the broker, heartbeats included, or null if none within {@code within}. */
  public Envelope poll(Duration within) {
    socket.setReceiveTimeOut((int) Math.max(0, within.toMillis()));
    byte[] body = socket.recv(0);
    if (body == null) {
      return null;
    }
    lastLength = body.length;
    assertTrue(!socket.hasReceiveMore(), "a packet of more than one frame");
    try {
      return Wire.decode(body);
    } catch (WireException e) {
      throw new AssertionError("the broker sent an undecodable packet: " + e.getMessage(), e);
    }
  }

  /** The next packet from the broker, skipping heartbeats; fails after {@code within}. */
  public Envelope receive(Duration within) {
    long end = System.nanoTime() + within.toNanos();
    while (true) {
      int leftMs = (int) Math.max(1, (end - System.nanoTime()) / 1_000_000L);
      socket.setReceiveTimeOut(leftMs);
      byte[] body = socket.recv(0);
      assertNotNull(body, "no packet from the broker within " + within.toMillis() + " ms");
      lastLength = body.length;
      assertTrue(!socket.hasReceiveMore(), "a packet of more than one frame");
      Envelope packet;
      try {
        packet = Wire.decode(body);
      } catch (WireException e) {
        throw new AssertionError("the broker sent an undecodable packet: " + e.getMessage(), e);
      }
      if (packet.getCommand() != Command.HEARTBEAT) {
        return packet;
      }
      if (System.nanoTime() - end > 0) {
        throw new AssertionError("only heartbeats within " + within.toMillis() + " ms");
      }
    }
  }

  /** The envelope frame's length of the packet last received: what a subscriber credits. */
  public int lastLength() {
    return lastLength;
  }

  @Override
  public void close() {
    context.close();
  }
}
