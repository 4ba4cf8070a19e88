package io.zmesh.cli;

import io.zmesh.bench.ReqRepBench;
import io.zmesh.broker.Policy;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The load shape shared by {@code bench reqrep} and {@code bench scale}. */
final class BenchOptions {
  @Option(names = "--broker", paramLabel = "URL",
      description = "Use a running broker instead of starting one in this process.")
  String broker;

  @Option(names = "--clients", defaultValue = "4", description = "Clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--workers", defaultValue = "4",
      description = "Worker instances (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "100",
      description = "Payload bytes (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--window", paramLabel = "N", defaultValue = "100",
      description = "Requests each client keeps outstanding (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Measured time (default: ${DEFAULT-VALUE}); with --requests, the most it may take.")
  Duration duration;

  @Option(names = "--requests", paramLabel = "N", defaultValue = "0",
      description = "Measure exactly this many requests instead of a duration.")
  long requests;

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "5s",
      converter = DurationConverter.OrZero.class,
      description = "Unmeasured warm-up (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "256",
      description = "Credit of each worker instance (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--service-time", paramLabel = "DURATION", defaultValue = "0ms",
      converter = DurationConverter.OrZero.class,
      description = "Time each handler takes (parked, not spinning); needs --executor pool.")
  Duration serviceTime;

  @Option(names = "--slow", paramLabel = "N", defaultValue = "0",
      description = "Instances that take --slow-factor times the service time.")
  int slow;

  @Option(names = "--slow-factor", paramLabel = "K", defaultValue = "10",
      description = "How much slower the --slow instances are (default: ${DEFAULT-VALUE}).")
  int slowFactor;

  @Option(names = "--executor", paramLabel = "inline|pool", defaultValue = "inline",
      description = "inline: handlers and client callbacks run on the I/O threads, like the raw"
          + " baseline's single-threaded sockets; pool: the SDK's default executors"
          + " (default: ${DEFAULT-VALUE}).")
  String executor;

  @Option(names = "--policy", defaultValue = "least-outstanding",
      converter = BrokerCommand.PolicyConverter.class,
      description = "Balancing of the in-process broker (default: ${DEFAULT-VALUE}).")
  Policy policy;

  @Option(names = "--idle-instances", paramLabel = "N", defaultValue = "0",
      description = "Extra registered instances (10 per name) that never get a request.")
  int idleInstances;

  @Option(names = "--heartbeat", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Heartbeat interval of the in-process broker, and of the idle instances"
          + " (default: 1s; 5s for bench scale).")
  Duration heartbeat;

  ReqRepBench.Config config() {
    return config(Duration.ofSeconds(1));
  }

  /** The load, with {@code defaultHeartbeat} unless --heartbeat was given. */
  ReqRepBench.Config config(Duration defaultHeartbeat) {
    if (!executor.equals("inline") && !executor.equals("pool")) {
      throw new Main.UsageException("--executor must be inline or pool, not '" + executor + "'");
    }
    try {
      return new ReqRepBench.Config(broker, clients, workers, size, window,
          warmup.toMillis() / 1000.0, duration.toMillis() / 1000.0, requests, concurrency,
          serviceTime, slow, slowFactor, executor.equals("inline"), policy, idleInstances,
          heartbeat != null ? heartbeat : defaultHeartbeat);
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    }
  }
}
