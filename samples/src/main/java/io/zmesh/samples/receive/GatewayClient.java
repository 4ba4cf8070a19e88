package io.zmesh.samples.receive;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A program's WebSocket client of the gateway, on the JDK's {@link WebSocket}: sends text
 * frames in order and hands each received frame to a consumer, or queues it for {@link #next}.
 * Reading can be paused, which stops reading from the socket (as a browser tab that hangs).
 * Thread-safe.
 */
public final class GatewayClient implements AutoCloseable {
  private final Consumer<String> frames;
  private final BlockingQueue<String> queue;
  private final StringBuilder partial = new StringBuilder();
  private volatile WebSocket socket;
  private volatile boolean paused;
  private final CompletableFuture<Integer> closed = new CompletableFuture<>();
  /** The JDK allows one send in progress: each waits for the one before. */
  private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

  private GatewayClient(Consumer<String> frames, BlockingQueue<String> queue) {
    this.frames = frames;
    this.queue = queue;
  }

  /** Connects to {@code ws://host:port/ws}; received frames are queued for {@link #next}. */
  public static GatewayClient connect(URI uri, Duration within) throws Exception {
    LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    return connect(HttpClient.newHttpClient(), uri, queue::add, queue)
        .get(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Connects with {@code http}; each received frame goes to {@code frames}, in order. */
  public static CompletableFuture<GatewayClient> connect(HttpClient http, URI uri,
      Consumer<String> frames) {
    return connect(http, uri, frames, null);
  }

  private static CompletableFuture<GatewayClient> connect(HttpClient http, URI uri,
      Consumer<String> frames, BlockingQueue<String> queue) {
    GatewayClient client = new GatewayClient(frames, queue);
    return http.newWebSocketBuilder().buildAsync(uri, client.new Listener())
        .thenApply(ws -> {
          client.socket = ws;
          return client;
        });
  }

  /** The WebSocket URI of a gateway whose page is at {@code pageUrl} ({@code http://h:p/}). */
  public static URI webSocketUri(String pageUrl) {
    return URI.create(pageUrl.replaceFirst("^http", "ws") + "ws");
  }

  /** Sends one text frame, after those sent before. */
  public CompletableFuture<?> send(String text) {
    synchronized (this) {
      lastSend = lastSend.handle((r, e) -> null)
          .thenCompose(x -> socket.sendText(text, true));
      return lastSend;
    }
  }

  /** Sends one binary frame, after those sent before. */
  public CompletableFuture<?> sendBinary(java.nio.ByteBuffer bytes) {
    synchronized (this) {
      lastSend = lastSend.handle((r, e) -> null)
          .thenCompose(x -> socket.sendBinary(bytes, true));
      return lastSend;
    }
  }

  /** The next queued frame, or null after {@code within}; only for clients made by {@link
   * #connect(URI, Duration)}. */
  public String next(Duration within) throws InterruptedException {
    return queue.poll(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops reading: frames stay in the socket, then in the kernel, then at the gateway. */
  public void pause() {
    paused = true;
  }

  /** Reads again. */
  public void resume() {
    paused = false;
    socket.request(1);
  }

  /** Completes with the close code when the gateway closes the socket (or it breaks: -1). */
  public CompletableFuture<Integer> closed() {
    return closed;
  }

  @Override
  public void close() {
    WebSocket ws = socket;
    if (ws != null && !ws.isOutputClosed()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
    }
    if (ws != null) {
      ws.abort();
    }
  }

  private final class Listener implements WebSocket.Listener {
    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String frame = partial.toString();
        partial.setLength(0);
        frames.accept(frame);
      }
      if (!paused) {
        webSocket.request(1);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete(-1);
    }
  }
}
