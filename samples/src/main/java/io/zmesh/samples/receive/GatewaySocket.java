package io.zmesh.samples.receive;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.Any;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.worker.CallOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One browser's WebSocket: reads its frames, makes its requests by name, sends back answers and
 * the messages of its topics, within the socket's limits.
 *
 * <p>Threads: Jetty calls the listener methods one at a time for a socket; answers arrive on the
 * SDK's callback thread and topic messages on the worker's handler threads. Everything sent goes
 * through one outbound queue, bounded in bytes, that a single {@link IteratingCallback} drains
 * into Jetty one frame at a time, so the order is kept and no thread ever waits for a client.
 * A client that stops reading first loses topic messages (counted, and told how many in the next
 * one it gets); if even answers no longer fit, the socket is dropped.
 *
 * <p>Public only because Jetty calls the listener methods through method handles; made by the
 * {@link Gateway} alone.
 */
public final class GatewaySocket implements Session.Listener.AutoDemanding {
  private static final Logger log = LoggerFactory.getLogger(GatewaySocket.class);

  private final Gateway gateway;
  private final GatewayOptions limits;
  private volatile Session session;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** The frame being received, in parts; only Jetty's calls for this socket touch these. */
  private final StringBuilder partial = new StringBuilder();
  private long partialChars;

  private final AtomicInteger inFlight = new AtomicInteger();
  private final Set<String> patterns = ConcurrentHashMap.newKeySet();
  /** Topic messages not sent since the last one that was: the next one says so. */
  private final AtomicLong undelivered = new AtomicLong();

  private final Queue<Outbound> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Flusher flusher = new Flusher();

  GatewaySocket(Gateway gateway) {
    this.gateway = gateway;
    this.limits = gateway.options();
  }

  @Override
  public void onWebSocketOpen(Session session) {
    this.session = session;
    gateway.opened(this);
  }

  /** Text arrives in parts, so a frame over the limit is skipped without being held. */
  @Override
  public void onWebSocketPartialText(String payload, boolean fin) {
    partialChars += payload.length();
    if (partialChars <= limits.maxFrameChars()) {
      partial.append(payload);
    } else {
      partial.setLength(0);
    }
    if (!fin) {
      return;
    }
    long chars = partialChars;
    String text = chars <= limits.maxFrameChars() ? partial.toString() : null;
    partial.setLength(0);
    if (partial.capacity() > 4096) {
      // An idle socket keeps a small buffer, not the largest frame it ever sent.
      partial.trimToSize();
    }
    partialChars = 0;
    gateway.stats.framesIn.increment();
    if (text == null) {
      refuse(null, Status.INVALID_ARGUMENT.withDescription("a frame of " + chars
          + " characters is over this socket's limit of " + limits.maxFrameChars()));
      return;
    }
    try {
      onFrame(Frames.parse(text));
    } catch (MeshException e) {
      refuse(null, e.status());
    }
  }

