package io.zmesh.cli;

import io.zmesh.MeshException;
import io.zmesh.Status;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The {@code zmesh} command line. Exit codes: 0 success; 1 an unexpected failure; 2 bad
 * arguments, or a broker endpoint that cannot be bound; 3 the broker stopped on a fatal error;
 * {@code 10 + n} a request that ended with the {@link io.zmesh.Code} numbered n (11 NO_WORKER,
 * 12 DEADLINE_EXCEEDED, ... 19 UNAVAILABLE).
 */
@Command(
    name = "zmesh",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "A worker mesh around a ZeroMQ broker: named workers, typed requests, topics.",
    footer = {"", "In a built checkout, bin/zmesh demo also runs the samples' demo."},
    subcommands = {
        BrokerCommand.class,
        UpCommand.class,
        DownCommand.class,
        AppCommand.Restart.class,
        AppCommand.Reload.class,
        AppCommand.Scale.class,
        LogsCommand.class,
        TopCommand.class,
        LsCommand.class,
        CallCommand.class,
        PubCommand.class,
        SubCommand.class,
        BenchCommand.class,
        KeygenCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class Main implements Runnable {
  private static final String SDK_LOG_LEVEL = "org.slf4j.simpleLogger.log.io.zmesh.worker";

  /** Added to a Status code's number to make the process exit code. */
  public static final int STATUS_EXIT_BASE = 10;

  /** Bad arguments, or an endpoint the broker cannot bind. */
  public static final int EXIT_USAGE = 2;

  /**
   * The broker stopped on a fatal error (an {@link Error} on one of its threads); the same code
   * as the JVM's {@code -XX:+ExitOnOutOfMemoryError}, which {@code bin/zmesh} sets.
   */
  public static final int EXIT_FATAL = 3;

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    // A command is a client of the broker for a moment: the SDK's INFO lines (connected,
    // registered...) are for long-lived workers, and would only clutter a command's output.
    // Set before the first logger is made; an explicit -D setting wins.
    if (System.getProperty(SDK_LOG_LEVEL) == null) {
      System.setProperty(SDK_LOG_LEVEL, "warn");
    }
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(Main::handleFailure);
    return cl;
  }

  private static int handleFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
    PrintWriter err = cl.getErr();
    if (e instanceof MeshException) {
      Status status = ((MeshException) e).status();
      err.println("error: " + status);
      return STATUS_EXIT_BASE + status.code().number();
    }
    if (e instanceof CommandLine.ParameterException) {
      throw (CommandLine.ParameterException) e;
    }
    if (e instanceof UsageException) {
      err.println("error: " + e.getMessage());
      err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
      return EXIT_USAGE;
    }
    err.println("error: " + e);
    return 1;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A problem with the arguments that picocli cannot see (e.g. JSON that does not parse). */
  public static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }
}
