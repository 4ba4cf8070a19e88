/**
 * Prometheus metrics of a zmesh broker: {@link io.zmesh.metrics.BrokerMetrics} counts requests
 * as they end and reads the broker's tables at each scrape; {@link
 * io.zmesh.metrics.MetricsServer} serves them with the JVM's at {@code /metrics}. {@code zmesh
 * broker --metrics-bind 127.0.0.1:9464} uses both.
 */
package io.zmesh.metrics;
