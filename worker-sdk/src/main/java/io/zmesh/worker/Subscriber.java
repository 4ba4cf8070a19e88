package io.zmesh.worker;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;

/**
 * Subscribes to topics. Implemented by {@link Worker} and {@link MeshClient}; thread-safe.
 *
 * <p>A pattern is a topic whose tokens may be {@code *} (exactly one token) and whose last
 * token may be {@code >} (one or more tokens): {@code chat.*} matches {@code chat.lobby},
 * {@code chat.>} also matches {@code chat.lobby.1}. docs/protocol.md ("Names and grammars")
 * has the grammar.
 *
 * <p>Threads and order: handlers run on the worker's handler executor, or on the client's
 * callback executor ({@link MeshOptions.Builder#callbackExecutor}), never on the I/O thread.
 * Each subscription is handled one message at a time, in the order the messages arrived, which
 * for one publisher on one topic is the order they were published. Different subscriptions run
 * independently (at the same time, if the executor has the threads). A handler that blocks holds
 * one executor thread: on a {@link MeshClient} with its default single callback thread it delays
 * the client's other callbacks too.
 *
 * <p>Flow control and gaps: the broker sends each subscription at most its budget of messages
 * (and bytes) not yet handled; the SDK returns credit as handlers finish. While a subscription
 * has more than an eighth of its budget outstanding the broker holds its publishers back, so a
 * subscriber that keeps reading loses nothing. One whose handler stalls (no credit for the
 * broker's slow-subscriber timeout) is cut off: it loses messages at the broker rather than
 * slowing the publisher or other subscribers; the count of messages lost just before a message
 * is its {@link MessageContext#dropped()}, and {@link Subscription#dropped()} is the sum. Messages published
 * while the connection is down, or before {@link Subscription#ready()} completes, are not
 * delivered.
 *
 * <p>Reconnects: the SDK subscribes again to every open subscription after each reconnect,
 * including after a broker restart.
 */
public interface Subscriber {
  /**
   * Subscribes to every message published to a topic matching {@code pattern} (broadcast: each
   * broadcast subscription gets its own copy).
   *
   * @param type the class handlers receive; a message of another type is skipped and counted
   *     (logged at debug level), never passed to the handler. {@code Any.class} accepts every
   *     message undecoded.
   * @return the open subscription; see {@link Subscription#ready()} for when it takes effect
   * @throws MeshException {@link Code#INVALID_ARGUMENT}, synchronously, for an invalid pattern
   */
  default <T extends Message> Subscription subscribe(
      String pattern, Class<T> type, MessageHandler<T> handler) {
    return subscribe(pattern, "", type, handler);
  }

  /**
   * Subscribes as a member of {@code group}: subscriptions with the same group name and pattern
   * share the messages, each message going to one member (the one with the fewest messages
   * outstanding). An empty group is a broadcast subscription, as {@link #subscribe(String,
   * Class, MessageHandler)}; a group name is otherwise up to 256 printable ASCII characters.
   *
   * @throws MeshException {@link Code#INVALID_ARGUMENT}, synchronously, for an invalid pattern
   *     or group name
   */
  <T extends Message> Subscription subscribe(
      String pattern, String group, Class<T> type, MessageHandler<T> handler);
}
