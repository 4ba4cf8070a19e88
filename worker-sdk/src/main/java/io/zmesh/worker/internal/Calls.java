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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Packets that wait for one answer with their id (REQUEST, READY, DRAIN), by id, each with its
 * deadline on a timing wheel read from the connection's {@link Ticker}. A call made while
 * disconnected waits in a local queue, its deadline running, and leaves after the next WELCOME.
 * A call sent on a socket that is lost fails with UNAVAILABLE at once; one still unsent at its
 * deadline fails with UNAVAILABLE, one sent and unanswered with DEADLINE_EXCEEDED.
 *
 * <p>Threads: {@link #start} is called from any thread and hands the call to the I/O thread;
 * everything else runs there. Futures complete on the callback executor, never on the I/O
 * thread unless the options ask for that.
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

  /**
   * See {@link Connection#request}; {@code direct}: {@link Connection#call}, completed on the
   * I/O thread. Any thread.
   */
  <T> CompletableFuture<T> start(byte[] body, long timeoutNanos, Function<Envelope, T> decode,
      boolean direct) {
    CallFuture<T> future = new CallFuture<>();
    long due = ticker.nanoTime() + timeoutNanos;
    Call<T> call = new Call<>(newId(), body, future, decode, due, timeoutNanos, direct);
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
    byte[] body = Wire.withIdAndTimeout(call.body, call.id, timeoutMs);
    call.body = null;
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

  /** The socket was lost: what was sent on it fails with {@code why}; the rest keeps waiting. */
  void onLost(Status why) {
    List<Call<?>> lost = new ArrayList<>();
    pending.forEach((id, call) -> {
      if (call.sent) {
        lost.add(call);
      }
    });
    for (Call<?> call : lost) {
      drop(call, why);
    }
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
    pending.remove(call.id);
    deadlines.cancel(call);
    fail(call, why);
  }

  private void fail(Call<?> call, Status why) {
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
    /** Completed on the I/O thread: a blocking call's future, which carries no user code. */
    final boolean direct;
    /** The packet, without id and timeout, until it is sent. */
    byte[] body;
    boolean sent;

    Call(long id, byte[] body, CompletableFuture<T> future, Function<Envelope, T> decode,
        long due, long timeoutNanos, boolean direct) {
      this.id = id;
      this.direct = direct;
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
