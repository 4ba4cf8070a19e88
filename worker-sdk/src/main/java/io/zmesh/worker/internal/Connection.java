package io.zmesh.worker.internal;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.SocketWaiter;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Wire;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.MessageHandler;
import io.zmesh.worker.Subscription;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

/**
 * One connection to the broker, the engine of a {@link io.zmesh.worker.Worker} or {@link
 * io.zmesh.worker.MeshClient}. Its parts, which reach each other through it:
 *
 * <ul>
 *   <li>{@link SocketLoop}: the I/O thread, its task queue and wake-up, and the order of a pass;
 *   <li>{@link Session}: the DEALER socket, the handshake, heartbeats, liveness, reconnects and
 *       the acknowledgement of what was read;
 *   <li>{@link Inbound}: where each packet from the broker goes;
 *   <li>{@link Calls}: packets waiting for an answer, with their deadlines;
 *   <li>{@link PublishPump}: publishes, through a bounded backlog;
 *   <li>{@link Subscriptions}: the open subscriptions, renewed after every WELCOME.
 * </ul>
 *
 * <p>Threads: every public method here may be called from any thread; they hand work to the I/O
 * thread, which alone touches the socket and the tables. Futures complete on the callback
 * executor (a thread the connection owns unless the options give one), so user code cannot stall
 * the socket. {@link Listener} methods run on the I/O thread and must return quickly. Every
 * timer reads the {@link Ticker} given here.
 */
public final class Connection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  /** Called on the I/O thread. Implementations must not block. */
  public interface Listener {
    /** The broker answered HELLO. Runs again after every reconnect. */
    default void onConnected(Connection connection) {}

    /** The connection was lost; a new one will be attempted. */
    default void onDisconnected(Connection connection, Status why) {}

    /** A REQUEST routed to this process; {@code epoch} identifies the connection it came on. */
    default void onRequest(Connection connection, IncomingRequest request, long epoch) {
      connection.send(
          StatusCodec.error(request.id(), Code.NO_WORKER, "this connection is not a worker"),
          epoch);
    }

    /** The requester of request {@code id} gave up. */
    default void onCancel(Connection connection, long id) {}
  }

  private final MeshOptions options;
  private final ZMQ.Context context;
  private final Executor callbacks;
  private final ExecutorService ownedCallbacks;
  /** Whether this connection has given its share of the process's context back; guarded by this. */
  private boolean released;
  final Listener listener;
  final SocketLoop loop;
  final Session session;
  final Calls calls;
  final PublishPump publishing;
  final Subscriptions subscriptions;

  /** @param ticker the clock of every timer; the system's outside tests */
  public Connection(MeshOptions options, Listener listener, Ticker ticker) {
    this.options = options;
    this.listener = listener;
    this.context = SharedContext.acquire();
    if (options.callbackExecutor() != null) {
      this.callbacks = options.callbackExecutor();
      this.ownedCallbacks = null;
    } else {
      this.ownedCallbacks = Executors.newSingleThreadExecutor(
          Threads.daemon("zmesh-" + options.clientName() + "-callbacks"));
      this.callbacks = ownedCallbacks;
    }
    SocketWaiter waiter = new SocketWaiter();
    this.loop = new SocketLoop(this, waiter, ticker);
    this.session = new Session(this, context, waiter, ticker);
    this.calls = new Calls(this, callbacks, ticker);
    this.publishing = new PublishPump(this);
    this.subscriptions = new Subscriptions(this);
  }

  /** Starts the I/O thread, which connects. Call once. */
  public void start() {
    loop.start();
  }

  public MeshOptions options() {
    return options;
  }

  /** Whether the broker has answered HELLO on the current socket. */
  public boolean isConnected() {
    return session.isConnected();
  }

  /**
   * Waits until the broker has answered HELLO.
   *
   * @return false if {@code timeout} passed first or the connection was closed
   */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return session.awaitConnected(timeout);
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
    return calls.start(body, timeoutNanos, decode);
  }

  /**
   * A REQUEST to a worker: as {@link #request(byte[], long, Function)}, but counted against
   * {@link MeshOptions#maxOutstandingRequests()}. Beyond it the future fails at once with
   * OVERLOADED and nothing is sent: the broker refuses more from one connection anyway, and an
   * answer it cannot deliver (the connection's queue full) would turn into a deadline. A
   * request a restarted broker refused unread is sent again, and an {@code idempotent} one also
   * after its broker was lost with it.
   */
  public <T> CompletableFuture<T> requestBounded(
      byte[] body, long timeoutNanos, boolean idempotent, Function<Envelope, T> decode) {
    return calls.startRequest(body, timeoutNanos, idempotent, decode, false);
  }

  /**
   * {@link #requestBounded} for a caller that blocks on the future and attaches nothing to it:
   * the I/O thread completes it with the REPLY itself, never running user code there.
   */
  public CompletableFuture<Envelope> call(byte[] body, long timeoutNanos, boolean idempotent) {
    return calls.startRequest(body, timeoutNanos, idempotent, Function.identity(), true);
  }

  /**
   * Sends a packet that expects no answer (REPLY, ERROR, HEARTBEAT...), if the connection it
   * belongs to is still the current one; otherwise it is dropped, since the broker that would
   * route it is gone.
   */
  public void send(Envelope packet, long epoch) {
    loop.execute(() -> {
      if (isCurrent(epoch) && !session.send(packet)) {
        log.debug("dropped {} {}: send queue to broker full", packet.getCommand(), packet.getId());
      }
    });
  }

  /** {@link #send(Envelope, long)} of a packet already encoded. */
  public void send(byte[] body, long epoch) {
    loop.execute(() -> {
      if (isCurrent(epoch) && !session.send(body)) {
        log.debug("dropped a packet of {} bytes: send queue to broker full", body.length);
      }
    });
  }

  private boolean isCurrent(long epoch) {
    return session.isConnectedHere() && session.epoch() == epoch;
  }

  /** Runs {@code task} on the I/O thread: inline when called from it, else queued. */
  public void execute(Runnable task) {
    loop.execute(task);
  }

  /**
   * Publishes {@code message} to {@code topic}: checks and encodes it on the calling thread,
   * then queues it for the I/O thread. See {@link io.zmesh.worker.Publisher#publish}.
   */
  public void publish(String topic, Message message) {
    publishing.publish(topic, message);
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
    TopicSubscription.check(pattern, group);
    if (loop.isClosing()) {
      throw PublishBacklog.closedException();
    }
    TopicSubscription<T> s = new TopicSubscription<>(
        this, calls.newId(), pattern, group, type, handler, executor);
    loop.execute(() -> subscriptions.add(s));
    return s;
  }

  /** Numbers the sessions (HELLO to their end) of this connection; I/O thread only. */
  public long epochOnIoThread() {
    return session.epoch();
  }

  // ------------------------------------------------ for Subscriptions, on the I/O thread

  boolean isConnectedOnIoThread() {
    return session.isConnectedHere();
  }

  boolean isClosingOnIoThread() {
    return loop.isClosingHere();
  }

  boolean sendOnIoThread(Envelope packet) {
    return session.isConnectedHere() && session.send(packet);
  }

  /**
   * Leaves: sends what was published and DISCONNECT if connected, fails what is still pending
   * with CANCELLED, lets the last packets out (up to 1 s) and stops the I/O thread. Idempotent.
   */
  @Override
  public void close() {
    if (loop.isIoThread()) {
      loop.stop();
      return;
    }
    loop.stop();
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
}
