package io.zmesh.metrics;

import io.zmesh.broker.Broker;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.ListWorkersReply;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one scrape reads from the broker, asked once per scrape and shared by every metric of
 * it: each read is a task on the broker's loop thread, so a scrape asks twice, not once per
 * metric. A broker that does not answer within a second leaves those metrics out of that
 * scrape rather than holding it.
 */
final class ScrapeSnapshot {
  private static final Logger log = LoggerFactory.getLogger(ScrapeSnapshot.class);
  /** Reads within this long of each other are one scrape's. */
  private static final long SAME_SCRAPE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final long TIMEOUT_MS = 1_000;

  private volatile Broker broker;
  private long readAt;
  private Optional<ListWorkersReply> workers = Optional.empty();
  private Optional<BrokerStats> stats = Optional.empty();

  void watch(Broker broker) {
    this.broker = broker;
  }

  synchronized Optional<ListWorkersReply> workers() {
    refresh();
    return workers;
  }

  synchronized Optional<BrokerStats> stats() {
    refresh();
    return stats;
  }

  private void refresh() {
    long now = System.nanoTime();
    if (readAt != 0 && now - readAt < SAME_SCRAPE_NANOS) {
      return;
    }
    readAt = now;
    Broker b = broker;
    workers = b == null ? Optional.empty() : read(b.workers());
    stats = b == null ? Optional.empty() : read(b.stats());
  }

  private static <T> Optional<T> read(CompletableFuture<T> future) {
    try {
      return Optional.of(future.get(TIMEOUT_MS, TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (Exception e) {
      log.debug("broker did not answer a scrape: {}", e.toString());
      return Optional.empty();
    }
  }
}
