package io.zmesh.cli;

import io.zmesh.CurveKeys;
import io.zmesh.broker.BindException;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.broker.Policy;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh broker}: runs a broker until SIGINT or SIGTERM. */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description = "Run the broker in the foreground until interrupted.")
final class BrokerCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--bind", paramLabel = "ENDPOINT",
      description = "Endpoint to listen on; repeat for several (default: "
          + BrokerOptions.DEFAULT_BIND + "). tcp://127.0.0.1:* picks a free port.")
  List<String> binds;

  @Option(names = "--heartbeat", paramLabel = "DURATION", converter = DurationConverter.class,
      defaultValue = "1s", description = "Heartbeat interval, both ways (default: ${DEFAULT-VALUE}).")
  Duration heartbeat;

  @Option(names = "--liveness", paramLabel = "N", defaultValue = "3",
      description = "Missed heartbeats before a peer is dead (default: ${DEFAULT-VALUE}).")
  int liveness;

  @Option(names = "--max-message-bytes", paramLabel = "BYTES", defaultValue = "1048576",
      description = "Largest accepted packet (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--queue-limit", paramLabel = "N", defaultValue = "10000",
      description = "Requests waiting per worker name before OVERLOADED (default: ${DEFAULT-VALUE}).")
  int queueLimit;

  @Option(names = "--queue-bytes", paramLabel = "BYTES",
      defaultValue = "" + BrokerOptions.DEFAULT_QUEUE_BYTES,
      description = "Bytes of requests waiting per worker name before OVERLOADED"
          + " (default: ${DEFAULT-VALUE}).")
  long queueBytes;

  @Option(names = "--connection-requests", paramLabel = "N",
      defaultValue = "" + BrokerOptions.DEFAULT_CONNECTION_REQUESTS,
      description = "Requests one connection may have waiting for their answers before"
          + " OVERLOADED (default: ${DEFAULT-VALUE}).")
  int connectionRequests;

  @Option(names = "--max-connections", paramLabel = "N",
      defaultValue = "" + BrokerOptions.DEFAULT_MAX_CONNECTIONS,
      description = "Connections served at once (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(names = "--max-worker-names", paramLabel = "N",
      defaultValue = "" + BrokerOptions.DEFAULT_MAX_WORKER_NAMES,
      description = "Worker names held at once (default: ${DEFAULT-VALUE}).")
  int maxWorkerNames;

  @Option(names = "--memory-budget", paramLabel = "BYTES", defaultValue = "0",
      description = "Bytes of requests and unread packets the broker may hold before new"
          + " requests get OVERLOADED (default: a quarter of the heap, at most 512 MiB).")
  long memoryBudget;

  @Option(names = "--registration-window", paramLabel = "DURATION",
      converter = DurationConverter.OrZero.class,
      description = "After a start, and after a name lost its last instance, how long a request"
          + " for a name without instances waits for one before NO_WORKER; 0 for none"
          + " (default: heartbeat x liveness).")
  Duration registrationWindow;

  @Option(names = "--curve-key", paramLabel = "FILE",
      description = "The broker's CURVE secret key file (zmesh keygen broker): serve CURVE only,"
          + " to the keys in --allow.")
  Path curveKey;

  @Option(names = "--allow", paramLabel = "FILE",
      description = "The allow-list: client public keys, a name for each and what it may do"
          + " (protobuf text; docs/security.md). Read again when it changes.")
  Path allow;

  @Option(names = "--require-curve",
      description = "Refuse to start without --curve-key and --allow.")
  boolean requireCurve;

  @Option(names = "--request-timeout", paramLabel = "DURATION",
      converter = DurationConverter.class, defaultValue = "10s",
      description = "Deadline of a request that names none, timeout_ms 0"
          + " (default: ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  @Option(names = "--max-request-timeout", paramLabel = "DURATION",
      converter = DurationConverter.class, defaultValue = "1h",
      description = "Longest deadline a request may ask for; longer ones get INVALID_ARGUMENT"
          + " (default: ${DEFAULT-VALUE}).")
  Duration maxRequestTimeout;

  @Option(names = "--cancel-grace", paramLabel = "DURATION", converter = DurationConverter.class,
      defaultValue = "10s",
      description = "Time a worker has to answer a CANCEL before it is disconnected"
          + " (default: ${DEFAULT-VALUE}).")
  Duration cancelGrace;

  @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "least-outstanding",
      converter = PolicyConverter.class,
      description = "Balancing: least-outstanding or round-robin (default: ${DEFAULT-VALUE}).")
  Policy policy;

  @Option(names = "--policy-for", paramLabel = "NAME=POLICY",
      description = "Balancing policy for one worker name.")
  Map<String, String> policies;

  // No picocli defaults: unset, a subscription's budget follows a lower connection budget.
  @Option(names = "--subscription-budget", paramLabel = "N",
      description = "Messages sent to one subscription and not yet taken off its queue, beyond"
          + " which its messages are dropped and counted (default: "
          + BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES + ", or the connection budget"
          + " if lower).")
  Integer subscriptionBudget;

  @Option(names = "--subscription-budget-bytes", paramLabel = "BYTES",
      description = "The same in bytes (default: " + BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_BYTES
          + ", or the connection budget if lower).")
  Long subscriptionBudgetBytes;

  @Option(names = "--connection-budget", paramLabel = "N",
      defaultValue = "" + BrokerOptions.DEFAULT_CONNECTION_BUDGET_MESSAGES,
      description = "The most all subscriptions of one connection may have outstanding together"
          + " (default: ${DEFAULT-VALUE}).")
  int connectionBudget;

  @Option(names = "--connection-budget-bytes", paramLabel = "BYTES",
      defaultValue = "" + BrokerOptions.DEFAULT_CONNECTION_BUDGET_BYTES,
      description = "The most bytes of one connection: sent to it and not acknowledged read"
          + " (beyond, its replies become OVERLOADED and topic messages are dropped), and"
          + " outstanding over its subscriptions (default: ${DEFAULT-VALUE}).")
  long connectionBudgetBytes;

  @Option(names = "--publish-window", paramLabel = "N",
      defaultValue = "" + BrokerOptions.DEFAULT_PUBLISH_WINDOW_MESSAGES,
      description = "Messages a publisher may have sent and not seen credited back, which the"
          + " broker withholds while a subscriber is behind (default: ${DEFAULT-VALUE}).")
  int publishWindow;

  @Option(names = "--publish-window-bytes", paramLabel = "BYTES",
      defaultValue = "" + BrokerOptions.DEFAULT_PUBLISH_WINDOW_BYTES,
      description = "The same in bytes of PUBLISH frames (default: ${DEFAULT-VALUE}).")
  long publishWindowBytes;

  @Option(names = "--slow-subscriber-timeout", paramLabel = "DURATION",
      converter = DurationConverter.class, defaultValue = "1s",
      description = "How long a subscription that holds publishers back may credit nothing"
          + " before publishers stop waiting for it and it loses what exceeds its budget"
          + " (default: ${DEFAULT-VALUE}).")
  Duration slowSubscriberTimeout;

  @Option(names = "--metrics-bind", paramLabel = "HOST:PORT",
      description = "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464;"
          + " port 0 picks one).")
  String metricsBind;

  @Override
  public Integer call() throws InterruptedException {
    BrokerOptions options;
    Metrics metrics = metricsBind == null ? null : new Metrics(metricsBind);
    try {
      BrokerOptions.Builder b = BrokerOptions.builder()
          .requestListener(metrics == null ? null : metrics.listener())
          .heartbeatInterval(heartbeat)
          .liveness(liveness)
          .maxMessageBytes(maxMessageBytes)
          .queueLimit(queueLimit)
          .queueBytes(queueBytes)
          .connectionRequests(connectionRequests)
          .maxConnections(maxConnections)
          .maxWorkerNames(maxWorkerNames)
          .memoryBudget(memoryBudget)
          .registrationWindow(registrationWindow)
          .defaultRequestTimeout(requestTimeout)
          .maxRequestTimeout(maxRequestTimeout)
          .cancelGrace(cancelGrace)
          .policy(policy)
          .connectionBudget(connectionBudget, connectionBudgetBytes)
          .publishWindow(publishWindow, publishWindowBytes)
          .slowSubscriberTimeout(slowSubscriberTimeout);
      if (subscriptionBudget != null || subscriptionBudgetBytes != null) {
        b.subscriptionBudget(subscriptionBudget != null ? subscriptionBudget
            : Math.min(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES, connectionBudget),
            subscriptionBudgetBytes != null ? subscriptionBudgetBytes
            : Math.min(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_BYTES, connectionBudgetBytes));
      }
      if (policies != null) {
        for (Map.Entry<String, String> e : policies.entrySet()) {
          b.policy(e.getKey(), Policy.parse(e.getValue()));
        }
      }
      if (binds != null) {
        binds.forEach(b::bind);
      }
      if ((curveKey == null) != (allow == null)) {
        throw new IllegalArgumentException("CURVE needs both --curve-key and --allow");
      }
      if (curveKey != null) {
        b.curve(CurveKeys.readPair(curveKey), allow);
      }
      b.requireCurve(requireCurve);
      options = b.build();
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    }
    Broker broker;
    try {
      broker = Broker.start(options);
    } catch (BindException e) {
      // An address in use or not of this host is the operator's to fix, like a bad argument.
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return Main.EXIT_USAGE;
    } catch (IllegalArgumentException e) {
      // An allow-list that does not read is the operator's to fix, like a bad argument.
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    String metricsUrl = null;
    if (metrics != null) {
      try {
        metricsUrl = metrics.serve(broker);
      } catch (UncheckedIOException e) {
        broker.close();
        spec.commandLine().getErr().println("error: " + e.getMessage());
        return Main.EXIT_USAGE;
      }
    }
    // The broker's default fatal-error handler halts with BrokerOptions.FATAL_EXIT_CODE (3).
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (metrics != null) {
        metrics.close();
      }
      broker.close();
    }, "zmesh-broker-shutdown"));
    spec.commandLine().getOut().println("zmesh broker listening on "
        + String.join(", ", broker.endpoints()));
    if (metricsUrl != null) {
      spec.commandLine().getOut().println("metrics at " + metricsUrl);
    }
    spec.commandLine().getOut().flush();
    broker.awaitTermination();
    return 0;
  }

  static final class PolicyConverter implements ITypeConverter<Policy> {
    @Override
    public Policy convert(String value) {
      return Policy.parse(value);
    }
  }
}
