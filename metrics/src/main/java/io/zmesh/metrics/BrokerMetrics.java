package io.zmesh.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.zmesh.Code;
import io.zmesh.broker.Broker;
import io.zmesh.broker.RequestListener;
import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.WorkerInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A broker's metrics in a Prometheus registry. Requests are counted as they end, through the
 * {@link RequestListener} this is ({@code BrokerOptions.Builder.requestListener(metrics)}); the
 * rest is read from the broker when Prometheus scrapes, once {@link #watch} knows it.
 *
 * <ul>
 *   <li>{@code zmesh_requests_total{worker,code}}: every request by the name it was addressed
 *       to and how it ended;
 *   <li>{@code zmesh_request_duration_seconds{worker}}: from when the broker read a request to
 *       its answer (refusals at once are not observed);
 *   <li>{@code zmesh_queued_requests}, {@code zmesh_requests_in_flight}, {@code
 *       zmesh_worker_concurrency}, {@code zmesh_worker_instances{worker}}: per name, at scrape;
 *   <li>{@code zmesh_peers}, {@code zmesh_subscriptions}, and the broker's totals {@code
 *       zmesh_messages_published_total}, {@code _delivered_total}, {@code _dropped_total},
 *       {@code _unmatched_total}, {@code zmesh_broker_errors_total{code}};
 *   <li>what bounds the broker: {@code zmesh_memory_used_bytes} against {@code
 *       zmesh_memory_budget_bytes}, {@code zmesh_sends_held_unread_total}; and {@code
 *       zmesh_refused_acts_total}, {@code zmesh_curve_handshakes_refused_total}, {@code
 *       zmesh_internal_errors_total};
 *   <li>the JVM's own (heap and the rest), when registered with {@link MetricsServer}.
 * </ul>
 *
 * <p>Cardinality is bounded: the first {@value #MAX_WORKER_LABELS} worker names get a label of
 * their own, later ones share {@value #OTHER}; names are what clients address, so a client
 * inventing names cannot grow the registry without bound.
 */
public final class BrokerMetrics implements RequestListener {
  /** Distinct worker names that get a label of their own: 1,000. */
  public static final int MAX_WORKER_LABELS = 1_000;

  /** The label of every worker name beyond {@link #MAX_WORKER_LABELS}. */
  public static final String OTHER = "_other";

  private static final Code[] CODES = Code.values();

  private final Counter requests;
  private final Histogram duration;
  private final ScrapeSnapshot snapshot = new ScrapeSnapshot();
  private final BoundedLabels workers = new BoundedLabels(MAX_WORKER_LABELS, OTHER);
  // Data points per label value, so counting a request allocates nothing. Loop thread only.
  private final Map<String, CounterDataPoint[]> requestPoints = new HashMap<>();
  private final Map<String, DistributionDataPoint> durationPoints = new HashMap<>();

  private BrokerMetrics(PrometheusRegistry registry) {
    requests = Counter.builder()
        .name("zmesh_requests_total")
        .help("Requests by the worker name they were addressed to and the code they ended with")
        .labelNames("worker", "code")
        .register(registry);
    duration = Histogram.builder()
        .name("zmesh_request_duration_seconds")
        .help("Time from when the broker read a request to when it sent the answer")
        .unit(Unit.SECONDS)
        .labelNames("worker")
        .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1, 2.5, 5, 10, 30)
        .register(registry);
    registerScraped(registry);
  }

  /** Metrics registered in {@code registry}; pass the result as the broker's request listener. */
  public static BrokerMetrics register(PrometheusRegistry registry) {
    return new BrokerMetrics(registry);
  }

  /** Reads {@code broker} at every scrape from now on. */
  public BrokerMetrics watch(Broker broker) {
    snapshot.watch(broker);
    return this;
  }

  /** On the broker's loop thread: must not block, and does not allocate once a label exists. */
  @Override
  public void onRequestDone(String worker, Code code, long nanos) {
    String label = workers.of(worker);
    CounterDataPoint[] points = requestPoints.get(label);
    if (points == null) {
      points = new CounterDataPoint[CODES.length];
      requestPoints.put(label, points);
    }
    CounterDataPoint point = points[code.ordinal()];
    if (point == null) {
      point = requests.labelValues(label, code.name());
      points[code.ordinal()] = point;
    }
    point.inc();
    if (nanos > 0) {
      DistributionDataPoint d = durationPoints.get(label);
      if (d == null) {
        d = duration.labelValues(label);
        durationPoints.put(label, d);
      }
      d.observe(nanos / 1e9);
    }
  }

  private void registerScraped(PrometheusRegistry registry) {
    GaugeWithCallback.builder()
        .name("zmesh_queued_requests")
        .help("Requests waiting at the broker for an instance with credit, per worker name")
        .labelNames("worker")
        .callback(cb -> perName().forEach((name, g) -> cb.call(g.queued, name)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("zmesh_requests_in_flight")
        .help("Requests the broker has sent to instances and not seen answered, per worker name")
        .labelNames("worker")
        .callback(cb -> perName().forEach((name, g) -> cb.call(g.inFlight, name)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("zmesh_worker_concurrency")
        .help("Credit: the requests the instances of a name take at once, together")
        .labelNames("worker")
        .callback(cb -> perName().forEach((name, g) -> cb.call(g.concurrency, name)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("zmesh_worker_instances")
        .help("Instances registered under a worker name")
        .labelNames("worker")
        .callback(cb -> perName().forEach((name, g) -> cb.call(g.instances, name)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("zmesh_peers")
        .help("Connections that said HELLO: workers and clients")
        .callback(cb -> snapshot.stats().ifPresent(s -> cb.call(s.getPeers())))
        .register(registry);
    GaugeWithCallback.builder()
        .name("zmesh_subscriptions")
        .help("Open topic subscriptions")
        .callback(cb -> snapshot.stats().ifPresent(
            s -> cb.call(s.getCountersOrDefault("subscriptions", 0))))
        .register(registry);
    total(registry, "zmesh_messages_published", "Messages published", "messages_published");
    total(registry, "zmesh_messages_delivered", "Copies of messages sent to subscriptions",
        "messages_delivered");
    total(registry, "zmesh_messages_dropped",
        "Copies dropped because a subscription's budget was used up", "messages_dropped");
    total(registry, "zmesh_messages_unmatched", "Messages published to no subscription",
        "messages_unmatched");
    gauge(registry, "zmesh_memory_used_bytes",
        "Bytes of requests the broker holds and of packets its peers have not read",
        "memory_used_bytes");
    gauge(registry, "zmesh_memory_budget_bytes",
        "The broker's memory budget: beyond it new requests get OVERLOADED",
        "memory_budget_bytes");
    total(registry, "zmesh_sends_held_unread",
        "Packets not sent because their connection had its budget of bytes unread",
        "sends_held_unread_budget");
    total(registry, "zmesh_refused_acts", "Acts the allow-list refused", "refused_acts");
    total(registry, "zmesh_curve_handshakes_refused",
        "CURVE handshakes of keys not on the allow-list", "curve_handshakes_refused");
    total(registry, "zmesh_internal_errors",
        "Packets whose handling failed on a bug, skipped", "internal_errors");
  }

  private void gauge(PrometheusRegistry registry, String name, String help, String counter) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> snapshot.stats().ifPresent(
            s -> cb.call(s.getCountersOrDefault(counter, 0))))
        .register(registry);
  }

  private void total(PrometheusRegistry registry, String name, String help, String counter) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> snapshot.stats().ifPresent(
            s -> cb.call(s.getCountersOrDefault(counter, 0))))
        .register(registry);
  }

  /** Per worker label, what the broker's listing says, summed over instances and groups. */
  private Map<String, Group> perName() {
    Map<String, Group> out = new TreeMap<>();
    snapshot.workers().ifPresent(reply -> {
      for (WorkerInfo w : reply.getWorkersList()) {
        Group g = out.computeIfAbsent(workers.of(w.getName()), n -> new Group());
        g.instances++;
        g.inFlight += w.getInFlight();
        g.concurrency += w.getConcurrency();
      }
      for (GroupInfo info : reply.getGroupsList()) {
        out.computeIfAbsent(workers.of(info.getName()), n -> new Group()).queued +=
            info.getQueued();
      }
    });
    return out;
  }

  private static final class Group {
    long instances;
    long inFlight;
    long concurrency;
    long queued;
  }
}
