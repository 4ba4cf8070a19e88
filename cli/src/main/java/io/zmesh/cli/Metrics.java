package io.zmesh.cli;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.zmesh.broker.Broker;
import io.zmesh.broker.RequestListener;
import io.zmesh.metrics.BrokerMetrics;
import io.zmesh.metrics.MetricsServer;

/** {@code --metrics-bind HOST:PORT} of {@code zmesh broker} and {@code zmesh up}. */
final class Metrics {
  private final String host;
  private final int port;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final BrokerMetrics metrics = BrokerMetrics.register(registry);
  private MetricsServer server;

  /** @throws Main.UsageException if {@code bind} is not {@code HOST:PORT} */
  Metrics(String bind) {
    int colon = bind.lastIndexOf(':');
    String h = colon > 0 ? bind.substring(0, colon) : "";
    String p = colon > 0 ? bind.substring(colon + 1) : "";
    if (h.isEmpty() || !p.matches("\\d{1,5}") || Integer.parseInt(p) > 65_535) {
      throw new Main.UsageException(
          "--metrics-bind takes HOST:PORT, e.g. 127.0.0.1:9464; got '" + bind + "'");
    }
    this.host = h;
    this.port = Integer.parseInt(p);
  }

  /** For the broker's options, before it starts. */
  RequestListener listener() {
    return metrics;
  }

  /**
   * Serves {@code broker}'s metrics; returns their URL.
   *
   * @throws java.io.UncheckedIOException if the address cannot be bound, naming it
   */
  String serve(Broker broker) {
    server = MetricsServer.start(host, port, broker, metrics, registry);
    return "http://" + host + ":" + server.port() + "/metrics";
  }

  void close() {
    if (server != null) {
      server.close();
    }
  }
}
