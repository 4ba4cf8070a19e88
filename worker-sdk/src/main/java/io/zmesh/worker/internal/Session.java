package io.zmesh.worker.internal;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.Status;
import io.zmesh.core.internal.Backoff;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.SocketWaiter;
import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.worker.MeshOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * The DEALER socket and its conversation with the broker. HELLO, wait for WELCOME (which carries
 * the broker's heartbeat interval, liveness and size limit), then connected. A HEARTBEAT goes
 * out after an interval without sending. A broker silent for liveness x interval, a DISCONNECT
 * from it, a refused HELLO or a handshake that times out closes the socket: calls sent on it
 * fail at once, and a new socket is opened after a jittered exponential backoff. Every time is
 * read from the connection's {@link Ticker}.
 *
 * <p>Threads: everything but {@link #isConnected}, {@link #awaitConnected} and {@link
 * #maxMessageBytes} runs on the I/O thread ({@link SocketLoop}), the only thread that touches
 * the socket.
 */
final class Session {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  private static final int RECV_BATCH = 1024;
  private static final int CLOSE_LINGER_MS = 1_000;

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

  /** Numbers the sockets opened, so answers meant for an earlier one can be told apart. */
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
    state = State.DISCONNECTED;
    setConnected(false);
    lastLoss = why;
    reconnectAt = now + backoff.nextDelayNanos();
    // What was sent is gone with the broker's state: fail it now rather than at its deadline.
    connection.calls.onLost(Status.UNAVAILABLE.withDescription(
        "connection to broker " + options.broker() + " lost: " + why.description()));
    if (wasConnected) {
      lostAt = now;
      waitReported = true; // this line says it: no "waiting" line for the same outage
      log.info("connection to broker {} lost: {}; reconnecting", options.broker(),
          why.description());
      connection.listener.onDisconnected(connection, why);
    } else if (!waitReported && !connection.loop.isClosing()) {
      // Said once per outage, not per attempt: a worker may be started before its broker.
      waitReported = true;
      log.info("waiting for broker at {} ({})", options.broker(), why.description());
    } else {
      log.debug("handshake with broker {} failed: {}", options.broker(), why.description());
    }
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
        continue;
      }
      inbound.onFrame(body, lastReceived);
    }
    return i;
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
    connection.listener.onConnected(connection);
    connection.subscriptions.subscribeAll();
    connection.calls.onConnected(now);
  }

  /** Heartbeat, liveness, handshake timeout and reconnect; no reconnect once closing. */
  void onTimers(long now, boolean closing) {
    switch (state) {
      case CONNECTED:
        if (now - lastReceived > lossNanos()) {
          lost(Status.UNAVAILABLE.withDescription(
              "no heartbeat from broker for " + (now - lastReceived) / MS + " ms"), now);
        } else if (now - lastSent >= heartbeatNanos) {
          send(Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
        }
        break;
      case HANDSHAKING:
        if (now >= handshakeDeadline) {
          lost(Status.UNAVAILABLE.withDescription("broker " + options.broker()
              + " did not answer within " + options.handshakeTimeout().toMillis() + " ms"), now);
        }
        break;
      case DISCONNECTED:
        if (now >= reconnectAt && !closing) {
          open(now);
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
