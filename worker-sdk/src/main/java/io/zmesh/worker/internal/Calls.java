package io.zmesh.worker.internal;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.core.internal.DeadlineWheel;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Wire;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Packets that wait for one answer with their id (REQUEST, READY, DRAIN), by id, each with its
 * deadline on a timing wheel read from the connection's {@link Ticker}. A call made while
 * disconnected waits in a local queue, its deadline running, and leaves after the next WELCOME.
 * One still unsent at its deadline fails with UNAVAILABLE, one sent and unanswered with
 * DEADLINE_EXCEEDED.
 *
 * <p>When a session ends, what was sent in it is settled: a REQUEST the new broker refused
 * unread (a DISCONNECT carrying its id) goes out again, and so does an idempotent one; anything
 * else sent fails with UNAVAILABLE, since the broker that would have answered it is gone. A
 * request keeps its body until it ends for that. Requests to workers are bounded per connection
 * ({@link io.zmesh.worker.MeshOptions#maxOutstandingRequests()}): beyond the bound the next
 * fails at once with OVERLOADED, on the calling thread.
 *
 * <p>Threads: {@link #start} is called from any thread and hands the call to the I/O thread;
 * everything else runs there. Futures complete on the callback executor, never on the I/O
 * thread unless the options ask for that, or the call is a blocking one ({@link
 * Connection#call}), whose future carries no user code.
 */
final class Calls {
  /**
   * The broker answers a request whose deadline passed with a message naming the worker and
   * what happened (still queued, never registered, slow). The local timer waits this much
   * longer so that answer usually wins; it only decides when the broker is silent.
   */
  private static final long DEADLINE_GRACE_NANOS = 50 * MS;

  private final Connection connection;
  private final Executor callbacks;
  private final Ticker ticker;
  /** Ids of calls and subscriptions alike, so the two never collide. */
  private final AtomicLong nextId = new AtomicLong();
  /** Bounded requests made and not yet ended; see {@link #startRequest}. */
  private final AtomicInteger outstanding = new AtomicInteger();

  // --- I/O thread only ---
  private final Long2ObjectHashMap<Call<?>> pending = new Long2ObjectHashMap<>();
  private final ArrayDeque<Call<?>> unsent = new ArrayDeque<>();
  private final DeadlineWheel<Call<?>> deadlines;

  Calls(Connection connection, Executor callbacks, Ticker ticker) {
    this.connection = connection;
    this.callbacks = callbacks;
    this.ticker = ticker;
    this.deadlines = new DeadlineWheel<>(4 * MS, 4096, ticker.nanoTime());
  }

  /** A fresh id for a call or a subscription. Any thread. */
  long newId() {
    return nextId.incrementAndGet();
  }

  /** See {@link Connection#request}. Any thread. */
  <T> CompletableFuture<T> start(byte[] body, long timeoutNanos, Function<Envelope, T> decode) {
    return start(body, timeoutNanos, decode, false, false, false);
  }

  /**
   * See {@link Connection#requestBounded}; {@code direct}: {@link Connection#call}, completed on
   * the I/O thread. Any thread.
   */
  <T> CompletableFuture<T> startRequest(byte[] body, long timeoutNanos, boolean idempotent,
      Function<Envelope, T> decode, boolean direct) {
    int max = connection.options().maxOutstandingRequests();
    if (outstanding.incrementAndGet() > max) {
      outstanding.decrementAndGet();
      return CompletableFuture.failedFuture(Status.OVERLOADED.withDescription("this connection"
          + " has " + max + " requests outstanding, its limit"
          + " (MeshOptions.maxOutstandingRequests); retry later").asException());
    }
    return start(body, timeoutNanos, decode, true, idempotent, direct);
  }

  private <T> CompletableFuture<T> start(byte[] body, long timeoutNanos,
      Function<Envelope, T> decode, boolean bounded, boolean idempotent, boolean direct) {
    CallFuture<T> future = new CallFuture<>();
    long due = ticker.nanoTime() + timeoutNanos;
    Call<T> call = new Call<>(newId(), body, future, decode, due, timeoutNanos, bounded,
        idempotent, direct);
    future.call = call;
    connection.loop.execute(() -> begin(call));
    return future;
  }

  // ------------------------------------------------------------ I/O thread only

  private void begin(Call<?> call) {
    if (connection.loop.isClosingHere()) {
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
    if (connection.session.isConnectedHere()) {
      transmit(call, now);
    } else {
      unsent.add(call);
    }
  }

  /** After WELCOME: sends what waited for the connection. */
  void onConnected(long now) {
    Call<?> call;
    while (connection.session.isConnectedHere() && (call = unsent.poll()) != null) {
      transmit(call, now);
    }
  }

  private void transmit(Call<?> call, long now) {
    long remainingMs = Math.max(1, (call.due - now) / MS);
    int timeoutMs = (int) Math.min(remainingMs, 0xFFFF_FFFFL);
    // The body stays until the answer: a broker that restarted may refuse it unread.
    byte[] body = Wire.withIdAndTimeout(call.body, call.id, timeoutMs);
    int limit = connection.session.maxMessageBytes();
    if (body.length > limit) {
      drop(call, Status.INVALID_ARGUMENT.withDescription("message of " + body.length
          + " bytes exceeds the broker's limit of " + limit + " bytes"));
      return;
    }
    if (!connection.session.send(body)) {
      drop(call, Status.OVERLOADED.withDescription("more than " + Sockets.HWM
          + " packets queued for broker " + connection.options().broker()));
      return;
    }
    call.sent = true;
  }

  /** A REPLY or ERROR; false if it answers no call. */
  boolean onAnswer(Envelope packet) {
    Call<?> call = pending.remove(packet.getId());
    if (call == null) {
      return false;
    }
    deadlines.cancel(call);
    if (packet.getCommand() == Command.REPLY) {
      ended(call);
      if (call.direct) {
        call.complete(packet);
      } else {
        callbacks.execute(() -> call.complete(packet));
      }
    } else {
      fail(call, StatusCodec.fromWire(packet.getStatus()));
    }
    return true;
  }

  /**
   * The socket was lost: what was sent on it fails with {@code why}, except idempotent
   * requests, which wait for the next connection (until their deadline) as the unsent do.
   */
  void onLost(Status why) {
    boolean closing = connection.loop.isClosingHere();
    for (Call<?> call : sent()) {
      if (!closing && call.mayRepeat()) {
        resend(call);
      } else {
        drop(call, why);
      }
    }
  }

  /**
   * A new broker answered a packet of the connection it does not know with DISCONNECT carrying
   * its id: a REQUEST refused so was never accepted, and goes out again after the next WELCOME.
   */
  void onRefused(long id) {
    Call<?> call = pending.get(id);
    if (call != null && call.sent && call.bounded && call.body != null) {
      resend(call);
    }
  }

  /**
   * The WELCOME of a session that followed another on the same socket. The broker reads a
   * connection's packets in order, so it refused every request that reached it before this
   * WELCOME; those still counted as sent went to the broker of the session that ended ({@code
   * why}): idempotent ones go out again, the rest fail with UNAVAILABLE.
   */
  void onNewSession(Status why) {
    for (Call<?> call : sent()) {
      if (call.mayRepeat()) {
        resend(call);
      } else {
        drop(call, Status.UNAVAILABLE.withDescription("connection to broker "
            + connection.options().broker() + " lost with the request sent: "
            + why.description()));
      }
    }
  }

  private List<Call<?>> sent() {
    List<Call<?>> sent = new ArrayList<>();
    pending.forEach((id, call) -> {
      if (call.sent) {
        sent.add(call);
      }
    });
    return sent;
  }

  /** Back to the head of the queue for the next WELCOME, its deadline still running. */
  private void resend(Call<?> call) {
    call.sent = false;
    unsent.addFirst(call);
  }

  /** Fails the calls whose deadline (plus the grace) is at or before {@code now}. */
  void expire(long now) {
    deadlines.expire(now, this::onDeadline);
  }

  /** A lower bound on the next deadline; MAX_VALUE when there is none. */
  long nextDeadline() {
    return deadlines.nextTickAt();
  }

  private void onDeadline(Call<?> call) {
    pending.remove(call.id);
    if (call.sent) {
      fail(call, Status.DEADLINE_EXCEEDED.withDescription(
          "no answer within the deadline of " + call.timeoutNanos / MS + " ms"));
    } else {
      unsent.remove(call);
      fail(call, Status.UNAVAILABLE.withDescription("not connected to broker "
          + connection.options().broker() + " before the deadline: "
          + connection.session.lastLoss().description()));
    }
  }

  private void cancel(Call<?> call) {
    if (pending.remove(call.id) == null) {
      return;
    }
    ended(call);
    deadlines.cancel(call);
    unsent.remove(call);
    if (call.sent && connection.session.isConnectedHere()) {
      connection.session.send(Envelope.newBuilder().setCommand(Command.CANCEL).setId(call.id)
          .build());
    }
  }

  /** Fails every call, sent or not. */
  void failAll(Status why) {
    List<Call<?>> all = new ArrayList<>(pending.values());
    pending.clear();
    unsent.clear();
    for (Call<?> call : all) {
      deadlines.cancel(call);
      fail(call, why);
    }
  }

  private void drop(Call<?> call, Status why) {
    unsent.remove(call);
    pending.remove(call.id);
    deadlines.cancel(call);
    fail(call, why);
  }

  /** {@code call} has its outcome: it no longer counts against the bound, nor holds its body. */
  private void ended(Call<?> call) {
    call.body = null;
    if (call.counted) {
      call.counted = false;
      outstanding.decrementAndGet();
    }
  }

  private void fail(Call<?> call, Status why) {
    ended(call);
    MeshException e = why.asException();
    if (call.direct) {
      call.future.completeExceptionally(e);
      return;
    }
    try {
      callbacks.execute(() -> call.future.completeExceptionally(e));
    } catch (RuntimeException rejected) {
      call.future.completeExceptionally(e);
    }
  }

  /** A call's future; cancelling it tells the broker, which tells the worker. */
  private final class CallFuture<T> extends CompletableFuture<T> {
    Call<T> call;

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        connection.loop.execute(() -> Calls.this.cancel(call));
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
    /**
     * A REQUEST to a worker ({@link Calls#startRequest}): counted against the bound, and sent
     * again when a new broker refused it unread. READY and DRAIN belong to their session.
     */
    final boolean bounded;
    /** May run twice: sent again to a new broker if the old one took it with it. */
    final boolean idempotent;
    /** Completed on the I/O thread: a blocking call's future, which carries no user code. */
    final boolean direct;
    /** The packet, without id and timeout, until the call ends. */
    byte[] body;
    boolean sent;
    /** Still counted against the bound. */
    boolean counted;

    Call(long id, byte[] body, CompletableFuture<T> future, Function<Envelope, T> decode,
        long due, long timeoutNanos, boolean bounded, boolean idempotent, boolean direct) {
      this.id = id;
      this.direct = direct;
      this.body = body;
      this.future = future;
      this.decode = decode;
      this.due = due;
      this.timeoutNanos = timeoutNanos;
      this.bounded = bounded;
      this.idempotent = idempotent;
      this.counted = bounded;
    }

    /** Safe to send once more after its broker was lost with it. */
    boolean mayRepeat() {
      return bounded && idempotent && body != null;
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
