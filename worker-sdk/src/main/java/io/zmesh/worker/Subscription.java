package io.zmesh.worker;

import io.zmesh.Code;
import io.zmesh.MeshException;
import java.util.concurrent.CompletableFuture;

/**
 * An open subscription, made by {@link Subscriber#subscribe}. Thread-safe. Lives until {@link
 * #close()} or until its {@link Worker} or {@link MeshClient} is closed; the SDK renews it at the
 * broker after every reconnect.
 */
public interface Subscription extends AutoCloseable {
  /** The pattern subscribed to. */
  String pattern();

  /** The group, or the empty string for a broadcast subscription. */
  String group();

  /** Messages handed to the handler so far (including calls that threw). */
  long delivered();

  /** Messages the broker dropped for this subscription so far: the sum of the gaps. */
  long dropped();

  /**
   * Messages this subscription received but did not hand to the handler: of another type than
   * the one subscribed, or a payload that does not parse. Reported to the broker with the
   * credit, so {@code zmesh ls --topics} shows them too.
   */
  long skipped();

  /**
   * Completes when the broker has accepted the subscription for the first time (it is not
   * renewed after a reconnect), on the callback executor. Fails with {@link MeshException}
   * {@link Code#INVALID_ARGUMENT} if the broker refused it (the subscription is then closed),
   * or {@link Code#CANCELLED} if it was closed first.
   */
  CompletableFuture<Void> ready();

  /**
   * Unsubscribes. No handler call starts after close returns (one already running finishes).
   * Idempotent; may be called from the handler itself.
   */
  @Override
  void close();
}
