package io.zmesh.samples.receive;

import io.zmesh.samples.proto.GatewayStats;
import io.zmesh.samples.proto.GatewayStatsRequest;
import io.zmesh.worker.Worker;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code receive} gateway: an HTTP server (Jetty) with the chat page at {@code /}, {@code
 * GET /healthz}, and the WebSocket at {@code /ws}, through which a browser makes requests to any
 * worker by name and subscribes to topics, in JSON ({@link Frames}). It is a worker itself,
 * named {@code receive}, answering {@link GatewayStatsRequest}; {@code /healthz} answers 200
 * only while it is registered with the broker.
 *
 * <p>Types: the gateway is compiled with no worker's messages. A frame names its type and the
 * gateway learns its descriptor from the broker's type registry ({@link MeshTypes}).
 *
 * <p>Origins: a browser page from another origin may not open the WebSocket (it could otherwise
 * act on the mesh as any visitor of that page); clients that send no {@code Origin}, such as
 * programs, may.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  /** The name the gateway registers under. */
  public static final String NAME = "receive";
  static final String WEB = "io/zmesh/samples/receive/web/";

  private final GatewayOptions options;
  private final Worker worker;
  private final MeshTypes types;
  private final TopicFanout fanout;
  private final Server server;
  private final ServerConnector connector;
  private final Set<GatewaySocket> sockets = ConcurrentHashMap.newKeySet();
  private volatile CompletableFuture<Worker> registration;
  final Stats stats = new Stats();

  private Gateway(GatewayOptions options, Worker.Builder worker) {
    this.options = options;
    this.worker = worker.name(NAME)
        .handle(GatewayStatsRequest.class, (req, ctx) -> stats())
        .build();
    this.types = new MeshTypes(this.worker);
    this.fanout = new TopicFanout(this.worker, types);
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("receive-http");
    threads.setDaemon(true);
    this.server = new Server(threads);
    this.connector = new ServerConnector(server);
    connector.setHost(options.host());
    connector.setPort(options.port());
    server.addConnector(connector);
    server.setHandler(handlers());
  }

  /**
   * Starts the HTTP server, then the worker; returns once both run. The worker registers in
   * the background if the broker is not there yet; {@code /healthz} says when it is.
   *
   * @param worker the worker's broker and mesh options; name and handlers are set here
   */
  public static Gateway start(GatewayOptions options, Worker.Builder worker) throws Exception {
    Gateway gateway = new Gateway(options, worker);
    gateway.server.start();
    log.info("receive listening on {} (page at /, WebSocket at /ws)", gateway.url());
    gateway.registration = gateway.worker.startAsync();
    return gateway;
  }

  private Handler handlers() {
    ContextHandler context = new ContextHandler("/");
    ResourceHandler page = new ResourceHandler();
    page.setBaseResource(ResourceFactory.of(server).newClassLoaderResource(WEB));
    page.setDirAllowed(false);
    page.setWelcomeFiles(List.of("index.html"));
    page.setCacheControl("no-cache");
    WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(server, context, container -> {
      container.setIdleTimeout(options.idleTimeout());
      container.setMaxBinaryMessageSize(4096);
      container.addMapping("/ws", (request, response, callback) -> {
        if (!sameOrigin(request)) {
          Response.writeError(request, response, callback, HttpStatus.FORBIDDEN_403,
              "cross-origin WebSocket refused");
          return null;
        }
        return new GatewaySocket(this);
      });
    });
    ws.setHandler(new Handler.Sequence(new Health(), page));
    context.setHandler(ws);
    return context;
  }

  /** No Origin (not a browser), or the page's own. */
  private static boolean sameOrigin(Request request) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    if (origin == null) {
      return true;
    }
    try {
      URI o = URI.create(origin);
      String host = request.getHeaders().get(HttpHeader.HOST);
      return host != null && host.equalsIgnoreCase(o.getRawAuthority());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code GET /healthz}: 200 while registered with the broker, else 503. */
  private final class Health extends Handler.Abstract.NonBlocking {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (!"/healthz".equals(Request.getPathInContext(request))) {
        return false;
      }
      boolean up = worker.isRegistered();
      response.setStatus(up ? HttpStatus.OK_200 : HttpStatus.SERVICE_UNAVAILABLE_503);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      String body = up
          ? "{\"status\":\"ok\",\"worker\":\"" + NAME + "\",\"instance\":\"" + worker.instanceId() + "\"}"
          : "{\"status\":\"starting\",\"worker\":\"" + NAME + "\"}";
      response.write(true, java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)),
          callback);
      return true;
    }
  }

  /** The port listened on (the one picked, when the options said 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://host:port/}. */
  public String url() {
    String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
    return "http://" + host + ":" + port() + "/";
  }

  /** The worker the gateway registered as. */
  public Worker worker() {
    return worker;
  }

  /** Completes when the worker first registers. */
  public CompletableFuture<Worker> registered() {
    return registration;
  }

  GatewayOptions options() {
    return options;
  }

  Worker mesh() {
    return worker;
  }

  MeshTypes types() {
    return types;
  }

  TopicFanout fanout() {
    return fanout;
  }

  void opened(GatewaySocket socket) {
    sockets.add(socket);
    stats.socketsOpened.increment();
  }

  void closed(GatewaySocket socket) {
    sockets.remove(socket);
  }

  /** The gateway's counters. */
  public GatewayStats stats() {
    long subscriptions = 0;
    for (GatewaySocket s : sockets) {
      subscriptions += s.patternCount();
    }
    return GatewayStats.newBuilder()
        .setUrl(url())
        .setSocketsOpen(sockets.size())
        .setSocketsOpened(stats.socketsOpened.sum())
        .setSocketsDropped(stats.socketsDropped.sum())
        .setFramesIn(stats.framesIn.sum())
        .setFramesOut(stats.framesOut.sum())
        .setFramesRefused(stats.framesRefused.sum())
        .setRequests(stats.requests.sum())
        .setRequestsFailed(stats.requestsFailed.sum())
        .setTopicMessagesSent(stats.topicSent.sum())
        .setTopicMessagesDropped(stats.topicDropped.sum())
        .setPatterns(fanout.patterns())
        .setSocketSubscriptions(subscriptions)
        .build();
  }

  /**
   * Stops taking sockets, closes the open ones (going away), then drains and closes the worker.
   */
  @Override
  public void close() {
    try {
      connector.close();
      for (GatewaySocket s : sockets) {
        s.close(StatusCode.SHUTDOWN, "receive is stopping");
      }
      worker.close();
      server.stop();
    } catch (Exception e) {
      log.warn("receive did not stop cleanly", e);
    }
  }

  /** Counters, each summed across threads. */
  static final class Stats {
    final LongAdder socketsOpened = new LongAdder();
    final LongAdder socketsDropped = new LongAdder();
    final LongAdder framesIn = new LongAdder();
    final LongAdder framesOut = new LongAdder();
    final LongAdder framesRefused = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder requestsFailed = new LongAdder();
    final LongAdder topicSent = new LongAdder();
    final LongAdder topicDropped = new LongAdder();
  }
}
