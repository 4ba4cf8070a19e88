package io.zmesh.worker.internal;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.Status;
import io.zmesh.core.internal.Backoff;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.SocketWaiter;
import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.Command;
import io.zmesh.proto.Credit;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.worker.MeshOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * The DEALER socket and its conversation with the broker. HELLO, wait for WELCOME (which carries
 * the broker's heartbeat interval, liveness, size limit and the unread bytes it allows), then
 * connected. A HEARTBEAT goes out after an interval without sending, and CREDIT id 0 whenever
 * a sixteenth of the unread bytes allowed (at most 256 KiB) has been read.
 *
 * <p>A DISCONNECT from the broker, or a broker silent for liveness x interval, ends the session
 * but keeps the socket: after the reconnect backoff HELLO goes out on it again, behind whatever
 * was queued there meanwhile, so that a broker restarted on the same endpoint gets those
 * packets; it answers them with DISCONNECT carrying their ids, and the refused requests go out
 * again after its WELCOME ({@link Calls}). A refused HELLO or a handshake that times out closes
 * the socket: calls sent on it fail at once (idempotent requests wait for the next connection),
 * and a new socket is opened after a jittered exponential backoff. Every time is read from the
 * connection's {@link Ticker}.
 *
 * <p>Threads: everything but {@link #isConnected}, {@link #awaitConnected} and {@link
 * #maxMessageBytes} runs on the I/O thread ({@link SocketLoop}), the only thread that touches
 * the socket.
 */
final class Session {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  private static final int RECV_BATCH = 1024;
  private static final int CLOSE_LINGER_MS = 1_000;
  /** Read bytes are acknowledged at least this often, so the broker's count stays near the truth. */
  private static final long MAX_ACK_BYTES = 256 << 10;

  private enum State { DISCONNECTED, HANDSHAKING, CONNECTED, CLOSED }

  private final Connection connection;
  private final MeshOptions options;
  private final ZMQ.Context context;
  private final SocketWaiter waiter;
  private final Ticker ticker;
  private final Inbound inbound;
  private final Object connectedMonitor = new Object();
  private volatile boolean connected;
  /** The broker's limit from its last WELCOME, read by publishers to refuse early. */
  private volatile int maxMessageBytes = Integer.MAX_VALUE;

  // --- I/O thread only ---
  private ZMQ.Socket socket;
  private State state = State.DISCONNECTED;
  private long epoch;
  private final Backoff backoff;
  private long heartbeatNanos = 1_000 * MS;
  private int liveness = 3;
  private long lastReceived;
  private long lastSent;
  private long handshakeDeadline;
  private long reconnectAt;
  /**
   * A session ended on the current socket and the next HELLO goes out (or went) on it: the
   * WELCOME that answers it settles what the old broker took with it.
   */
  private boolean previousSession;
  /** Bytes read since the last acknowledgement, and how many make one (0: none wanted). */
  private long unacknowledged;
  private long ackEvery;
  private Status lastLoss = Status.UNAVAILABLE.withDescription("not yet connected");
  /** For the log: whether a WELCOME ever came, when the last connection was lost, and whether
   *  the wait for the broker has been reported since. */
  private boolean everConnected;
  private long lostAt;
  private boolean waitReported;

  Session(Connection connection, ZMQ.Context context, SocketWaiter waiter, Ticker ticker) {
    this.connection = connection;
    this.options = connection.options();
    this.context = context;
    this.waiter = waiter;
    this.ticker = ticker;
    this.inbound = new Inbound(connection);
    this.backoff = new Backoff(
        options.reconnectDelay().toNanos(), options.maxReconnectDelay().toNanos());
  }

  boolean isConnected() {
    return connected;
  }

  /** See {@link Connection#awaitConnected}: a caller's wait, in real time like Future.get. */
  boolean awaitConnected(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (connectedMonitor) {
      while (!connected && !connection.loop.isClosing()) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(connectedMonitor, left);
      }
      return connected;
    }
  }

  private void setConnected(boolean value) {
    synchronized (connectedMonitor) {
      connected = value;
      connectedMonitor.notifyAll();
    }
  }

  int maxMessageBytes() {
    return maxMessageBytes;
  }

  // ------------------------------------------------------------ I/O thread only

  /** The current socket, or null between sockets. */
  ZMQ.Socket socket() {
    return socket;
  }

  boolean isConnectedHere() {
    return state == State.CONNECTED;
  }

  boolean isHandshaking() {
    return state == State.HANDSHAKING;
  }

  /** Numbers the sessions, so answers meant for an earlier one can be told apart. */
  long epoch() {
    return epoch;
  }

  /** Why the last socket closed, or that none was connected yet. */
  Status lastLoss() {
    return lastLoss;
  }

  boolean send(Envelope packet) {
    return send(Wire.encode(packet));
  }

  /** Sends without blocking; false when there is no socket or its queue is full. */
  boolean send(byte[] body) {
    if (socket == null || !socket.send(body, ZMQ.DONTWAIT)) {
      return false;
    }
    lastSent = ticker.nanoTime();
    return true;
  }

  void open(long now) {
    epoch++;
    socket = Sockets.newSocket(context, SocketType.DEALER);
    socket.setLinger(0);
    socket.setSndHWM(Sockets.HWM);
    socket.setRcvHWM(Sockets.HWM);
    // JeroMQ 0.6.0 sometimes leaves a new TCP connection stuck before the ZMTP handshake
    // (zeromq/jeromq#1022); this makes it drop and redial such a connection after 1 s.
    socket.setHandshakeIvl(1_000);
    socket.setReconnectIVL(100);
    socket.setReconnectIVLMax((int) Math.max(100, options.maxReconnectDelay().toMillis()));
    if (options.brokerKey() != null) {
      socket.setCurveServerKey(options.brokerKey().getBytes(StandardCharsets.US_ASCII));
      socket.setCurvePublicKey(options.keyPair().publicKey().getBytes(StandardCharsets.US_ASCII));
      socket.setCurveSecretKey(options.keyPair().secretKey().getBytes(StandardCharsets.US_ASCII));
    }
    try {
      socket.connect(options.broker());
    } catch (ZMQException | IllegalArgumentException e) {
      socket.close();
      socket = null;
      Status why = Status.UNAVAILABLE.withDescription(
          "cannot connect to broker '" + options.broker() + "': " + e.getMessage());
      lastLoss = why;
      state = State.DISCONNECTED;
      reconnectAt = now + backoff.nextDelayNanos();
      log.warn("{}", why.description());
      return;
    }
    waiter.watch(socket);
    sayHello(now);
  }

  /** Starts a session on the current socket: HELLO, then wait for WELCOME. */
  private void sayHello(long now) {
    state = State.HANDSHAKING;
    handshakeDeadline = now + options.handshakeTimeout().toNanos();
    Hello hello = Hello.newBuilder()
        .setClientName(options.clientName())
        .setPid(ProcessHandle.current().pid())
        .setHost(Hosts.localName())
        .setSdkVersion(Versions.sdk())
        .setProtocol(Wire.PROTOCOL)
        .build();
    send(Envelope.newBuilder().setCommand(Command.HELLO).setHello(hello).build());
  }

  /** Closes the socket after {@code why}; a new one opens after the backoff. */
  void lost(Status why, long now) {
    closeSocket();
    boolean wasConnected = state == State.CONNECTED;
    // After an ended session the loss that began the outage says more than the failed HELLO.
    String cause = previousSession ? lastLoss.description() + "; then " + why.description()
        : why.description();
    previousSession = false;
    state = State.DISCONNECTED;
    setConnected(false);
    lastLoss = why;
    reconnectAt = now + backoff.nextDelayNanos();
    // What was sent is gone with the broker's state: fail it now rather than at its deadline.
    connection.calls.onLost(Status.UNAVAILABLE.withDescription(
        "connection to broker " + options.broker() + " lost: " + cause));
    if (wasConnected) {
      reportLost(why, now);
    } else if (!waitReported && !connection.loop.isClosing()) {
      // Said once per outage, not per attempt: a worker may be started before its broker.
      waitReported = true;
      log.info("waiting for broker at {} ({})", options.broker(), why.description());
    } else {
      log.debug("handshake with broker {} failed: {}", options.broker(), why.description());
    }
  }

  /**
   * The broker ended the session (DISCONNECT) or fell silent: the socket stays and HELLO goes
   * out on it again after the backoff. Requests sent are kept until the next WELCOME says which
   * the new broker refused unread; if the handshake fails instead they fail as in {@link #lost}.
   */
  private void endSession(Status why, long now) {
    state = State.DISCONNECTED;
    setConnected(false);
    lastLoss = why;
    previousSession = true;
    // Answers a handler gives to the ended session's requests must not reach the next one.
    epoch++;
    reconnectAt = now + backoff.nextDelayNanos();
    reportLost(why, now);
  }

  private void reportLost(Status why, long now) {
    lostAt = now;
    waitReported = true; // this line says it: no "waiting" line for the same outage
    log.info("connection to broker {} lost: {}; reconnecting", options.broker(),
        why.description());
    connection.listener.onDisconnected(connection, why);
  }

  /**
   * A DISCONNECT: the broker forgot this connection. It is stopping, or ended it on purpose, or
   * it restarted and does not know it: then it answers each packet sent to the broker that died
   * with a DISCONNECT carrying that packet's id, and a request refused so goes out again.
   */
  void onDisconnect(Envelope packet, long now) {
    if (packet.getId() != 0) {
      connection.calls.onRefused(packet.getId());
    }
    Status why = StatusCodec.fromWire(packet.getStatus());
    if (state == State.CONNECTED) {
      endSession(why, now);
    } else if (state == State.HANDSHAKING && !previousSession) {
      lost(why, now);
    }
    // Otherwise the new broker refuses what was queued before this session's HELLO.
  }

  /** Handles what has arrived, up to a batch; returns how many packets. */
  int receive() {
    int i = 0;
    for (; i < RECV_BATCH && socket != null; i++) {
      byte[] body = socket.recv(ZMQ.DONTWAIT);
      if (body == null) {
        return i;
      }
      int frames = 1;
      while (socket.hasReceiveMore()) {
        socket.recv(0);
        frames++;
      }
      lastReceived = ticker.nanoTime();
      if (frames != Wire.FRAMES) {
        log.warn("ignoring a packet from broker {} in another protocol: {}",
            options.broker(), Wire.describeFrames(frames));
      } else {
        inbound.onFrame(body, lastReceived);
      }
      // Counted after it is handled: a WELCOME starts the count, and is the first in it.
      unacknowledged += body.length;
      if (ackEvery > 0 && unacknowledged >= ackEvery && state == State.CONNECTED) {
        acknowledge();
      }
    }
    return i;
  }

  /**
   * Tells the broker how many bytes this connection has read since it last said, so that it
   * may send that much more (CREDIT with id 0; see Welcome.outbound_budget_bytes).
   */
  private void acknowledge() {
    if (send(Envelope.newBuilder()
        .setCommand(Command.CREDIT)
        .setCredit(Credit.newBuilder().setBytes(unacknowledged))
        .build())) {
      unacknowledged = 0;
    }
  }

  /** A WELCOME, taken only while handshaking. */
  void onWelcome(Welcome welcome, long now) {
    if (state != State.HANDSHAKING) {
      return;
    }
    String problem = Wire.checkProtocol(welcome.getProtocol());
    if (problem != null) {
      lost(Status.UNAVAILABLE.withDescription("broker " + options.broker() + ": " + problem), now);
      return;
    }
    if (welcome.getHeartbeatIntervalMs() > 0) {
      heartbeatNanos = welcome.getHeartbeatIntervalMs() * MS;
    }
    if (welcome.getLiveness() > 0) {
      liveness = welcome.getLiveness();
    }
    if (welcome.getMaxMessageBytes() > 0) {
      maxMessageBytes = welcome.getMaxMessageBytes();
    }
    // The broker counts what it sends from its WELCOME on.
    unacknowledged = 0;
    long budget = welcome.getOutboundBudgetBytes(); // a uint64; 0: no acknowledgement wanted
    ackEvery = budget == 0 ? 0 : Long.compareUnsigned(budget, 16 * MAX_ACK_BYTES) >= 0
        ? MAX_ACK_BYTES : Math.max(1, budget / 16);
    boolean credit = Wire.minorOf(welcome.getProtocol()) >= Wire.MINOR_FLOW
        && welcome.getPublishWindowMessages() > 0;
    connection.publishing.onConnected(credit ? welcome.getPublishWindowMessages() : 0,
        credit ? Math.max(1, welcome.getPublishWindowBytes()) : 0,
        Wire.minorOf(welcome.getProtocol()) >= Wire.MINOR_FLOW);
    state = State.CONNECTED;
    setConnected(true);
    backoff.reset();
    if (everConnected) {
      log.info("reconnected to broker {} after {} ms", options.broker(), (now - lostAt) / MS);
    } else {
      log.info("connected to broker {} ({}, broker {})", options.broker(),
          welcome.getProtocol(), welcome.getBrokerVersion());
    }
    everConnected = true;
    waitReported = false;
    if (previousSession) {
      previousSession = false;
      connection.calls.onNewSession(lastLoss);
    }
    connection.listener.onConnected(connection);
    connection.subscriptions.subscribeAll();
    connection.calls.onConnected(now);
  }

  /** Heartbeat, liveness, handshake timeout and reconnect; no reconnect once closing. */
  void onTimers(long now, boolean closing) {
    switch (state) {
      case CONNECTED:
        if (now - lastReceived > lossNanos()) {
          // The broker may be restarting: what is queued on this socket reaches the new one,
          // which refuses it unread, so the session ends here as after a DISCONNECT.
          endSession(Status.UNAVAILABLE.withDescription(
              "no heartbeat from broker for " + (now - lastReceived) / MS + " ms"), now);
        } else if (now - lastSent >= heartbeatNanos) {
          send(Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
        }
        break;
      case HANDSHAKING:
        if (now >= handshakeDeadline) {
          lost(Status.UNAVAILABLE.withDescription("broker " + options.broker()
              + " did not answer within " + options.handshakeTimeout().toMillis() + " ms"
              + (options.brokerKey() == null ? ""
                  : " (CURVE: a broker that refuses this key, or whose key is not "
                      + options.brokerKey() + ", never answers)")), now);
        }
        break;
      case DISCONNECTED:
        if (now >= reconnectAt && !closing) {
          if (socket != null) {
            sayHello(now); // the next session on the same socket
          } else {
            open(now);
          }
        }
        break;
      default:
        break;
    }
  }

  /** When {@link #onTimers} next has work, in the ticker's nanoseconds; MAX_VALUE for never. */
  long nextTimerAt() {
    switch (state) {
      case CONNECTED:
        return Math.min(lastSent + heartbeatNanos, lastReceived + lossNanos());
      case HANDSHAKING:
        return handshakeDeadline;
      case DISCONNECTED:
        return reconnectAt;
      default:
        return Long.MAX_VALUE;
    }
  }

  private long lossNanos() {
    return heartbeatNanos * liveness;
  }

  /**
   * Says DISCONNECT if connected and gives the last packets up to 1 s to leave on close; without
   * a connection nothing queued can leave (a HELLO nobody answered), so nothing waits.
   */
  void leave() {
    boolean connectedNow = state == State.CONNECTED;
    if (connectedNow) {
      send(Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
    }
    if (socket != null) {
      socket.setLinger(connectedNow ? CLOSE_LINGER_MS : 0);
    }
  }

  /** The I/O thread is ending: closes the socket for good. */
  void close() {
    closeSocket();
    state = State.CLOSED;
    setConnected(false);
  }

  private void closeSocket() {
    if (socket != null) {
      waiter.unwatch();
      socket.close();
      socket = null;
    }
  }
}
