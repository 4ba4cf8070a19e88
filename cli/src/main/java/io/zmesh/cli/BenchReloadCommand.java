package io.zmesh.cli;

import io.zmesh.bench.ReloadBench;
import io.zmesh.bench.proto.ReloadReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh bench reload}. */
@Command(
    name = "reload",
    mixinStandardHelpOptions = true,
    description = {
        "Steady request load at a supervised worker while 'zmesh reload' replaces every"
            + " instance (or, with --kill, while one instance is killed with SIGKILL). Every"
            + " request is counted and every failure named by its status code.",
        "Exit code 0 when the reload lost nothing (with --kill: when only in-flight requests"
            + " of non-idempotent loops failed, with WORKER_LOST)."})
final class BenchReloadCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--instances", defaultValue = "4",
      description = "Instances of the worker (default: ${DEFAULT-VALUE}).")
  int instances;

  @Option(names = "--clients", defaultValue = "50",
      description = "Request loops (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--start-delay", paramLabel = "DURATION", defaultValue = "0ms",
      converter = DurationConverter.OrZero.class,
      description = "Time each instance takes to start before READY (default: ${DEFAULT-VALUE}).")
  Duration startDelay;

  @Option(names = "--work", paramLabel = "DURATION", defaultValue = "1ms",
      converter = DurationConverter.class,
      description = "Handler time per request (default: ${DEFAULT-VALUE}).")
  Duration work;

  @Option(names = "--before", paramLabel = "DURATION", defaultValue = "3s",
      converter = DurationConverter.class,
      description = "Load before the reload or kill (default: ${DEFAULT-VALUE}).")
  Duration before;

  @Option(names = "--after", paramLabel = "DURATION", defaultValue = "3s",
      converter = DurationConverter.class,
      description = "Load after it (default: ${DEFAULT-VALUE}).")
  Duration after;

  @Option(names = "--kill", description = "SIGKILL one instance instead of reloading; half the"
      + " loops send idempotent requests.")
  boolean kill;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (instances < 1 || clients < 1) {
      throw new Main.UsageException("--instances and --clients must be positive");
    }
    Path logs = Files.createTempDirectory("zmesh-bench-reload-");
    ReloadReport r = ReloadBench.run(new ReloadBench.Config(
        kill ? ReloadBench.Mode.KILL : ReloadBench.Mode.RELOAD, instances, clients,
        startDelay.toMillis(), work.toMillis(), before, after, logs));
    PrintWriter out = spec.commandLine().getOut();
    long failed = sum(r.getFailuresMap());
    long idemFailed = sum(r.getIdempotentFailuresMap());
    boolean lossless = kill
        ? idemFailed == 0 && failed == r.getFailuresMap().getOrDefault("WORKER_LOST", 0L)
        : failed == 0;
    if (json) {
      out.println(MessageTypes.builtin().toJson(r, false));
    } else {
      out.printf("%s %d instances (start %d ms, work %d ms) under %d request loops%n",
          kill ? "SIGKILL of 1 of" : "reload of all", instances, r.getStartDelayMs(),
          r.getWorkMs(), clients);
      out.printf("requests %d, replies %d (%d wrong), failed %d %s; %.0f req/s%n",
          r.getRequests(), r.getReplies(), r.getWrongReplies(), failed + idemFailed,
          failed + idemFailed == 0 ? "" : r.getFailuresMap() + " idempotent "
              + r.getIdempotentFailuresMap(), r.getThroughput());
      if (kill) {
        out.printf("idempotent loops: %d requests, %d failed; the killed instance's slot was"
            + " online again %d ms after the kill%n", r.getIdempotentRequests(), idemFailed,
            r.getOperationMs());
      } else {
        out.printf("reload took %d ms; every process replaced: %s (pids %s -> %s)%n",
            r.getOperationMs(), r.getReplaced(), r.getPidsBeforeList(), r.getPidsAfterList());
      }
      out.println("logs in " + logs);
    }
    out.flush();
    return lossless && r.getReplaced() && r.getWrongReplies() == 0 ? 0 : 1;
  }

  private static long sum(Map<String, Long> counts) {
    long n = 0;
    for (long v : counts.values()) {
      n += v;
    }
    return n;
  }
}
