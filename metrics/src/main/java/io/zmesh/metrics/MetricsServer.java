package io.zmesh.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.zmesh.broker.Broker;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * {@code GET /metrics} in Prometheus's text format (and OpenMetrics or protobuf when the scraper
 * asks), served by the Prometheus client's own HTTP server on a thread pool of its own.
 */
public final class MetricsServer implements AutoCloseable {
  private final HTTPServer server;

  private MetricsServer(HTTPServer server) {
    this.server = server;
  }

  /**
   * Serves a broker's metrics and the JVM's (heap, GC, threads) on {@code host:port}; port 0
   * picks a free one ({@link #port()}).
   *
   * @throws UncheckedIOException if the address cannot be bound, naming it
   */
  public static MetricsServer start(
      String host, int port, Broker broker, BrokerMetrics metrics, PrometheusRegistry registry) {
    metrics.watch(broker);
    JvmMetrics.builder().register(registry);
    try {
      return new MetricsServer(HTTPServer.builder()
          .hostname(host)
          .port(port)
          .registry(registry)
          .buildAndStart());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": "
          + e.getMessage(), e);
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
