package io.zmesh.cli;

import io.zmesh.bench.AttackBench;
import io.zmesh.bench.ChaosBench;
import io.zmesh.bench.FuzzBench;
import io.zmesh.bench.RestartBench;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The reliability experiments of docs/reliability.md: {@code zmesh bench chaos}, {@code
 * restart}, {@code fuzz} and {@code attack}. Each prints what it saw; chaos exits 1 if a
 * property did not hold.
 */
final class BenchReliabilityCommands {
  private BenchReliabilityCommands() {}

  @Command(name = "chaos", mixinStandardHelpOptions = true,
      description = "SIGKILL a random instance of a worker (each in its own process) at every"
          + " interval under steady load, restarting it at once; every request must resolve"
          + " exactly once, none past its deadline, idempotent ones all succeed.")
  static final class Chaos implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
        description = "How long (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--instances", defaultValue = "4",
        description = "Worker instances (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--kill-every", defaultValue = "1s", converter = DurationConverter.class,
        description = "Interval between SIGKILLs (default: ${DEFAULT-VALUE}).")
    Duration killEvery;

    @Option(names = "--in-flight", defaultValue = "64",
        description = "Requests kept in flight (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--timeout", defaultValue = "5s", converter = DurationConverter.class,
        description = "Each request's deadline (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--seed", defaultValue = "1", description = "Which instance dies when.")
    long seed;

    @Override
    public Integer call() throws Exception {
      if (instances < 1 || inFlight < 1) {
        throw new Main.UsageException("--instances and --in-flight must be positive");
      }
      PrintWriter out = spec.commandLine().getOut();
      ChaosBench.Report r = ChaosBench.run(duration, instances, killEvery, inFlight, timeout,
          seed, out);
      out.print(r.text());
      out.println(r.passed() ? "PASSED" : "FAILED");
      out.flush();
      return r.passed() ? 0 : 1;
    }
  }

  @Command(name = "restart", mixinStandardHelpOptions = true,
      description = "SIGKILL the broker (a process of its own) under load and start it again on"
          + " the same port: how long until every worker and the subscriber are back, and how"
          + " requests issued before, during and after the outage ended.")
  static final class Restart implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--instances", defaultValue = "4",
        description = "Worker instances (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--outage", defaultValue = "1s", converter = DurationConverter.class,
        description = "Time between the kill and the new start (default: ${DEFAULT-VALUE}).")
    Duration outage;

    @Option(names = "--after", defaultValue = "3s", converter = DurationConverter.class,
        description = "Load after everything is back (default: ${DEFAULT-VALUE}).")
    Duration after;

    @Option(names = "--in-flight", defaultValue = "5000",
        description = "At most this many unanswered (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--rate", defaultValue = "200",
        description = "Requests a second, whatever the answers (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
        description = "Each request's deadline (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      out.print(RestartBench.run(instances, outage, after, inFlight, rate, timeout, out));
      out.flush();
      return 0;
    }
  }

  @Command(name = "fuzz", mixinStandardHelpOptions = true,
      description = "Random and mutated frames against a broker (a process of its own) while"
          + " normal traffic runs; prints the broker's state, memory and what is left over.")
  static final class Fuzz implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--frames", defaultValue = "1000000",
        description = "Frames to send (default: ${DEFAULT-VALUE}).")
    long frames;

    @Option(names = "--seed", defaultValue = "1", description = "The frames' random seed.")
    long seed;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      out.print(FuzzBench.run(frames, seed, out));
      out.flush();
      return 0;
    }
  }

  @Command(name = "attack", mixinStandardHelpOptions = true,
      description = "Memory attacks on a default broker with the JVM's default heap (a process"
          + " of its own): waiting requests, unread replies, declared frames, name floods.")
  static final class Attack implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--only", split = ",", paramLabel = "ATTACK",
        description = "Some of: waiting, unread, declared, names (default: all).")
    List<String> only;

    @Option(names = "--scale", defaultValue = "1",
        description = "Multiplies each attack's size (default: ${DEFAULT-VALUE}).")
    double scale;

    @Override
    public Integer call() throws Exception {
      List<String> attacks = only == null ? AttackBench.ATTACKS : only;
      for (String a : attacks) {
        if (!AttackBench.ATTACKS.contains(a)) {
          throw new Main.UsageException("no attack named '" + a + "'; there are "
              + AttackBench.ATTACKS);
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(AttackBench.run(attacks, scale, out));
      out.flush();
      return 0;
    }
  }
}
