package io.zmesh.cli;

import io.zmesh.bench.OverloadBench;
import io.zmesh.bench.proto.OverloadReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh bench overload}. */
@Command(
    name = "overload",
    mixinStandardHelpOptions = true,
    description = "A burst beyond credit and queue: the excess must get OVERLOADED at once, the"
        + " rest replies, counted exactly.")
final class BenchOverloadCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--workers", defaultValue = "2", description = "Instances (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--concurrency", defaultValue = "4",
      description = "Credit per instance (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--queue-limit", defaultValue = "100",
      description = "The broker's queue per worker name (default: ${DEFAULT-VALUE}).")
  int queueLimit;

  @Option(names = "--burst", defaultValue = "1000",
      description = "Requests sent at once (default: ${DEFAULT-VALUE}).")
  int burst;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (workers < 1 || concurrency < 1 || queueLimit < 0 || burst < 1) {
      throw new Main.UsageException("--workers, --concurrency and --burst must be positive");
    }
    OverloadReport r = OverloadBench.run(workers, concurrency, queueLimit, burst);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(MessageTypes.builtin().toNaturalJson(r, false));
    } else {
      out.printf("burst of %d to %d instances x credit %d, queue limit %d%n", burst, workers,
          concurrency, queueLimit);
      out.printf("replies %d (expected %d), OVERLOADED %d (expected %d), other errors %d: %s%n",
          r.getReplies(), r.getExpectedReplies(), r.getOverloaded(),
          burst - r.getExpectedReplies(), r.getOtherErrors(), r.getExact() ? "exact" : "NOT EXACT");
    }
    out.flush();
    return r.getExact() ? 0 : 1;
  }
}
