package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.SocketWaiter;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Names;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;
import zmq.io.Metadata;

/**
 * The broker's event loop: the only thread that touches the ROUTER socket and the broker's
 * tables. It reads packets in batches, hands them to the {@link RequestRouter}, the {@link
 * TopicRouter} or the {@link AdminService}, fires deadlines, and runs heartbeats and liveness
 * once per interval.
 *
 * <p>Bad input never stops the loop: a packet with the wrong frames, a foreign protocol
 * version, an undecodable or oversize envelope or an unexpected command is counted, logged at
 * debug level, and answered with INVALID_ARGUMENT on the route it came from.
 */
final class BrokerLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(BrokerLoop.class);
  private static final int RECV_BATCH = 4096;
  /** How long a stopping broker waits for its DISCONNECTs to leave. */
  private static final int GOODBYE_LINGER_MS = 1_000;

  private final BrokerOptions options;
  private final ZMQ.Context context;
  private final CompletableFuture<List<String>> bound;
  private final FatalErrors fatal;
  /** The allow-list's checks; its {@code control} is null when every connection is trusted. */
  final Gatekeeper gate;
  /** The ZAP handler of a CURVE broker, for its counters; null without CURVE. */
  volatile ZapHandler zap;
  /** Metadata of the packet being handled: the ZAP user id (the key's name) under CURVE. */
  private Metadata metadata;
  private final SocketWaiter waiter = new SocketWaiter();
  private volatile boolean stopRequested;
  private final Ticker ticker;
  private final long heartbeatNanos;
  /**
   * Peers are looked at every half interval and sent a heartbeat after half an interval of
   * silence, so none waits more than one interval to hear from the broker. Looking once per
   * interval for a full interval of silence let that wait grow to almost two intervals.
   */
  private final long checkNanos;
  private final long lossNanos;
  private final Welcome welcome;
  /** Everything sent, through the ROUTER socket. */
  final PeerOutput out;

  final Counters counters = new Counters();
  final TypeRegistry types = new TypeRegistry();
  final MemoryBudget memory;
  final RequestRouter router;
  final TopicRouter topics;
  final long startedAt;
  private final AdminService admin = new AdminService(this);
  private final ServiceCalls services;
  /** Work other threads hand to the loop ({@link #execute}); run before each read. */
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Map<Identity, Peer> peers = new HashMap<>();
  private final List<Peer> lost = new ArrayList<>();

  private ZMQ.Socket routerSocket;
  private long nextHeartbeat;
  private long now;

  BrokerLoop(BrokerOptions options, ZMQ.Context context, CompletableFuture<List<String>> bound,
      FatalErrors fatal, AccessControl access) {
    this.options = options;
    this.fatal = fatal;
    this.context = context;
    this.bound = bound;
    this.ticker = options.ticker();
    this.heartbeatNanos = options.heartbeatInterval().toNanos();
    this.checkNanos = heartbeatNanos / 2;
    this.lossNanos = heartbeatNanos * options.liveness();
    this.startedAt = ticker.nanoTime();
    this.now = startedAt;
    this.memory = new MemoryBudget(options.memoryBudget());
    this.out = new PeerOutput(this, counters, memory, options.connectionBudgetBytes());
    this.gate = new Gatekeeper(access, counters, out::send, this::disconnect);
    this.router = new RequestRouter(options, out, counters, types, memory, startedAt);
    this.services = new ServiceCalls(options.services(), this);
    this.topics = new TopicRouter(options, out, counters, types);
    this.welcome = Welcome.newBuilder()
        .setBrokerVersion(Wire.version())
        .setHeartbeatIntervalMs((int) options.heartbeatInterval().toMillis())
        .setLiveness(options.liveness())
        .setMaxMessageBytes(options.maxMessageBytes())
        .setDefaultTimeoutMs((int) options.defaultRequestTimeout().toMillis())
        .setMaxTimeoutMs((int) options.maxRequestTimeout().toMillis())
        .setCancelGraceMs((int) options.cancelGrace().toMillis())
        .setOutboundBudgetBytes(options.connectionBudgetBytes())
        .build();
  }

  Collection<Peer> peers() {
    return peers.values();
  }

  /** Makes the loop finish its current iteration and stop. Any thread. */
  void stop() {
    stopRequested = true;
    waiter.wake();
  }

  /** Makes the loop run an iteration now (tests that move a fake clock). Any thread. */
  void wake() {
    waiter.wake();
  }

  /** The loop's time at its current iteration. Loop thread only. */
  long now() {
    return now;
  }

  /** Runs {@code task} on the loop thread, soon. Any thread. */
  void execute(Runnable task) {
    tasks.add(task);
    waiter.wake();
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("broker task failed", e);
      }
    }
  }

  @Override
  public void run() {
    try {
      List<String> endpoints = new ArrayList<>();
      routerSocket = BrokerSocket.open(context, options, gate.control != null, endpoints);
      out.attach(routerSocket);
      waiter.watch(routerSocket);
      now = ticker.nanoTime();
      nextHeartbeat = now + checkNanos;
      bound.complete(endpoints);
      log.info("broker listening on {}", endpoints);

      boolean busy = false;
      while (!stopRequested) {
        // While packets keep coming, drain again instead of sleeping: a wait per batch costs
        // more than the batch when the batches are small.
        if (!busy) {
          waiter.await(routerSocket, pollTimeoutMillis());
        }
        now = ticker.nanoTime();
        runTasks();
        busy = receive() > 0;
        now = ticker.nanoTime();
        topics.checkSlow(now);
        topics.flushPublishCredit();
        router.expire(now);
        if (now - nextHeartbeat >= 0) {
          gate.check(peers.values());
          heartbeat();
          router.tick(now);
          nextHeartbeat = now + checkNanos;
        }
        processLost();
      }
      sayGoodbye();
    } catch (RuntimeException | Error e) {
      if (!bound.isDone()) {
        bound.completeExceptionally(e);
      } else {
        // A loop that ended leaves a broker that accepts connections and never answers.
        fatal.fatal(Thread.currentThread(), e);
      }
    } finally {
      services.shutdown();
      if (routerSocket != null) {
        waiter.unwatch();
        routerSocket.close();
      }
      waiter.close();
      if (bound.isDone() && !bound.isCompletedExceptionally()) {
        // Only a broker that started can stop; a failed start says why instead.
        log.info("broker stopped");
      }
    }
  }

  /**
   * The broker is stopping: every peer is told so, and reconnects at once instead of after
   * its liveness. The socket lingers so the goodbyes leave before it closes.
   */
  private void sayGoodbye() {
    byte[] goodbye = Wire.encode(disconnectPacket(
        Status.UNAVAILABLE.withDescription("the broker is stopping")));
    for (Peer peer : peers.values()) {
      out.send(peer, goodbye);
    }
    peers.clear();
    routerSocket.setLinger(GOODBYE_LINGER_MS);
  }

  private static Envelope disconnectPacket(Status why) {
    return Envelope.newBuilder()
        .setCommand(Command.DISCONNECT)
        .setStatus(StatusCodec.toWire(why))
        .build();
  }

  private long pollTimeoutMillis() {
    long wakeAt = Math.min(Math.min(nextHeartbeat, router.nextDeadlineAt()),
        topics.nextSlowCheckAt());
    long delta = wakeAt - ticker.nanoTime();
    return delta <= 0 ? 0 : Math.min((delta + MS - 1) / MS, heartbeatNanos / MS + 1);
  }

  // ---------------------------------------------------------------- input

  /** Handles what has arrived, up to a batch; returns how many packets. */
  private int receive() {
    int i = 0;
    for (; i < RECV_BATCH; i++) {
      byte[] id = routerSocket.recv(ZMQ.DONTWAIT);
      if (id == null) {
        return i;
      }
      byte[] body = null;
      metadata = null;
      if (routerSocket.hasReceiveMore()) {
        zmq.Msg msg = routerSocket.base().recv(0);
        if (msg != null) {
          body = msg.data();
          metadata = msg.getMetadata();
        }
      }
      int extra = 0;
      while (routerSocket.hasReceiveMore()) {
        routerSocket.recv(0);
        extra++;
      }
      now = ticker.nanoTime();
      counters.packetsIn++;
      try {
        onFrames(new Identity(id), body, extra);
      } catch (RuntimeException e) {
        // A bug met by one packet must not end the loop for everyone.
        counters.internalErrors++;
        log.error("packet from {} failed: {}", new Identity(id), e.toString(), e);
      }
      processLost();
    }
    return i;
  }

  /**
   * One packet: REQUEST, PUBLISH and CREDIT are read by a {@link Scan} (or, when it
   * cannot vouch for them, decoded and taken as the same value), everything else is decoded;
   * the size limit is checked once, then the packet goes to its one handler.
   */
  private void onFrames(Identity identity, byte[] body, int extra) {
    if (body == null || extra > 0) {
      malformed(identity, 0, Wire.describeFrames((body == null ? 0 : 1) + extra));
      return;
    }
    Scan.Packet scanned = Scan.read(body);
    Envelope packet = null;
    if (scanned == null) {
      try {
        packet = Wire.decode(body);
      } catch (WireException e) {
        malformed(identity, e.id(), e.getMessage());
        return;
      }
      scanned = Scan.of(packet);
    }
    Peer peer = peers.get(identity);
    if (body.length > options.maxMessageBytes()) {
      oversize(identity, peer, scanned != null ? scanned.command() : packet.getCommandValue(),
          scanned != null ? scanned.id() : packet.getId(), body);
      return;
    }
    if (peer == null) {
      if (packet != null && packet.getCommand() == Command.HELLO) {
        hello(identity, packet);
      } else {
        unknownPeer(identity, scanned != null ? scanned.id() : packet.getId());
      }
      return;
    }
    peer.lastSeen = now;
    if (scanned instanceof Scan.Request) {
      Scan.Request r = (Scan.Request) scanned;
      if (r.id() == 0) {
        counters.requests++;
        refuseIdZero(peer, Command.REQUEST);
      } else if (Names.isReserved(r.worker())) {
        onAdmin(peer, identity, packet, body);
      } else if (gate.of(peer).mayCall(r.worker())) {
        router.onRequest(peer, r, body, now);
      } else {
        counters.requests++;
        Code code = gate.refuse(peer, r.id(), peer.access, "call '" + r.worker() + "'");
        router.refused(r.worker(), code);
      }
    } else if (scanned instanceof Scan.Publish) {
      Scan.Publish p = (Scan.Publish) scanned;
      Access a = gate.of(peer);
      if (a.restricted() && !a.mayPublish(p.topic())) {
        // A refused publish is answered only when it has an id, like any refused publish.
        // Credited like any other, so a 1.1 publisher's window is not lost to refusals.
        gate.refuse(peer, p.id() == 0 ? -1 : p.id(), a, "publish to '" + p.topic() + "'");
        topics.owePublishCredit(peer, p.messages(), body.length);
        return;
      }
      topics.onPublish(peer, p.id(), p.topic(), body, p.messages(), now);
    } else if (scanned instanceof Scan.Credit) {
      Scan.Credit c = (Scan.Credit) scanned;
      if (c.id() == 0) {
        // From a peer, CREDIT id 0 acknowledges bytes read; the broker's own to a 1.1
        // publisher (publish credit) goes the other way.
        out.acknowledged(peer, c.bytes());
      } else {
        topics.onCredit(peer, c, now);
      }
    } else if (packet != null) {
      onPacket(peer, packet, body);
    } else {
      // A MESSAGE goes from the broker to subscribers, never the other way.
      malformed(identity, scanned.id(), "unexpected command MESSAGE from a peer");
    }
  }

  /** A packet over the size limit: counted and refused, never forwarded. */
  private void oversize(Identity identity, Peer peer, int command, long id, byte[] body) {
    counters.malformed++;
    String why = "message of " + body.length + " bytes exceeds the limit of "
        + options.maxMessageBytes() + " bytes";
    if (command == Command.PUBLISH_VALUE && id == 0) {
      log.debug("oversize publish from {}: {}", identity, why); // never answered
    } else if (peer != null
        && (command == Command.REPLY_VALUE || command == Command.ERROR_VALUE)) {
      // The requester is told why its answer never came.
      peer.lastSeen = now;
      router.onAnswer(peer, StatusCodec.error(id, Code.INVALID_ARGUMENT, "answer from '"
          + (peer.worker != null ? peer.worker.group.name : "?") + "': " + why), null, now);
    } else {
      out.sendTo(identity, StatusCodec.error(id, Code.INVALID_ARGUMENT, why));
    }
  }

  /** A request to one of the broker's own services, which read the whole envelope. */
  private void onAdmin(Peer peer, Identity identity, Envelope packet, byte[] body) {
    if (packet == null) {
      try {
        packet = Wire.decode(body);
      } catch (WireException e) {
        malformed(identity, e.id(), e.getMessage()); // the scan vouched; this cannot happen
        return;
      }
    }
    counters.requests++;
    String service = packet.getService();
    Access.Admin needed = services.handles(service) ? services.required(service)
        : admin.required(service);
    Access a = gate.of(peer);
    if (!a.mayAdmin(needed)) {
      gate.refuse(peer, packet.getId(), a, (needed == Access.Admin.WRITE ? "change the broker with '"
          : "read '") + service + "' (admin " + a.admin.label() + ")");
      return;
    }
    if (services.handles(service)) {
      services.call(peer, packet);
    } else {
      out.send(peer, admin.handle(packet, now));
    }
  }

  /**
   * A broker restart forgets everyone: tell a peer it does not know to start over. The
   * DISCONNECT carries the packet's id, so that a requester knows this request was never
   * accepted and may send it again after its new HELLO.
   */
  private void unknownPeer(Identity identity, long id) {
    counters.unknownPeer++;
    out.sendTo(identity, disconnectPacket(
        Status.UNAVAILABLE.withDescription("unknown connection; send HELLO first"))
        .toBuilder().setId(id).build());
  }

  /** Tells {@code peer} why the broker forgets it, then forgets it. */
  void disconnect(Peer peer, Status why) {
    out.send(peer, disconnectPacket(why));
    markLost(peer, why.description());
  }

  /**
   * A packet that asks for an answer must say which: an answer with id 0 would read as the
   * broker's answer to a packet whose id it could not read.
   */
  private void refuseIdZero(Peer peer, Command command) {
    counters.error(Code.INVALID_ARGUMENT);
    out.send(peer, StatusCodec.error(0, Code.INVALID_ARGUMENT,
        command + " must carry a non-zero id"));
  }

  private static boolean asksForAnswer(Command command) {
    return command == Command.READY || command == Command.DRAIN
        || command == Command.SUBSCRIBE || command == Command.UNSUBSCRIBE;
  }

  private void onPacket(Peer peer, Envelope packet, byte[] body) {
    if (packet.getId() == 0 && asksForAnswer(packet.getCommand())) {
      refuseIdZero(peer, packet.getCommand());
      return;
    }
    switch (packet.getCommand()) {
      case REPLY:
      case ERROR:
        router.onAnswer(peer, packet, body, now);
        break;
      case HEARTBEAT:
        break;
      case READY:
        if (!gate.permitted(peer, packet.getId(),
            gate.of(peer).mayRegister(packet.getReady().getName()),
            "register as '" + packet.getReady().getName() + "'")) {
          break;
        }
        router.onReady(peer, packet, now);
        break;
      case DRAIN:
        router.onDrain(peer, packet);
        break;
      case CANCEL:
        router.onCancel(peer, packet, now);
        break;
      case SUBSCRIBE:
        if (!gate.permitted(peer, packet.getId(),
            gate.of(peer).maySubscribe(packet.getSubscribe().getPattern()),
            "subscribe to '" + packet.getSubscribe().getPattern() + "'")) {
          break;
        }
        topics.onSubscribe(peer, packet, now);
        break;
      case UNSUBSCRIBE:
        topics.onUnsubscribe(peer, packet);
        break;
      case DISCONNECT:
        markLost(peer, "disconnected");
        break;
      case HELLO:
        // A second HELLO on one connection: the peer restarted its session.
        markLost(peer, "said HELLO again");
        processLost();
        hello(peer.identity, packet);
        break;
      default:
        counters.malformed++;
        log.debug("unexpected {} from {}", packet.getCommand(), peer.describe());
        out.send(peer, StatusCodec.error(packet.getId(), Code.INVALID_ARGUMENT,
            "unexpected command " + packet.getCommand() + " from a peer"));
    }
  }

  private void hello(Identity identity, Envelope packet) {
    String offered = packet.getHello().getProtocol();
    String agreed = Wire.negotiate(offered);
    if (agreed == null) {
      malformed(identity, packet.getId(), Wire.refusal(offered));
      return;
    }
    if (peers.size() >= options.maxConnections()) {
      counters.error(Code.OVERLOADED);
      log.warn("refused a connection from {}: {} connections, the limit",
          packet.getHello().getClientName(), peers.size());
      out.sendTo(identity, StatusCodec.error(packet.getId(), Code.OVERLOADED, "the broker serves "
          + peers.size() + " connections, its limit; retry later"));
      return;
    }
    Peer peer = new Peer(identity, packet.getHello(), now);
    String keyName = metadata == null ? null : metadata.get(Metadata.USER_ID);
    if (gate.admit(peer, keyName) == null) {
      // Its key left the list between the handshake and this HELLO.
      counters.error(Code.UNAUTHENTICATED);
      out.sendTo(identity, StatusCodec.error(packet.getId(), Code.UNAUTHENTICATED,
          "key '" + keyName + "' is not on the broker's allow-list"));
      return;
    }
    peers.put(identity, peer);
    log.debug("hello from {} ({})", peer.describe(), agreed);
    Welcome.Builder w = welcome.toBuilder().setProtocol(agreed);
    if (Wire.minorOf(agreed) >= Wire.MINOR_FLOW) {
      peer.publishCredit = true;
      peer.batches = true;
      w.setPublishWindowMessages(options.publishWindowMessages())
          .setPublishWindowBytes(options.publishWindowBytes())
          .setSlowSubscriberMs((int) options.slowSubscriberTimeout().toMillis());
    }
    out.send(peer, Envelope.newBuilder().setCommand(Command.WELCOME).setWelcome(w).build());
  }

  private void malformed(Identity identity, long id, String why) {
    counters.malformed++;
    log.debug("malformed packet from {}: {}", identity, why);
    out.sendTo(identity, StatusCodec.error(id, Code.INVALID_ARGUMENT, why));
  }

  // ---------------------------------------------------------------- liveness

  private void heartbeat() {
    Envelope beat = null;
    for (Peer peer : peers.values()) {
      if (now - peer.lastSeen > lossNanos) {
        counters.peersTimedOut++;
        markLost(peer, "no heartbeat for " + (now - peer.lastSeen) / MS + " ms");
      } else if (now - peer.lastSent >= checkNanos) {
        if (beat == null) {
          beat = Envelope.newBuilder().setCommand(Command.HEARTBEAT).build();
        }
        out.send(peer, beat);
      }
    }
  }

  void markLost(Peer peer, String why) {
    if (!peer.gone) {
      peer.gone = true;
      peer.goneReason = why;
      lost.add(peer);
    }
  }

  /** Forgets lost peers outside of any iteration over the tables. */
  private void processLost() {
    for (int i = 0; i < lost.size(); i++) {
      Peer peer = lost.get(i);
      if (peers.remove(peer.identity, peer)) {
        counters.peersLeft++;
        log.info("{} left: {}", peer.describe(), peer.goneReason);
        router.peerLost(peer, peer.goneReason, now);
        topics.peerLost(peer);
        memory.release(peer.outbound);
        peer.outbound = 0;
        types.release(peer);
      }
    }
    lost.clear();
  }
}
