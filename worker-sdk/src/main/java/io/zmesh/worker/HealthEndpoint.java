package io.zmesh.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An opt-in HTTP port that tells a process manager (systemd, Kubernetes) the state of a {@link
 * Worker}, for workers run outside {@code zmesh up}:
 *
 * <ul>
 *   <li>{@code GET /readyz}: 200 while the broker has the worker registered, 503 before its
 *       registration is accepted, while it reconnects and from the start of its drain on;
 *   <li>{@code GET /livez}: 200 until the worker is closed, then 503.
 * </ul>
 *
 * <p>Start one with {@link #start}, or set {@code ZMESH_HEALTH_PORT} (a port, or {@code
 * host:port}; the host defaults to every interface, as a probe from outside the process
 * needs) and every {@link Worker#start()} of the process opens one for that worker. It closes
 * with the worker. Threads: one daemon thread answers the probes.
 */
public final class HealthEndpoint implements AutoCloseable {
  /** The environment variable that opens the port for every worker of the process. */
  public static final String PORT_ENV = "ZMESH_HEALTH_PORT";

  private static final Logger log = LoggerFactory.getLogger(HealthEndpoint.class);

  private final HttpServer server;
  private final ExecutorService thread;

  private HealthEndpoint(HttpServer server, ExecutorService thread) {
    this.server = server;
    this.thread = thread;
  }

  /**
   * Serves {@code /readyz} and {@code /livez} of {@code worker} on {@code address} (port 0
   * picks a free one).
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  public static HealthEndpoint start(Worker worker, InetSocketAddress address) {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the health port " + address, e);
    }
    ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "zmesh-" + worker.name() + "-health");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(thread);
    server.createContext("/readyz", ex -> answer(ex, worker.isRegistered(),
        "registered as '" + worker.name() + "'", "not registered"));
    server.createContext("/livez", ex -> answer(ex, !closed(worker), "live", "closed"));
    server.createContext("/", ex -> answer(ex, 404, "try /readyz or /livez"));
    server.start();
    return new HealthEndpoint(server, thread);
  }

  /** The endpoint {@code ZMESH_HEALTH_PORT} asks for, or null when it is not set. */
  static HealthEndpoint fromEnvironment(Worker worker) {
    String value = System.getenv(PORT_ENV);
    if (value == null || value.isBlank()) {
      return null;
    }
    value = value.trim();
    int colon = value.lastIndexOf(':');
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      InetSocketAddress address = colon < 0 ? new InetSocketAddress(port)
          : new InetSocketAddress(value.substring(0, colon), port);
      HealthEndpoint h = start(worker, address);
      log.info("worker '{}' health on http://{}:{}/readyz", worker.name(),
          colon < 0 ? "0.0.0.0" : value.substring(0, colon), h.port());
      return h;
    } catch (NumberFormatException | UncheckedIOException e) {
      log.error("{}={} is not a usable port: {}", PORT_ENV, value, e.toString());
      return null;
    }
  }

  private static boolean closed(Worker worker) {
    try {
      return worker.awaitTermination(Duration.ZERO);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void answer(HttpExchange ex, boolean ok, String yes, String no)
      throws IOException {
    answer(ex, ok ? 200 : 503, ok ? yes : no);
  }

  private static void answer(HttpExchange ex, int code, String text) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        code = 405;
        text = "GET only";
      }
      byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      ex.sendResponseHeaders(code, method.equals("HEAD") ? -1 : body.length);
      if (!method.equals("HEAD")) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Stops answering. */
  @Override
  public void close() {
    server.stop(0);
    thread.shutdownNow();
  }
}
