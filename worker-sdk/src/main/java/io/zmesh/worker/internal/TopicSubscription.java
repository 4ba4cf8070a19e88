package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.Topics;
import io.zmesh.worker.MessageHandler;
import io.zmesh.worker.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A subscription and its serial dispatch. The I/O thread appends {@link QueuedMessage} nodes to a
 * single-producer single-consumer linked queue; at most one drain task at a time runs on the
 * executor, calling the handler for each node in order and owing credit for it. Credit goes back
 * to the broker (through the I/O thread) once 1/64 of the granted budget is owed or the queue is
 * empty, so the queue never holds more than the budget of the current connection.
 */
final class TopicSubscription<T extends Message> implements Subscription {
  private static final Logger log = LoggerFactory.getLogger(TopicSubscription.class);
  /** The protocol's default budget, assumed when a REPLY does not say what it granted. */
  static final int BROKER_DEFAULT_MESSAGES = Topics.DEFAULT_BUDGET_MESSAGES;
  static final long BROKER_DEFAULT_BYTES = Topics.DEFAULT_BUDGET_BYTES;
  /**
   * Credit is returned when this fraction of the budget is owed: well below the sixteenth at
   * which the broker lets publishers waiting for a subscription go on, so that they go on while
   * the queue still holds messages, not only once it has run empty.
   */
  private static final int CREDIT_FRACTION = 64;
  /** Messages one drain task handles before it yields its executor thread to others. */
  private static final int DRAIN_BATCH = 256;

  private static final int IDLE = 0;
  private static final int CALLING = 1;
  private static final int CLOSED = 2;

  final long id;
  private final Connection connection;
  private final String pattern;
  private final String group;
  private final Class<T> type;
  private final MessageHandler<T> handler;
  private final Executor executor;
  private final String typeName;
  /** Sent again, unchanged, after every new WELCOME. */
  final Envelope subscribe;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  /** IDLE or CALLING while open; a handler call starts only by moving IDLE to CALLING. */
  private final AtomicInteger state = new AtomicInteger(IDLE);
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Runnable drainTask = this::drain;

  // --- I/O thread only
  private QueuedMessage tail;
  /** The topic of the last message: most subscriptions see few topics, so few strings. */
  private String lastTopic;
  /** The connection epoch the last SUBSCRIBE went out on; 0 for none. */
  long subscribedEpoch;
  boolean accepted;

  // --- the drain task only (one at a time; the scheduled flag orders them)
  private QueuedMessage head;
  private long owedMessages;
  private long owedBytes;
  private long owedSkipped;
  private long owedEpoch;
  // Credit handed to the I/O thread and not yet sent; I/O thread only (see Subscriptions).
  long creditEpoch = -1;
  long creditMessagesDue;
  long creditBytesDue;
  long creditSkippedDue;
  boolean creditQueued;
  private long gap;

  // --- written by the I/O thread when the broker grants a budget, read by the drain task
  private volatile long creditMessages = BROKER_DEFAULT_MESSAGES / CREDIT_FRACTION;
  private volatile long creditBytes = BROKER_DEFAULT_BYTES / CREDIT_FRACTION;

  // --- written by the drain task only, read by anyone
  private volatile long delivered;
  private volatile long dropped;
  private volatile long skipped;

  TopicSubscription(Connection connection, long id, String pattern, String group, Class<T> type,
      MessageHandler<T> handler, Executor executor) {
    this.connection = connection;
    this.id = id;
    this.pattern = pattern;
    this.group = group;
    this.type = type;
    this.handler = handler;
    this.executor = executor;
    Subscribe.Builder body = Subscribe.newBuilder()
        .setPattern(pattern)
        .setGroup(group)
        .setBudgetMessages(connection.options().subscriptionBudgetMessages())
        .setBudgetBytes(connection.options().subscriptionBudgetBytes());
    if (type == Any.class) {
      this.typeName = "";
    } else {
      Message prototype = Payloads.defaultInstance(type);
      this.typeName = prototype.getDescriptorForType().getFullName();
      body.setMessageType(typeName)
          .setDescriptors(Payloads.descriptorSet(List.of(prototype.getDescriptorForType())));
    }
    this.subscribe = Envelope.newBuilder()
        .setCommand(Command.SUBSCRIBE)
        .setId(id)
        .setSubscribe(body)
        .build();
    QueuedMessage sentinel = QueuedMessage.sentinel();
    this.head = sentinel;
    this.tail = sentinel;
  }

  /**
   * Checks a pattern and group name as the broker does: a group name is at most a topic's
   * length, of printable ASCII.
   *
   * @throws MeshException INVALID_ARGUMENT naming the problem
   */
  static void check(String pattern, String group) {
    String problem = Topics.checkPattern(pattern);
    if (problem == null && !group.isEmpty()) {
      problem = Topics.checkGroup(group); // as the broker checks it
    }
    if (problem != null) {
      throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
    }
  }

  @Override
  public String pattern() {
    return pattern;
  }

  @Override
  public String group() {
    return group;
  }

  @Override
  public long delivered() {
    return delivered;
  }

  @Override
  public long dropped() {
    return dropped;
  }

  @Override
  public long skipped() {
    return skipped;
  }

  /** A copy, so a caller completing or cancelling it changes nothing here. */
  @Override
  public CompletableFuture<Void> ready() {
    return ready.copy();
  }

  boolean isClosed() {
    return state.get() == CLOSED;
  }

  @Override
  public void close() {
    if (state.getAndSet(CLOSED) == CLOSED) {
      return;
    }
    connection.execute(() -> connection.subscriptions.remove(this));
    failReady(Status.CANCELLED.withDescription("subscription to '" + pattern + "' closed"));
    // Frees what is queued: the drain task drops it without calling the handler.
    schedule();
  }

