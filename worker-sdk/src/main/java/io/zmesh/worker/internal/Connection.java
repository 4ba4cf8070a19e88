package io.zmesh.worker.internal;

import static io.zmesh.core.internal.Ticker.MS;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.core.internal.Backoff;
import io.zmesh.core.internal.DeadlineWheel;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.SocketWaiter;
import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Topics;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.MessageHandler;
import io.zmesh.worker.Publisher;
import io.zmesh.worker.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * One connection to the broker: a DEALER socket owned by one I/O thread.
 *
 * <p>Threading: every method here may be called from any thread. They hand work to the I/O
 * thread through a queue and wake it with a {@link SocketWaiter}; only the I/O thread touches
 * the DEALER and the tables below. Futures are completed on the callback executor, never on the
 * I/O thread, so user code cannot stall the socket. {@link Listener} methods run on the I/O
 * thread and must return quickly.
 *
 * <p>Life cycle: HELLO, wait for WELCOME (which carries the broker's heartbeat settings), then
 * connected. A broker silent for liveness x interval, a DISCONNECT from it, or a handshake that
 * times out closes the socket; a new one is opened after an exponential backoff. Requests sent
 * on a lost connection fail with UNAVAILABLE at once; requests made while disconnected wait for
 * the next connection and fail with UNAVAILABLE at their deadline.
 *
 * <p>Topics: publishes go through a bounded {@link PublishBacklog} (not the task queue) and
 * leave in order while connected; {@link Subscriptions} holds the open subscriptions, sends
 * each again after every WELCOME and hands MESSAGEs to their serial dispatch.
 */
public final class Connection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  private static final int RECV_BATCH = 1024;
  /** Publishes sent per loop iteration, so input and timers get their turn. */
  private static final int PUBLISH_BATCH = 1024;
  private static final int CLOSE_LINGER_MS = 1_000;
  /**
   * The broker answers a request whose deadline passed with a message naming the worker and
   * what happened (still queued, never registered, slow). The local timer waits this much
   * longer so that answer usually wins; it only decides when the broker is silent.
   */
  private static final long DEADLINE_GRACE_NANOS = 50 * MS;

  /** Called on the I/O thread. Implementations must not block. */
  public interface Listener {
    /** The broker answered HELLO. Runs again after every reconnect. */
    default void onConnected(Connection connection) {}

    /** The connection was lost; a new one will be attempted. */
    default void onDisconnected(Connection connection, Status why) {}

    /** A REQUEST routed to this process; {@code epoch} identifies the connection it came on. */
    default void onRequest(Connection connection, Envelope request, long epoch) {
      connection.send(
          StatusCodec.error(request.getId(), Code.NO_WORKER, "this connection is not a worker"),
          epoch);
    }

    /** The requester of request {@code id} gave up. */
    default void onCancel(Connection connection, long id) {}
  }

  private enum State { DISCONNECTED, HANDSHAKING, CONNECTED, CLOSED }

  private final MeshOptions options;
  private final Listener listener;
  private final Ticker ticker;
  private final ZMQ.Context context;
  private final Executor callbacks;
  private final ExecutorService ownedCallbacks;
  private final SocketWaiter waiter = new SocketWaiter();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicLong nextId = new AtomicLong();
  private final Thread ioThread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object connectedMonitor = new Object();
  private volatile boolean connected;
  private volatile boolean closing;
  /** Whether this connection has given its share of the process's context back; guarded by this. */
  private boolean released;
  /** The broker's limit from its last WELCOME, read by publishers to refuse early. */
  private volatile int maxMessageBytes = Integer.MAX_VALUE;
  private final PublishBacklog backlog;
  final Subscriptions subscriptions = new Subscriptions(this);

  // --- I/O thread only ---
  private ZMQ.Socket socket;
  private State state = State.DISCONNECTED;
  private long epoch;
  private final Long2ObjectHashMap<Call<?>> pending = new Long2ObjectHashMap<>();
  private final ArrayDeque<Call<?>> unsent = new ArrayDeque<>();
  private final DeadlineWheel<Call<?>> deadlines;
  private final Backoff backoff;
  private long heartbeatNanos = 1_000 * MS;
  private int liveness = 3;
  /** The socket refused a publish (its queue is full): retry soon rather than at once. */
  private boolean publishBlocked;
  private long lastReceived;
  private long lastSent;
  private long handshakeDeadline;
  private long reconnectAt;
  private Status lastLoss = Status.UNAVAILABLE.withDescription("not yet connected");
  private boolean running = true;

  public Connection(MeshOptions options, Listener listener) {
    this(options, listener, Ticker.system());
  }

  public Connection(MeshOptions options, Listener listener, Ticker ticker) {
    this.options = options;
    this.listener = listener;
    this.ticker = ticker;
    this.context = SharedContext.acquire();
    if (options.callbackExecutor() != null) {
      this.callbacks = options.callbackExecutor();
      this.ownedCallbacks = null;
    } else {
      this.ownedCallbacks = Executors.newSingleThreadExecutor(
          daemonThreads("zmesh-" + options.clientName() + "-callbacks"));
      this.callbacks = ownedCallbacks;
    }
    long now = ticker.nanoTime();
    this.deadlines = new DeadlineWheel<>(4 * MS, 4096, now);
    this.backoff = new Backoff(
        options.reconnectDelay().toNanos(), options.maxReconnectDelay().toNanos());
    this.backlog = new PublishBacklog(options.publishBacklog());
    this.ioThread = new Thread(this::run, "zmesh-" + options.clientName() + "-io");
    ioThread.setDaemon(true);
  }

  static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Starts the I/O thread, which connects. Call once. */
  public void start() {
    ioThread.start();
  }

  public MeshOptions options() {
    return options;
  }

  /** Whether the broker has answered HELLO on the current socket. */
  public boolean isConnected() {
    return connected;
  }

  /**
   * Waits until the broker has answered HELLO.
   *
   * @return false if {@code timeout} passed first or the connection was closed
   */
  public boolean awaitConnected(java.time.Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (connectedMonitor) {
      while (!connected && !closing) {
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

  /** Where futures are completed. */
  public Executor callbackExecutor() {
    return callbacks;
  }

  /**
   * Sends a packet that expects one answer with the same id (REQUEST, READY, DRAIN...), encoded
   * without {@code id} and {@code timeout_ms}: both are appended when it leaves ({@link
   * Wire#withIdAndTimeout}), the id assigned here.
   *
   * @param decode turns the REPLY into the future's value, on the callback executor; may throw
   *     {@link MeshException}
   */
  public <T> CompletableFuture<T> request(
      byte[] body, long timeoutNanos, Function<Envelope, T> decode) {
    CallFuture<T> future = new CallFuture<>();
    long due = ticker.nanoTime() + timeoutNanos;
    Call<T> call = new Call<>(nextId.incrementAndGet(), body, future, decode, due, timeoutNanos);
    future.call = call;
    execute(() -> startCall(call));
    return future;
  }

  /**
   * Sends a packet that expects no answer (REPLY, ERROR, HEARTBEAT...), if the connection it
   * belongs to is still the current one; otherwise it is dropped, since the broker that would
   * route it is gone.
   */
  public void send(Envelope packet, long epoch) {
    execute(() -> {
      if (state == State.CONNECTED && this.epoch == epoch) {
        if (!sendNow(packet)) {
          log.debug("dropped {} {}: send queue to broker full", packet.getCommand(), packet.getId());
        }
      }
    });
  }

  /** {@link #send(Envelope, long)} of a packet already encoded. */
  public void send(byte[] body, long epoch) {
    execute(() -> {
      if (state == State.CONNECTED && this.epoch == epoch && !sendBytes(body)) {
        log.debug("dropped a packet of {} bytes: send queue to broker full", body.length);
      }
    });
  }

  /** Runs {@code task} on the I/O thread: inline when called from it, else queued. */
  public void execute(Runnable task) {
    if (Thread.currentThread() == ioThread) {
      task.run();
      return;
    }
    tasks.add(task);
    wake();
  }

  private void wake() {
    // One wake-up per idle period: the I/O thread clears the flag before it looks at its queues
    // and goes to sleep, so work added after that look always wakes it.
    if (wakePending.compareAndSet(false, true)) {
      waiter.wake();
    }
  }

  /**
   * Publishes {@code message} to {@code topic}: checks and encodes it on the calling thread,
   * then queues it for the I/O thread. See {@link io.zmesh.worker.Publisher#publish}.
   */
  public void publish(String topic, Message message) {
    Objects.requireNonNull(message, "message");
    Publisher.checkTopic(topic);
    byte[] packet = message instanceof Any
        ? Wire.publish(topic, (Any) message)
        : Wire.publish(topic, Payloads.typeUrl(message), message);
    int limit = maxMessageBytes;
    if (packet.length > limit) {
      throw Status.INVALID_ARGUMENT.withDescription("message of " + packet.length
          + " bytes to '" + topic + "' exceeds the broker's limit of " + limit + " bytes")
          .asException();
    }
    if (closing) {
      throw PublishBacklog.closedException();
    }
    backlog.offer(packet, options.callOptions().timeout().toNanos());
    wake();
  }

  /**
   * Opens a subscription whose handler runs on {@code executor}. See {@link
   * io.zmesh.worker.Subscriber#subscribe(String, String, Class, MessageHandler)}.
   */
  public <T extends Message> Subscription subscribe(String pattern, String group, Class<T> type,
      MessageHandler<T> handler, Executor executor) {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(handler, "handler");
    Objects.requireNonNull(executor, "executor");
    String problem = Topics.checkPattern(pattern);
    if (problem == null && !group.isEmpty()) {
      problem = Topics.checkGroup(group);
    }
    if (problem != null) {
      throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
    }
    if (closing) {
      throw PublishBacklog.closedException();
    }
    TopicSubscription<T> s = new TopicSubscription<>(
        this, nextId.incrementAndGet(), pattern, group, type, handler, executor);
    execute(() -> subscriptions.add(s));
    return s;
  }

  /** Runs {@code task} on {@code executor}, or here if the executor is shut down. */
  static void complete(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException rejected) {
      task.run();
    }
  }

  // ------------------------------------------------ for Subscriptions, on the I/O thread

  boolean isConnectedOnIoThread() {
    return state == State.CONNECTED;
  }

  boolean isClosingOnIoThread() {
    return closing || !running;
  }

  /** Numbers the sockets this connection opened; I/O thread only. */
  public long epochOnIoThread() {
    return epoch;
  }

  boolean sendOnIoThread(Envelope packet) {
    return state == State.CONNECTED && sendNow(packet);
  }

  /**
   * Leaves: sends DISCONNECT if connected, fails what is still pending with CANCELLED, lets
   * the last packets out (up to 1 s) and stops the I/O thread. Idempotent.
   */
  @Override
  public void close() {
    if (Thread.currentThread() == ioThread) {
      shutdownOnIoThread();
      return;
    }
    synchronized (this) {
      if (!closing) {
        closing = true;
        if (ioThread.isAlive()) {
          execute(this::shutdownOnIoThread);
        } else {
          stopped.countDown();
        }
      }
    }
    try {
      if (ioThread.isAlive() && !stopped.await(10, TimeUnit.SECONDS)) {
        log.warn("I/O thread of {} did not stop within 10 s", options.clientName());
      }
      ioThread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean release;
    synchronized (this) {
      release = !released;
      released = true;
    }
    if (release) {
      // Once per connection: a second close must not end the context other connections use.
      SharedContext.release();
    }
    if (ownedCallbacks != null) {
      ownedCallbacks.shutdown();
    }
  }

  // ---------------------------------------------------------------- I/O thread

  private void run() {
    try {
      openSocket(ticker.nanoTime());
      boolean busy = false;
      while (running) {
        // While packets keep coming, drain again instead of sleeping: a wait per batch costs
        // more than the batch when the batches are small.
        if (!busy) {
          wakePending.set(false);
          if (tasks.isEmpty() && !canPublish()) {
            waiter.await(socket, pollTimeoutMillis(ticker.nanoTime()));
          }
        }
        runTasks();
        if (!running) {
          break;
        }
        int published = sendPublished();
        busy = socket != null && receive() > 0;
        busy |= published == PUBLISH_BATCH;
        subscriptions.flushCredit();
        onTimers(ticker.nanoTime());
      }
    } catch (RuntimeException | Error e) {
      log.error("I/O thread of {} failed", options.clientName(), e);
      failAll(Status.INTERNAL.withDescription("I/O thread failed: " + e));
    } finally {
      backlog.close();
      subscriptions.closeAll(Status.CANCELLED.withDescription("connection closed"));
      if (socket != null) {
        waiter.unwatch();
        socket.close();
        socket = null;
      }
      waiter.close();
      state = State.CLOSED;
      setConnected(false);
      stopped.countDown();
    }
  }

  private void shutdownOnIoThread() {
    if (!running) {
      return;
    }
    closing = true;
    backlog.close();
    subscriptions.closeAll(Status.CANCELLED.withDescription("connection closed"));
    if (state == State.CONNECTED) {
      // What was published before close goes out ahead of the goodbye.
      while (sendPublished() > 0) {
        if (publishBlocked) {
          break;
        }
      }
      sendNow(Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
    }
    failAll(Status.CANCELLED.withDescription("connection closed"));
    if (socket != null) {
      socket.setLinger(CLOSE_LINGER_MS);
    }
    running = false;
  }

  private long pollTimeoutMillis(long now) {
    if (!tasks.isEmpty()) {
      return 0;
    }
    if (publishBlocked && state == State.CONNECTED && !backlog.isEmpty()) {
      // The socket's queue was full; the descriptor does not say when it has room again.
      return 1;
    }
    long wakeAt = deadlines.nextTickAt();
    switch (state) {
      case CONNECTED:
        wakeAt = Math.min(wakeAt, Math.min(lastSent + heartbeatNanos, lastReceived + lossNanos()));
        break;
      case HANDSHAKING:
        wakeAt = Math.min(wakeAt, handshakeDeadline);
        break;
      case DISCONNECTED:
        wakeAt = Math.min(wakeAt, reconnectAt);
        break;
      default:
        break;
    }
    if (wakeAt == Long.MAX_VALUE) {
      return -1;
    }
    long delta = wakeAt - now;
    return delta <= 0 ? 0 : (delta + MS - 1) / MS;
  }

  private long lossNanos() {
    return heartbeatNanos * liveness;
  }

  /** Whether publishes wait that can be sent now. */
  private boolean canPublish() {
    return state == State.CONNECTED && !publishBlocked && !backlog.isEmpty();
  }

  /** Sends what waits in the publish backlog, up to a batch; returns how many left it. */
  private int sendPublished() {
    publishBlocked = false;
    if (state != State.CONNECTED) {
      return 0;
    }
    int n = 0;
    byte[] packet;
    while (n < PUBLISH_BATCH && (packet = backlog.peek()) != null) {
      if (packet.length > maxMessageBytes) {
        // Checked when published, but the limit can change with a new broker.
        log.warn("dropped a publish of {} bytes: the broker's limit is {} bytes",
            packet.length, maxMessageBytes);
      } else if (!sendBytes(packet)) {
        publishBlocked = true;
        break;
      }
      backlog.remove();
      n++;
    }
    backlog.release(n);
    return n;
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.error("task on I/O thread failed", e);
      }
    }
  }

  private void openSocket(long now) {
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
    sendNow(Envelope.newBuilder().setCommand(Command.HELLO).setHello(hello).build());
  }

  private void connectionLost(Status why, long now) {
    if (socket != null) {
      waiter.unwatch();
      socket.close();
      socket = null;
    }
    boolean wasConnected = state == State.CONNECTED;
    state = State.DISCONNECTED;
    setConnected(false);
    lastLoss = why;
    reconnectAt = now + backoff.nextDelayNanos();
    // What was sent is gone with the broker's state: fail it now rather than at its deadline.
    List<Call<?>> lost = new ArrayList<>();
    pending.forEach((id, call) -> {
      if (call.sent) {
        lost.add(call);
      }
    });
    for (Call<?> call : lost) {
      pending.remove(call.id);
      deadlines.cancel(call);
      fail(call, Status.UNAVAILABLE.withDescription(
          "connection to broker " + options.broker() + " lost: " + why.description()));
    }
    if (wasConnected) {
      log.info("connection to broker {} lost: {}", options.broker(), why.description());
      listener.onDisconnected(this, why);
    } else {
      log.debug("handshake with broker {} failed: {}", options.broker(), why.description());
    }
  }

  /** Handles what has arrived, up to a batch; returns how many packets. */
  private int receive() {
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
      // Most of what a subscriber receives: read in place, the payload parsed from the frame.
      Scan.Packet scanned = state == State.CONNECTED ? Scan.read(body) : null;
      if (scanned instanceof Scan.Message) {
        subscriptions.onMessage((Scan.Message) scanned, body);
        continue;
      }
      Envelope packet;
      try {
        packet = Wire.decode(body);
      } catch (WireException e) {
        log.warn("ignoring a packet from broker {}: {}", options.broker(), e.getMessage());
        continue;
      }
      onPacket(packet, lastReceived);
    }
    return i;
  }

  private void onPacket(Envelope packet, long now) {
    switch (packet.getCommand()) {
      case WELCOME:
        if (state == State.HANDSHAKING) {
          onWelcome(packet.getWelcome(), now);
        }
        break;
      case HEARTBEAT:
        break;
      case REPLY:
        onAnswer(packet);
        break;
      case ERROR:
        if (state == State.HANDSHAKING) {
          // The broker refused the HELLO (another protocol, say): retried after a backoff.
          connectionLost(StatusCodec.fromWire(packet.getStatus()), now);
        } else {
          onAnswer(packet);
        }
        break;
      case REQUEST:
        if (state == State.CONNECTED) {
          listener.onRequest(this, packet, epoch);
        }
        break;
      case CANCEL:
        listener.onCancel(this, packet.getId());
        break;
      case MESSAGE:
        if (state == State.CONNECTED) {
          // One the scan could not vouch for (a body given twice, say): its canonical encoding
          // scans, so every message reaches its subscription the same way.
          byte[] canonical = Wire.encode(packet);
          Scan.Packet scanned = Scan.read(canonical);
          if (scanned instanceof Scan.Message) {
            subscriptions.onMessage((Scan.Message) scanned, canonical);
          }
        }
        break;
      case DISCONNECT:
        connectionLost(StatusCodec.fromWire(packet.getStatus()), now);
        break;
      default:
        log.debug("ignoring {} from broker", packet.getCommand());
    }
  }

  private void onWelcome(Welcome welcome, long now) {
    String problem = Wire.checkProtocol(welcome.getProtocol());
    if (problem != null) {
      connectionLost(Status.UNAVAILABLE.withDescription(
          "broker " + options.broker() + ": " + problem), now);
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
    state = State.CONNECTED;
    setConnected(true);
    backoff.reset();
    log.debug("connected to broker {} (version {})", options.broker(), welcome.getBrokerVersion());
    listener.onConnected(this);
    subscriptions.subscribeAll();
    Call<?> call;
    while (state == State.CONNECTED && (call = unsent.poll()) != null) {
      transmit(call, now);
    }
  }

  private void onAnswer(Envelope packet) {
    Call<?> call = pending.remove(packet.getId());
    if (call == null) {
      if (subscriptions.onAnswer(packet)) {
        return;
      }
      if (packet.getCommand() == Command.ERROR && packet.getId() == 0) {
        log.warn("broker {} reports: {}", options.broker(), StatusCodec.fromWire(packet.getStatus()));
      }
      return;
    }
    deadlines.cancel(call);
    if (packet.getCommand() == Command.REPLY) {
      callbacks.execute(() -> call.complete(packet));
    } else {
      fail(call, StatusCodec.fromWire(packet.getStatus()));
    }
  }

  private void onTimers(long now) {
    deadlines.expire(now, this::onDeadline);
    switch (state) {
      case CONNECTED:
        if (now - lastReceived > lossNanos()) {
          connectionLost(Status.UNAVAILABLE.withDescription(
              "no heartbeat from broker for " + (now - lastReceived) / MS + " ms"), now);
        } else if (now - lastSent >= heartbeatNanos) {
          sendNow(Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
        }
        break;
      case HANDSHAKING:
        if (now >= handshakeDeadline) {
          connectionLost(Status.UNAVAILABLE.withDescription("broker " + options.broker()
              + " did not answer within " + options.handshakeTimeout().toMillis() + " ms"), now);
        }
        break;
      case DISCONNECTED:
        if (now >= reconnectAt && !closing) {
          openSocket(now);
        }
        break;
      default:
        break;
    }
  }

  private void startCall(Call<?> call) {
    if (!running || closing) {
      fail(call, Status.CANCELLED.withDescription("connection closed"));
      return;
    }
    long now = ticker.nanoTime();
    if (call.due <= now) {
      fail(call, Status.DEADLINE_EXCEEDED.withDescription("deadline passed before sending"));
      return;
    }
    pending.put(call.id, call);
    deadlines.schedule(call, call.due + DEADLINE_GRACE_NANOS);
    if (state == State.CONNECTED) {
      transmit(call, now);
    } else {
      unsent.add(call);
    }
  }

  private void transmit(Call<?> call, long now) {
    long remainingMs = Math.max(1, (call.due - now) / MS);
    int timeoutMs = (int) Math.min(remainingMs, 0xFFFF_FFFFL);
    byte[] body = Wire.withIdAndTimeout(call.body, call.id, timeoutMs);
    call.body = null;
    if (body.length > maxMessageBytes) {
      dropCall(call, Status.INVALID_ARGUMENT.withDescription("message of " + body.length
          + " bytes exceeds the broker's limit of " + maxMessageBytes + " bytes"));
      return;
    }
    if (!sendBytes(body)) {
      dropCall(call, Status.OVERLOADED.withDescription(
          "more than " + Sockets.HWM + " packets queued for broker " + options.broker()));
      return;
    }
    call.sent = true;
  }

  private void dropCall(Call<?> call, Status why) {
    pending.remove(call.id);
    deadlines.cancel(call);
    fail(call, why);
  }

  private void onDeadline(Call<?> call) {
    pending.remove(call.id);
    if (call.sent) {
      fail(call, Status.DEADLINE_EXCEEDED.withDescription(
          "no answer within the deadline of " + call.timeoutNanos / MS + " ms"));
    } else {
      unsent.remove(call);
      fail(call, Status.UNAVAILABLE.withDescription("not connected to broker " + options.broker()
          + " before the deadline: " + lastLoss.description()));
    }
  }

  private void cancelCall(Call<?> call) {
    if (pending.remove(call.id) == null) {
      return;
    }
    deadlines.cancel(call);
    unsent.remove(call);
    if (call.sent && state == State.CONNECTED) {
      sendNow(Envelope.newBuilder().setCommand(Command.CANCEL).setId(call.id).build());
    }
  }

  private void failAll(Status why) {
    List<Call<?>> all = new ArrayList<>(pending.values());
    pending.clear();
    unsent.clear();
    for (Call<?> call : all) {
      deadlines.cancel(call);
      fail(call, why);
    }
  }

  private void fail(Call<?> call, Status why) {
    MeshException e = why.asException();
    try {
      callbacks.execute(() -> call.future.completeExceptionally(e));
    } catch (RuntimeException rejected) {
      call.future.completeExceptionally(e);
    }
  }

  private boolean sendNow(Envelope packet) {
    return sendBytes(Wire.encode(packet));
  }

  private boolean sendBytes(byte[] body) {
    if (socket == null) {
      return false;
    }
    if (!socket.send(body, ZMQ.DONTWAIT)) {
      return false;
    }
    lastSent = ticker.nanoTime();
    return true;
  }

  /** A request's future; cancelling it tells the broker, which tells the worker. */
  private final class CallFuture<T> extends CompletableFuture<T> {
    Call<T> call;

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        execute(() -> cancelCall(call));
      }
      return cancelled;
    }
  }

  /** A packet waiting for its answer. */
  private static final class Call<T> extends DeadlineWheel.Timer {
    final long id;
    final CompletableFuture<T> future;
    final Function<Envelope, T> decode;
    final long due;
    final long timeoutNanos;
    /** The packet, without id and timeout, until it is sent. */
    byte[] body;
    boolean sent;

    Call(long id, byte[] body, CompletableFuture<T> future, Function<Envelope, T> decode,
        long due, long timeoutNanos) {
      this.id = id;
      this.body = body;
      this.future = future;
      this.decode = decode;
      this.due = due;
      this.timeoutNanos = timeoutNanos;
    }

    void complete(Envelope reply) {
      try {
        future.complete(decode.apply(reply));
      } catch (RuntimeException e) {
        future.completeExceptionally(e instanceof MeshException ? e
            : Status.INTERNAL.withDescription("cannot decode reply: " + e).asException(e));
      }
    }
  }
}
