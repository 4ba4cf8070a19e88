package io.zmesh.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import io.zmesh.worker.MeshOptions;
import java.time.Duration;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A scripted broker: a ROUTER on an ephemeral loopback port, driven step by step by the test
 * thread, which owns it. Lets SDK tests see exactly what the SDK sends and answer as they
 * choose, without the real broker.
 */
public final class FakeBroker implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(10);

  private final ZContext context = new ZContext(1);
  private final ZMQ.Socket router;
  private final String endpoint;

  /** A received packet: who sent it, the envelope, and the envelope frame's length. */
  public record Packet(byte[] identity, Envelope envelope, int length) {
    public Command command() {
      return envelope.getCommand();
    }
  }

  public FakeBroker() {
    router = context.createSocket(SocketType.ROUTER);
    router.setRouterMandatory(true);
    router.bind("tcp://127.0.0.1:*");
    endpoint = router.getLastEndpoint();
  }

  public String endpoint() {
    return endpoint;
  }

  /** SDK options pointed here: quick reconnects, a long handshake so tests decide its pace. */
  public MeshOptions.Builder options() {
    return MeshOptions.builder()
        .broker(endpoint)
        .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200))
        .handshakeTimeout(Duration.ofSeconds(5));
  }

  /** The next packet other than HEARTBEAT, or null after {@code within}. */
  public Packet poll(Duration within) {
    return receive(within, true);
  }

  /** The next packet, HEARTBEAT included, or null after {@code within}. */
  public Packet next(Duration within) {
    return receive(within, false);
  }

  private Packet receive(Duration within, boolean skipHeartbeats) {
    long end = System.nanoTime() + within.toNanos();
    while (true) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return null;
      }
      router.setReceiveTimeOut((int) Math.max(1, left));
      byte[] id = router.recv(0);
      if (id == null) {
        return null;
      }
      byte[] body = router.recv(0);
      if (router.hasReceiveMore()) {
        throw new AssertionError("a packet of more than one frame");
      }
      Envelope envelope;
      try {
        envelope = Wire.decode(body);
      } catch (WireException e) {
        throw new AssertionError(e);
      }
      if (!skipHeartbeats || envelope.getCommand() != Command.HEARTBEAT) {
        return new Packet(id, envelope, body.length);
      }
    }
  }

  /** The next packet other than HEARTBEAT, which must be a {@code command}. */
  public Packet expect(Command command) {
    Packet p = poll(WAIT);
    assertNotNull(p, "no " + command + " within " + WAIT);
    assertEquals(command, p.command(), () -> "expected " + command + ", got " + p.envelope());
    return p;
  }

  /** Waits for HELLO and answers WELCOME; returns the peer's identity. */
  public byte[] accept() {
    return accept(Welcome.newBuilder().setHeartbeatIntervalMs(1_000).setLiveness(10).build());
  }

  /**
   * Answers HELLO with {@code welcome}, which names protocol 1.0 unless it names another: a fake
   * broker grants no publish credit and takes no batches.
   */
  public byte[] accept(Welcome welcome) {
    if (welcome.getProtocol().isEmpty()) {
      welcome = welcome.toBuilder().setProtocol(Wire.PROTOCOL_1_0).build();
    }
    byte[] peer = expect(Command.HELLO).identity();
    send(peer, Envelope.newBuilder().setCommand(Command.WELCOME).setWelcome(welcome).build());
    return peer;
  }

  public void send(byte[] peer, Envelope packet) {
    sendBytes(peer, Wire.encode(packet));
  }

  public void sendBytes(byte[] peer, byte[] body) {
    router.send(peer, ZMQ.SNDMORE);
    router.send(body, 0);
  }

  @Override
  public void close() {
    context.close();
  }
}
