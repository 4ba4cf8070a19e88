package io.zmesh.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** {@code zmesh bench}: performance figures, each as a ratio to a baseline of the same run. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure the mesh; figures are reported beside a baseline measured in the same run.",
    subcommands = {
        BenchReqRepCommand.class,
        BenchScaleCommand.class,
        BenchOverloadCommand.class,
        BenchDispatchCommand.class,
        BenchPubSubCommand.class,
        BenchReliabilityCommands.Chaos.class,
        BenchReliabilityCommands.Restart.class,
        BenchReliabilityCommands.Fuzz.class,
        BenchReliabilityCommands.Attack.class,
        BenchReloadCommand.class,
        CommandLine.HelpCommand.class,
    })
final class BenchCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
