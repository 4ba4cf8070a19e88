package io.zmesh.broker;

import io.zmesh.Status;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Wire;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;
import zmq.ZError;

/**
 * Everything the broker sends, through its ROUTER socket, on the broker loop (which owns the
 * socket): each peer's unread bytes kept within its connection budget and counted against the
 * broker's memory budget, sends that never block, and a peer whose connection closed marked
 * lost. It is the {@link RequestRouter.Outbox} of the routers too.
 */
final class PeerOutput implements RequestRouter.Outbox {
  /** Packets up to this size (errors, heartbeats) may use the outbound slack. */
  private static final int SMALL_PACKET = 512;
  /** Room beyond a peer's outbound budget for small packets: 1 MiB. */
  private static final long OUTBOUND_SLACK = 1 << 20;

  private final BrokerLoop loop;
  private final Counters counters;
  private final MemoryBudget memory;
  /** One byte bound per connection: what it has not read counts against its budget. */
  private final long outboundLimit;
  private ZMQ.Socket socket;

  PeerOutput(BrokerLoop loop, Counters counters, MemoryBudget memory, long outboundLimit) {
    this.loop = loop;
    this.counters = counters;
    this.memory = memory;
    this.outboundLimit = outboundLimit;
  }

  /** The ROUTER socket, once the loop made it. */
  void attach(ZMQ.Socket router) {
    this.socket = router;
  }

  /** The peer read {@code bytes} (a uint64) more of what was sent to it. */
  void acknowledged(Peer peer, long bytes) {
    long n = Long.compareUnsigned(bytes, peer.outbound) > 0 ? peer.outbound : bytes;
    peer.outbound -= n;
    memory.release(n);
  }

  /** Whether {@code peer} has as much unread as it may: new work for it is refused. */
  @Override
  public boolean unreadFull(Peer peer) {
    return peer.outbound >= outboundLimit;
  }

  /** Sends to a known peer; a peer that has gone is marked lost. */
  @Override
  public boolean send(Peer peer, Envelope packet) {
    return !peer.gone && send(peer, Wire.encode(packet));
  }

  /**
   * Sends an encoded envelope to a known peer; a peer that has gone is marked lost. A packet
   * that would take the peer's unacknowledged bytes over its outbound budget is not sent,
   * unless it is small (an error, a heartbeat) and within the budget's slack.
   */
  @Override
  public boolean send(Peer peer, byte[] body) {
    if (peer.gone) {
      return false;
    }
    long after = peer.outbound + body.length;
    if (after > outboundLimit
        && (body.length > SMALL_PACKET || after > outboundLimit + OUTBOUND_SLACK)) {
      counters.outboundHeld++;
      return false;
    }
    int result = sendBytes(peer.identity, body);
    if (result == 0) {
      peer.lastSent = loop.now();
      peer.outbound = after;
      memory.acquire(body.length);
      return true;
    }
    if (result == ZError.EHOSTUNREACH) {
      loop.markLost(peer, "connection closed");
    } else {
      counters.sendDropped++;
    }
    return false;
  }

  @Override
  public void disconnect(Peer peer, Status why) {
    loop.disconnect(peer, why);
  }

  /** Sends to a connection the broker has no peer for (yet): a refusal, a DISCONNECT. */
  void sendTo(Identity identity, Envelope packet) {
    if (sendBytes(identity, Wire.encode(packet)) != 0) {
      counters.sendDropped++;
    }
  }

  /** 0 when sent, else the errno (EHOSTUNREACH: no such peer; EAGAIN: its queue is full). */
  private int sendBytes(Identity identity, byte[] body) {
    // Never block: a blocking ROUTER send to a peer that left can hang (JeroMQ #989).
    try {
      if (!socket.send(identity.bytes, ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
        int errno = socket.errno();
        return errno == 0 ? ZError.EAGAIN : errno;
      }
    } catch (ZMQException e) {
      // JeroMQ returns false only for EAGAIN; EHOSTUNREACH (the peer left) is thrown.
      return e.getErrorCode();
    }
    socket.send(body, 0);
    return 0;
  }
}