  /** Closes without telling the broker (it refused, or the connection is closing). */
  void closeQuietly(Status why) {
    state.set(CLOSED);
    failReady(why);
  }

  private void failReady(Status why) {
    if (!ready.isDone()) {
      MeshException e = why.asException();
      Threads.runOn(connection.callbackExecutor(), () -> ready.completeExceptionally(e));
    }
  }

  // ---------------------------------------------------------------- I/O thread

  /** The broker accepted the SUBSCRIBE sent on the current connection. */
  void onAccepted(Subscribe granted) {
    accepted = true;
    long messages = granted.getBudgetMessages() > 0
        ? granted.getBudgetMessages() : BROKER_DEFAULT_MESSAGES;
    long bytes = granted.getBudgetBytes() > 0 ? granted.getBudgetBytes() : BROKER_DEFAULT_BYTES;
    creditMessages = Math.max(1, messages / CREDIT_FRACTION);
    creditBytes = Math.max(1, bytes / CREDIT_FRACTION);
    if (!ready.isDone()) {
      Threads.runOn(connection.callbackExecutor(), () -> ready.complete(null));
    }
  }

  /** The topic in {@code frame} as a string, the previous one's if they are the same. */
  String topic(byte[] frame, int start, int length) {
    String last = lastTopic;
    if (last != null && last.length() == length) {
      int i = 0;
      while (i < length && last.charAt(i) == (frame[start + i] & 0xff)) {
        i++;
      }
      if (i == length) {
        return last;
      }
    }
    lastTopic = new String(frame, start, length, StandardCharsets.ISO_8859_1);
    return lastTopic;
  }

  void enqueue(QueuedMessage d) {
    append(d);
    schedule();
  }

  /** Appends without scheduling the drain: the messages of a batch, then {@link #enqueue}. */
  void append(QueuedMessage d) {
    tail.next = d; // the volatile write publishes d's fields to the drain task
    tail = d;
  }

  // ---------------------------------------------------------------- drain task

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(drainTask);
      } catch (RejectedExecutionException e) {
        // The worker is shutting down its executor: nothing will run the handler again. The
        // flag stays set so nothing is submitted again; the budget bounds what still queues.
        state.set(CLOSED);
        log.debug("subscription to '{}' stopped: executor refused work", pattern);
      }
    }
  }

  private QueuedMessage poll() {
    QueuedMessage h = head;
    QueuedMessage n = h.next;
    if (n == null) {
      return null;
    }
    head = n;
    h.next = null; // a context kept by a handler must not keep the rest of the queue alive
    return n;
  }

  private void drain() {
    int handled = 0;
    while (true) {
      QueuedMessage d;
      while ((d = poll()) != null) {
        if (state.get() != CLOSED) {
          owe(d, !dispatch(d));
        }
        if (++handled == DRAIN_BATCH && head.next != null) {
          // Yield the thread (a client's only callback thread, say) and continue later.
          try {
            executor.execute(drainTask);
            return;
          } catch (RejectedExecutionException e) {
            state.set(CLOSED);
          }
        }
      }
      flushCredit();
      scheduled.set(false);
      if (head.next == null || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }

  /** Hands {@code d} to the handler; false when it was skipped instead. */
  private boolean dispatch(QueuedMessage d) {
    gap += d.dropped;
    if (d.dropped > 0) {
      dropped = dropped + d.dropped;
    }
    T message;
    try {
      if (d.typeUrlStart < 0) {
        skipped = skipped + 1; // the payload does not scan; logged by the I/O thread
        return false;
      }
      message = Payloads.unpack(d.frame, d.typeUrlStart, d.typeUrlLength, d.valueStart,
          d.valueLength, type, "message");
    } catch (MeshException e) {
      skipped = skipped + 1;
      log.debug("subscription to '{}' skipped a message on '{}': {}", pattern, d.topic,
          e.status().description());
      return false;
    }
    if (!state.compareAndSet(IDLE, CALLING)) {
      return true; // closed meanwhile: neither handled nor skipped for a wrong type
    }
    d.dropped = gap;
    gap = 0;
    delivered = delivered + 1;
    try {
      handler.onMessage(message, d);
    } catch (Exception | Error e) {
      log.warn("handler of subscription to '{}' failed on a message on '{}'", pattern, d.topic, e);
    } finally {
      state.compareAndSet(CALLING, IDLE);
    }
    return true;
  }

  private void owe(QueuedMessage d, boolean skippedIt) {
    if (d.epoch != owedEpoch) {
      // Credit for a connection that is gone means nothing to the broker of the new one.
      owedEpoch = d.epoch;
      owedMessages = 0;
      owedBytes = 0;
      owedSkipped = 0;
    }
    owedMessages++;
    owedBytes += d.bytes;
    if (skippedIt) {
      owedSkipped++;
    }
    if (owedMessages >= creditMessages || owedBytes >= creditBytes) {
      flushCredit();
    }
  }

  private void flushCredit() {
    if (owedMessages == 0 || state.get() == CLOSED) {
      return;
    }
    long messages = owedMessages;
    long bytes = owedBytes;
    long skippedNow = owedSkipped;
    long epoch = owedEpoch;
    owedMessages = 0;
    owedBytes = 0;
    owedSkipped = 0;
    connection.execute(
        () -> connection.subscriptions.credit(this, epoch, messages, bytes, skippedNow));
  }

  @Override
  public String toString() {
    return "Subscription{pattern=" + pattern + (group.isEmpty() ? "" : ", group=" + group)
        + ", type=" + (typeName.isEmpty() ? "any" : typeName) + ", delivered=" + delivered
        + ", dropped=" + dropped + ", skipped=" + skipped + "}";
  }
}
