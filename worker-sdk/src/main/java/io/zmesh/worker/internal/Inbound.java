package io.zmesh.worker.internal;

import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where each packet from the broker goes, on the I/O thread: WELCOME, DISCONNECT (which may name
 * a request a new broker refused unread) and a refused HELLO to the {@link Session}; REPLY and
 * ERROR to the call or subscription they answer; REQUEST and CANCEL to the connection's
 * listener; MESSAGE to its subscription.
 *
 * <p>A MESSAGE, most of what a subscriber receives, and a REQUEST without headers, most of what
 * a worker receives, are read by a scan of their frame and their payload later parsed from that
 * frame; everything else is decoded.
 */
final class Inbound {
  private static final Logger log = LoggerFactory.getLogger(Inbound.class);

  private final Connection connection;

  Inbound(Connection connection) {
    this.connection = connection;
  }

  /** One packet's frame, received at {@code now}. */
  void onFrame(byte[] body, long now) {
    Scan.Packet scanned = connection.session.isConnectedHere() ? Scan.read(body) : null;
    if (scanned instanceof Scan.Message) {
      connection.subscriptions.onMessage((Scan.Message) scanned, body);
      return;
    }
    if (scanned instanceof Scan.Request) {
      // Connected, or the scan would not have run.
      connection.listener.onRequest(connection,
          IncomingRequest.of((Scan.Request) scanned, body), connection.session.epoch());
      return;
    }
    Envelope packet;
    try {
      packet = Wire.decode(body);
    } catch (WireException e) {
      log.warn("ignoring a packet from broker {}: {}", broker(), e.getMessage());
      return;
    }
    onPacket(packet, now);
  }

  private void onPacket(Envelope packet, long now) {
    Session session = connection.session;
    switch (packet.getCommand()) {
      case WELCOME:
        session.onWelcome(packet.getWelcome(), now);
        break;
      case HEARTBEAT:
        break;
      case REPLY:
        onAnswer(packet);
        break;
      case ERROR:
        if (session.isHandshaking() && packet.getId() == 0) {
          // The broker refused the HELLO (another protocol, say): retried after a backoff. An
          // ERROR with an id answers a call, the old broker's late answer during a new HELLO.
          session.lost(StatusCodec.fromWire(packet.getStatus()), now);
        } else {
          onAnswer(packet);
        }
        break;
      case REQUEST:
        if (session.isConnectedHere()) {
          connection.listener.onRequest(connection, IncomingRequest.of(packet), session.epoch());
        }
        break;
      case CANCEL:
        connection.listener.onCancel(connection, packet.getId());
        break;
      case CREDIT:
        if (packet.getId() == 0 && session.isConnectedHere()) {
          connection.publishing.onCredit(packet.getCredit().getMessages() & 0xFFFF_FFFFL,
              packet.getCredit().getBytes());
        }
        break;
      case MESSAGE:
        if (session.isConnectedHere()) {
          // One the scan could not vouch for (a body given twice, say): its canonical encoding
          // scans, so every message reaches its subscription the same way.
          byte[] canonical = Wire.encode(packet);
          Scan.Packet scanned = Scan.read(canonical);
          if (scanned instanceof Scan.Message) {
            connection.subscriptions.onMessage((Scan.Message) scanned, canonical);
          }
        }
        break;
      case DISCONNECT:
        session.onDisconnect(packet, now);
        break;
      default:
        log.debug("ignoring {} from broker", packet.getCommand());
    }
  }

  private void onAnswer(Envelope packet) {
    if (connection.calls.onAnswer(packet) || connection.subscriptions.onAnswer(packet)) {
      return;
    }
    if (packet.getCommand() == Command.ERROR && packet.getId() == 0) {
      log.warn("broker {} reports: {}", broker(), StatusCodec.fromWire(packet.getStatus()));
    }
  }

  private String broker() {
    return connection.options().broker();
  }
}
