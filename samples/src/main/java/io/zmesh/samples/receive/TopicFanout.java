package io.zmesh.samples.receive;

import com.google.protobuf.Any;
import io.zmesh.worker.MessageContext;
import io.zmesh.worker.Subscriber;
import io.zmesh.worker.Subscription;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets' topic subscriptions: one broker subscription per distinct pattern, however many
 * sockets share it, so a thousand pages in one room cost the broker one subscription and one
 * copy of each message. Each message is turned into JSON once and queued on every socket of the
 * pattern; a socket subscribed to two matching patterns gets it twice, as a broker subscriber
 * would. Thread-safe.
 */
final class TopicFanout {
  private static final Logger log = LoggerFactory.getLogger(TopicFanout.class);
  /** Longest a first message of an unseen type waits for its descriptor. */
  private static final Duration TYPE_WAIT = Duration.ofSeconds(5);

  private final Subscriber mesh;
  private final MeshTypes types;
  private final Map<String, Pattern> patterns = new HashMap<>();

  TopicFanout(Subscriber mesh, MeshTypes types) {
    this.mesh = mesh;
    this.types = types;
  }

  /**
   * Adds {@code socket} to {@code pattern}'s sockets, subscribing at the broker if it is the
   * first.
   *
   * @return completes once the broker has accepted the subscription
   * @throws io.zmesh.MeshException INVALID_ARGUMENT, synchronously, for an invalid pattern
   */
  synchronized CompletableFuture<Void> add(String pattern, GatewaySocket socket) {
    Pattern p = patterns.get(pattern);
    if (p == null) {
      p = new Pattern(pattern);
      Pattern subscribed = p;
      p.subscription = mesh.subscribe(pattern, Any.class, (any, ctx) -> subscribed.deliver(any, ctx));
      patterns.put(pattern, p);
    }
    p.sockets.add(socket);
    return p.subscription.ready();
  }

  /** Removes {@code socket}; the broker subscription ends with the pattern's last socket. */
  synchronized void remove(String pattern, GatewaySocket socket) {
    Pattern p = patterns.get(pattern);
    if (p != null && p.sockets.remove(socket) && p.sockets.isEmpty()) {
      patterns.remove(pattern);
      p.subscription.close();
    }
  }

  synchronized int patterns() {
    return patterns.size();
  }

  private final class Pattern {
    final String pattern;
    final Set<GatewaySocket> sockets = new CopyOnWriteArraySet<>();
    Subscription subscription;

    Pattern(String pattern) {
      this.pattern = pattern;
    }

    /** On a handler thread, one message of this subscription at a time. */
    void deliver(Any any, MessageContext ctx) throws InterruptedException {
      if (sockets.isEmpty()) {
        return;
      }
      String type = MeshTypes.typeName(any);
      String json;
      try {
        // Known types answer at once; a new one is asked of the broker once, in order.
        json = types.toJson(any).get(TYPE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        log.debug("message of type {} on {} sent as bytes: {}", type, ctx.topic(), e.toString());
        json = null;
      }
      String start = Frames.messageStart(pattern, ctx.topic(), type, json,
          json == null ? Base64.getEncoder().encodeToString(any.getValue().toByteArray()) : null);
      for (GatewaySocket socket : sockets) {
        socket.topicMessage(start, ctx.dropped());
      }
    }
  }
}
