package io.zmesh.worker;

import com.google.protobuf.Message;
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
 */
public final class MeshClient implements Requester, AutoCloseable {
  private final Connection connection;
  private final MeshOptions options;

  private MeshClient(MeshOptions options) {
    this.options = options;
    this.connection = new Connection(options, new Connection.Listener() {});
    connection.start();
  }

  /** Connects to {@code broker} with default options. Returns at once; see the class doc. */
  public static MeshClient connect(String broker) {
    return connect(MeshOptions.builder().broker(broker).build());
  }

  public static MeshClient connect(MeshOptions options) {
    return new MeshClient(Objects.requireNonNull(options, "options"));
  }

  @Override
  public <R extends Message> CompletableFuture<R> request(
      String worker, Message request, Class<R> replyType, CallOptions options) {
    return Payloads.request(connection, worker, request, replyType, options);
  }

  @Override
  public CallOptions callOptions() {
    return options.callOptions();
  }

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

  /** Says goodbye to the broker and stops; pending requests fail with {@link Code#CANCELLED}. */
  @Override
  public void close() {
    connection.close();
  }
}
