package io.zmesh.worker;

import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.core.internal.Ticker;
import io.zmesh.worker.internal.Connection;
import io.zmesh.worker.internal.IncomingRequest;
import io.zmesh.worker.internal.Payloads;
import io.zmesh.worker.internal.Threads;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's side of its connection: the requests routed to it, and the connection's comings
 * and goings, which it passes on to the {@link Registration}.
 *
 * <p>On the I/O thread it finds a request's handler by the payload's type name (answering
 * INVALID_ARGUMENT right there for a type without one) and hands the request, as a {@link
 * HandledRequest}, to the handler executor: {@code concurrency} threads of its own unless the
 * builder gave one, which is never shut down here. The answer goes back through the I/O thread
 * tagged with the epoch of the connection the request came on, so an answer to a request of an
 * earlier connection is dropped rather than sent to a broker that never saw it.
 *
 * <p>Counts the requests received and not yet answered, on any connection, for the drain.
 */
final class Dispatcher implements Connection.Listener {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  /** Longest sleep of the drain between two looks at the clock. */
  static final long CLOCK_CHECK_NANOS = 20 * Ticker.MS;

  final Worker worker;
  private final Map<String, TypedHandler<?, ?>> handlers;
  final Executor executor;
  private final ExecutorService ownedExecutor;
  /** The worker's clock: request deadlines and the drain timeout. */
  final Ticker ticker;
  /** Requests of the current connection being handled, by id. I/O thread only. */
  private final Long2ObjectHashMap<HandledRequest> inFlight = new Long2ObjectHashMap<>();
  private final Object unansweredMonitor = new Object();
  /** Requests received and not yet answered, on any connection; guarded by unansweredMonitor. */
  private int unanswered;

  /** @param executor where handlers run; null for {@code concurrency} threads owned here */
  Dispatcher(Worker worker, Map<String, TypedHandler<?, ?>> handlers, Executor executor,
      Ticker ticker) {
    this.worker = worker;
    this.handlers = handlers;
    this.ticker = ticker;
    if (executor != null) {
      this.executor = executor;
      this.ownedExecutor = null;
    } else {
      this.ownedExecutor = Executors.newFixedThreadPool(
          worker.concurrency(), Threads.daemon("zmesh-" + worker.name() + "-handler"));
      this.executor = ownedExecutor;
    }
  }

  @Override
  public void onConnected(Connection connection) {
    worker.registration.send();
  }

  @Override
  public void onDisconnected(Connection connection, Status why) {
    worker.registration.onDisconnected();
    // Their answers would go to a broker that no longer knows them: let handlers see that.
    inFlight.forEach((id, r) -> r.cancelled = true);
    inFlight.clear();
  }

  @Override
  public void onRequest(Connection connection, IncomingRequest request, long epoch) {
    String type = request.typeName();
    TypedHandler<?, ?> handler = handlers.get(type);
    if (handler == null) {
      connection.send(StatusCodec.error(request.id(), Code.INVALID_ARGUMENT,
          "worker '" + worker.name() + "' has no handler for "
              + (type.isEmpty() ? "<no type>" : type) + "; it handles " + handlers.keySet()),
          epoch);
      return;
    }
    HandledRequest r = new HandledRequest(this, connection, request, epoch);
    inFlight.put(request.id(), r);
    synchronized (unansweredMonitor) {
      unanswered++;
    }
    try {
      executor.execute(() -> r.run(handler));
    } catch (RejectedExecutionException e) {
      r.finish(StatusCodec.error(request.id(), Code.UNAVAILABLE,
          "worker '" + worker.name() + "' is shutting down"));
    }
  }

  @Override
  public void onCancel(Connection connection, long id) {
    HandledRequest r = inFlight.get(id);
    if (r != null) {
      r.cancelled = true;
    }
  }

  /** Sends {@code answer} to {@code r}, from any thread. */
  void answer(HandledRequest r, byte[] answer) {
    long id = r.request.id();
    r.connection.execute(() -> {
      r.connection.send(answer, r.epoch);
      if (inFlight.get(id) == r) {
        inFlight.remove(id);
      }
    });
    synchronized (unansweredMonitor) {
      if (--unanswered == 0) {
        unansweredMonitor.notifyAll();
      }
    }
  }

  /** Requests received and not yet answered. */
  int unanswered() {
    synchronized (unansweredMonitor) {
      return unanswered;
    }
  }

  /**
   * Waits until every request received is answered or the worker's clock passes {@code end},
   * which is {@code timeout} after the drain began. Looks at the clock at least every {@link
   * #CLOCK_CHECK_NANOS}, so that the wait also ends when an injected clock is moved past it.
   */
  void awaitAnswered(long end, Duration timeout) throws InterruptedException {
    synchronized (unansweredMonitor) {
      while (unanswered > 0) {
        long left = end - ticker.nanoTime();
        if (left <= 0) {
          log.warn("worker '{}' closing with {} requests still in flight after {} ms",
              worker.name(), unanswered, timeout.toMillis());
          return;
        }
        TimeUnit.NANOSECONDS.timedWait(unansweredMonitor, Math.min(left, CLOCK_CHECK_NANOS));
      }
    }
  }

  /** Stops the handler threads owned here (interrupting handlers still running). */
  void shutdown() {
    if (ownedExecutor != null) {
      ownedExecutor.shutdownNow();
    }
  }
}
