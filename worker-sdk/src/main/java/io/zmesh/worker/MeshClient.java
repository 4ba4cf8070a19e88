package io.zmesh.worker;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.worker.internal.Connection;
import io.zmesh.worker.internal.Payloads;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to the broker for processes that are not workers: gateways, tools, tests.
 *
 * <pre>{@code
 * try (MeshClient client = MeshClient.connect("tcp://127.0.0.1:5555")) {
 *   PostAck ack = client.call("chat", post, PostAck.class);
 * }
 * }</pre>
 *
 * <p>Threads: one I/O thread owns the socket; futures complete on the callback executor (a
 * single thread owned by the client unless {@link MeshOptions.Builder#callbackExecutor} gives
 * one). All methods are thread-safe. If the broker goes away the client reconnects by itself;
 * requests made meanwhile wait for the connection until their deadline, then fail with {@link
 * Code#UNAVAILABLE}.
 *
 * <p>Topics: {@link #publish} queues the message (blocking only while the publish backlog is
 * full) and the I/O thread sends it; subscription handlers run on the callback executor, each
 * subscription one message at a time in arrival order. With the default single callback thread
 * a handler that blocks also delays the client's request futures and other subscriptions: give
 * {@link MeshOptions.Builder#callbackExecutor} more threads, or hand slow work off, if that
 * matters. Subscriptions are renewed after every reconnect.
 *
 * <pre>{@code
 * Subscription s = client.subscribe("chat.room.*", Posted.class,
 *     (posted, ctx) -> System.out.println(ctx.topic() + ": " + posted.getLine().getText()));
 * s.ready().join();
 * client.publish("chat.room.lobby", posted);
 * }</pre>
 */
public final class MeshClient implements Requester, Publisher, Subscriber, AutoCloseable {
  private final Connection connection;
  private final MeshOptions options;

  private MeshClient(MeshOptions options) {
    this.options = options;
    this.connection = new Connection(options, new Connection.Listener() {}, options.ticker());
    connection.start();
  }

  /** Connects to {@code broker} with default options. Returns at once; see the class doc. */
  public static MeshClient connect(String broker) {
    return connect(MeshOptions.builder().broker(broker).build());
  }

  /** Connects with {@code options}. Returns at once; see the class doc. */
  public static MeshClient connect(MeshOptions options) {
    return new MeshClient(Objects.requireNonNull(options, "options"));
  }

  @Override
  public <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.request(connection, worker, request, replyType, options);
  }

  /** Blocks on a future that the I/O thread completes itself: one thread hand-off fewer. */
  @Override
  public <R extends Message> R call(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.call(connection, worker, request, replyType, options);
  }

  @Override
  public CallOptions callOptions() {
    return options.callOptions();
  }

  @Override
  public void publish(String topic, Message message) {
    connection.publish(topic, message);
  }

  /** Handlers run on the callback executor. */
  @Override
  public <T extends Message> Subscription subscribe(
      String pattern, String group, Class<T> type, MessageHandler<T> handler) {
    return connection.subscribe(pattern, group, type, handler, connection.callbackExecutor());
  }

  /** The options the client was made with. */
  public MeshOptions options() {
    return options;
  }

  /** Whether the broker has answered this client's handshake on the current connection. */
  public boolean isConnected() {
    return connection.isConnected();
  }

  /**
   * Waits until connected.
   *
   * @return false if {@code timeout} passed first
   */
  public boolean awaitConnected(Duration timeout) throws InterruptedException {
    return connection.awaitConnected(timeout);
  }

  /**
   * Says goodbye to the broker and stops: messages already published are sent first,
   * subscriptions end (no handler call starts afterwards), pending requests fail with {@link
   * Code#CANCELLED}.
   */
  @Override
  public void close() {
    connection.close();
  }
}