  @Override
  public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
    gateway.stats.framesIn.increment();
    refuse(null, Status.INVALID_ARGUMENT.withDescription(
        "binary frames are not understood: send JSON text frames"));
    callback.succeed();
  }

  @Override
  public void onWebSocketClose(int statusCode, String reason, Callback callback) {
    closeQuietly();
    callback.succeed();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    log.debug("socket {} failed", remote(), cause);
    closeQuietly();
  }

  private void onFrame(JsonObject frame) {
    JsonPrimitive id = null;
    try {
      id = Frames.id(frame);
      String subscribe = Frames.string(frame, "subscribe");
      String unsubscribe = Frames.string(frame, "unsubscribe");
      if (subscribe != null) {
        subscribe(id, subscribe);
      } else if (unsubscribe != null) {
        unsubscribe(id, unsubscribe);
      } else {
        request(id, frame);
      }
    } catch (MeshException e) {
      refuse(id, e.status());
    }
  }

  private void request(JsonPrimitive id, JsonObject frame) {
    if (id == null) {
      throw Frames.invalid("a request needs an \"id\" (a number or a string) to match its answer");
    }
    String to = Frames.string(frame, "to");
    String type = Frames.string(frame, "type");
    if (to == null || to.isEmpty()) {
      throw Frames.invalid("a request needs \"to\": the name of the worker to ask");
    }
    if (type == null || type.isEmpty()) {
      throw Frames.invalid("a request needs \"type\": the full name of its message type");
    }
    if (!limits.allows(to)) {
      throw Status.PERMISSION_DENIED.withDescription(to.startsWith("zmesh.")
          ? "the broker's own services are not reachable through the gateway"
          : "worker '" + MeshTypes.shorten(to) + "' is not reachable through the gateway")
          .asException();
    }
    // Usually an object; protobuf's JSON for wrappers and Value types is a string, a number...
    JsonElement data = frame.has("data") ? frame.get("data") : new JsonObject();
    CallOptions options = CallOptions.DEFAULT.withTimeout(timeout(frame));
    if (inFlight.incrementAndGet() > limits.maxInFlight()) {
      inFlight.decrementAndGet();
      throw Status.OVERLOADED.withDescription("more than " + limits.maxInFlight()
          + " requests in flight on this socket: wait for their answers").asException();
    }
    gateway.stats.requests.increment();
    String json = data.toString();
    gateway.types().find(type)
        .thenCompose(d -> gateway.mesh().request(to, Any.pack(gateway.types().parse(d, json)),
            Any.class, options))
        .thenCompose(reply -> gateway.types().toJson(reply)
            .thenApply(replyJson -> Frames.reply(id, MeshTypes.typeName(reply), replyJson)))
        .whenComplete((answer, failure) -> {
          inFlight.decrementAndGet();
          if (failure != null) {
            gateway.stats.requestsFailed.increment();
            send(Frames.error(id, MeshException.statusOf(failure)), false);
          } else if (2L * answer.length() > limits.maxOutboundBytes()) {
            gateway.stats.requestsFailed.increment();
            send(Frames.error(id, Status.INVALID_ARGUMENT.withDescription("the answer, "
                + answer.length() + " characters, is larger than this socket's outbound limit")),
                false);
          } else {
            send(answer, false);
          }
        });
  }

  private static Duration timeout(JsonObject frame) {
    JsonElement t = frame.get("timeout_ms");
    if (t == null || t.isJsonNull()) {
      return GatewayOptions.DEFAULT_TIMEOUT;
    }
    long ms;
    try {
      ms = t.getAsJsonPrimitive().getAsBigDecimal().longValueExact();
    } catch (RuntimeException e) {
      ms = -1;
    }
    if (ms < 1 || ms > GatewayOptions.MAX_TIMEOUT.toMillis()) {
      throw Frames.invalid("\"timeout_ms\" is a whole number from 1 to "
          + GatewayOptions.MAX_TIMEOUT.toMillis());
    }
    return Duration.ofMillis(ms);
  }

  private void subscribe(JsonPrimitive id, String pattern) {
    if (pattern.startsWith("zmesh.")) {
      throw Status.PERMISSION_DENIED.withDescription(
          "the broker's own topics are not reachable through the gateway").asException();
    }
    if (patterns.contains(pattern)) {
      send(Frames.subscription(id, "subscribed", pattern), false);
      return;
    }
    if (patterns.size() >= limits.maxSubscriptions()) {
      throw Status.OVERLOADED.withDescription("this socket already has "
          + limits.maxSubscriptions() + " subscriptions").asException();
    }
    patterns.add(pattern);
    try {
      gateway.fanout().add(pattern, this).whenComplete((ok, failure) -> {
        if (failure == null) {
          send(Frames.subscription(id, "subscribed", pattern), false);
        } else {
          patterns.remove(pattern);
          gateway.fanout().remove(pattern, this);
          refuse(id, MeshException.statusOf(failure));
        }
      });
    } catch (MeshException e) {
      patterns.remove(pattern);
      throw e;
    }
  }

  private void unsubscribe(JsonPrimitive id, String pattern) {
    if (patterns.remove(pattern)) {
      gateway.fanout().remove(pattern, this);
    }
    send(Frames.subscription(id, "unsubscribed", pattern), false);
  }

  /**
   * A message of one of this socket's patterns; {@code brokerGap} messages were lost at the
   * broker before it. Sent only while the queue holds less than half the outbound limit.
   */
  void topicMessage(String messageStart, long brokerGap) {
    if (closed.get()) {
      return;
    }
    long missed = undelivered.getAndSet(0) + brokerGap;
    if (send(Frames.withDropped(messageStart, missed), true)) {
      gateway.stats.topicSent.increment();
    } else {
      undelivered.addAndGet(missed + 1);
      gateway.stats.topicDropped.increment();
    }
  }

  private void refuse(JsonPrimitive id, Status status) {
    gateway.stats.framesRefused.increment();
    send(Frames.error(id, status), false);
  }

  /**
   * Queues {@code text} for the client. Returns false if it was not queued: a topic message
   * when the queue is over half its limit, or an answer when even the whole limit is used, in
   * which case the client is not reading and the socket is dropped.
   */
  private boolean send(String text, boolean topicMessage) {
    if (closed.get()) {
      return false;
    }
    // Strings hold up to two bytes a character; count the most.
    long bytes = 2L * text.length();
    long limit = topicMessage ? limits.maxOutboundBytes() / 2 : limits.maxOutboundBytes();
    if (queuedBytes.addAndGet(bytes) > limit) {
      queuedBytes.addAndGet(-bytes);
      if (!topicMessage) {
        drop();
      }
      return false;
    }
    queue.add(new Outbound(text, bytes));
    flusher.iterate();
    return true;
  }

  private void drop() {
    if (closed.get()) {
      return;
    }
    gateway.stats.socketsDropped.increment();
    log.info("dropping socket {}: it stopped reading ({} bytes waiting to be sent)", remote(),
        queuedBytes.get());
    Session s = session;
    closeQuietly();
    if (s != null) {
      s.disconnect();
    }
  }

  private void closeQuietly() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (String pattern : patterns) {
      gateway.fanout().remove(pattern, this);
    }
    patterns.clear();
    queue.clear();
    gateway.closed(this);
  }

  int patternCount() {
    return patterns.size();
  }

  private String remote() {
    Session s = session;
    return s == null ? "?" : String.valueOf(s.getRemoteSocketAddress());
  }

  /** Closes the socket with a normal close frame (the gateway is stopping). */
  void close(int code, String reason) {
    Session s = session;
    if (s != null && s.isOpen()) {
      s.close(code, reason, Callback.NOOP);
    }
  }

  private record Outbound(String text, long bytes) {}

  /** Hands Jetty one frame at a time; IteratingCallback keeps this free of recursion and races. */
  private final class Flusher extends IteratingCallback {
    private Outbound current;

    @Override
    protected Action process() {
      current = closed.get() ? null : queue.poll();
      if (current == null) {
        return Action.IDLE;
      }
      session.sendText(current.text(), Callback.from(this::succeeded, this::failed));
      return Action.SCHEDULED;
    }

    @Override
    protected void onSuccess() {
      queuedBytes.addAndGet(-current.bytes());
      gateway.stats.framesOut.increment();
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      log.debug("send to {} failed", remote(), cause);
      closeQuietly();
    }
  }
}
