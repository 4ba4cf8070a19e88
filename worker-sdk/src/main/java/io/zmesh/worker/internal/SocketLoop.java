package io.zmesh.worker.internal;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.Status;
import io.zmesh.core.internal.Ticker;
import io.zmesh.core.transport.SocketWaiter;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O thread of a {@link Connection}: the one thread that touches its socket ({@link
 * Session}) and the tables of its calls and subscriptions. Other threads hand it work through
 * {@link #execute} and wake it through the selector it sleeps in ({@link SocketWaiter}), once
 * per idle period.
 *
 * <p>One pass: sleep until the socket has input, work is handed in, or the next timer is due on
 * the connection's {@link Ticker}; run the tasks handed in; send queued publishes ({@link
 * PublishPump}); read up to a batch of packets; send the credit subscriptions returned; fire
 * call deadlines ({@link Calls}) and the session's timers. While packets keep coming it passes
 * again without sleeping.
 */
final class SocketLoop {
  private static final Logger log = LoggerFactory.getLogger(SocketLoop.class);

  private final Connection connection;
  private final Ticker ticker;
  private final SocketWaiter waiter;
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean closing;
  /**
   * Passes completed. A test that moves an injected clock knows the timers have run at the new
   * time once two more passes have completed after the move (the first may have begun before).
   */
  private final AtomicLong passes = new AtomicLong();
  /** I/O thread only. */
  private boolean running = true;

  SocketLoop(Connection connection, SocketWaiter waiter, Ticker ticker) {
    this.connection = connection;
    this.waiter = waiter;
    this.ticker = ticker;
    this.thread = new Thread(this::run, "zmesh-" + connection.options().clientName() + "-io");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  boolean isIoThread() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the I/O thread: inline when called from it, else queued. */
  void execute(Runnable task) {
    if (isIoThread()) {
      task.run();
      return;
    }
    tasks.add(task);
    wake();
  }

  void wake() {
    // One wake-up per idle period: the I/O thread clears the flag before it looks at its queues
    // and goes to sleep, so work added after that look always wakes it.
    if (wakePending.compareAndSet(false, true)) {
      waiter.wake();
    }
  }

  /** Whether {@link #stop} was called or the I/O thread is shutting down. Any thread. */
  boolean isClosing() {
    return closing;
  }

  /** See {@link #passes}. Any thread. */
  long passes() {
    return passes.get();
  }

  /** As {@link #isClosing}, or the loop has ended. I/O thread only. */
  boolean isClosingHere() {
    return closing || !running;
  }

  private void run() {
    Session session = connection.session;
    try {
      session.open(ticker.nanoTime());
      boolean busy = false;
      while (running) {
        if (!busy) {
          wakePending.set(false);
          if (tasks.isEmpty() && !connection.publishing.canSend()) {
            waiter.await(session.socket(), pollTimeoutMillis(ticker.nanoTime()));
          }
        }
        runTasks();
        if (!running) {
          break;
        }
        int published = connection.publishing.send();
        busy = session.socket() != null && session.receive() > 0;
        busy |= published == PublishPump.BATCH;
        connection.subscriptions.flushCredit();
        long now = ticker.nanoTime();
        connection.calls.expire(now);
        session.onTimers(now, closing);
        passes.lazySet(passes.get() + 1); // one writer: a release store suffices
      }
    } catch (RuntimeException | Error e) {
      log.error("I/O thread of {} failed", connection.options().clientName(), e);
      connection.calls.failAll(Status.INTERNAL.withDescription("I/O thread failed: " + e));
    } finally {
      connection.publishing.close();
      connection.subscriptions.closeAll(Status.CANCELLED.withDescription("connection closed"));
      session.close();
      waiter.close();
      stopped.countDown();
    }
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

  private long pollTimeoutMillis(long now) {
    if (!tasks.isEmpty()) {
      return 0;
    }
    if (connection.publishing.isBlocked()) {
      // The socket's queue was full; the descriptor does not say when it has room again.
      return 1;
    }
    long wakeAt = Math.min(connection.calls.nextDeadline(), connection.session.nextTimerAt());
    if (wakeAt == Long.MAX_VALUE) {
      return -1;
    }
    long delta = wakeAt - now;
    return delta <= 0 ? 0 : (delta + MS - 1) / MS;
  }

  /**
   * Stops the loop from another thread and waits (up to 10 s) for it: the I/O thread sends what
   * was published, DISCONNECT if connected, fails what is pending and gives the last packets up
   * to 1 s to leave. From the I/O thread itself it only begins that, since it cannot wait for
   * itself. Idempotent.
   */
  void stop() {
    if (isIoThread()) {
      shutdown();
      return;
    }
    synchronized (this) {
      if (!closing) {
        closing = true;
        if (thread.isAlive()) {
          execute(this::shutdown);
        } else {
          stopped.countDown();
        }
      }
    }
    try {
      if (thread.isAlive() && !stopped.await(10, TimeUnit.SECONDS)) {
        log.warn("I/O thread of {} did not stop within 10 s", connection.options().clientName());
      }
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void shutdown() {
    if (!running) {
      return;
    }
    closing = true;
    connection.publishing.close();
    connection.subscriptions.closeAll(Status.CANCELLED.withDescription("connection closed"));
    if (connection.session.isConnectedHere()) {
      // What was published before close goes out ahead of the goodbye.
      connection.publishing.sendAll();
    }
    connection.session.leave();
    connection.calls.failAll(Status.CANCELLED.withDescription("connection closed"));
    running = false;
  }
}
