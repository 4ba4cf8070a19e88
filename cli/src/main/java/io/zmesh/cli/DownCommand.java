package io.zmesh.cli;

import io.zmesh.proto.DownReply;
import io.zmesh.proto.DownRequest;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zmesh down}: stop the supervisor, its instances and its broker. */
@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description = "Drain and stop every instance of the running supervisor, then its broker;"
        + " returns once they are stopped.")
final class DownCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
      converter = DurationConverter.class,
      description = "Longest wait for the instances to stop (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws InterruptedException {
    DownReply r;
    try (MeshClient client = SupervisorCall.connect(broker)) {
      r = SupervisorCall.call(client, broker, Supervisor.DOWN, DownRequest.getDefaultInstance(),
          DownReply.class, timeout);
    }
    // The supervisor exits right after answering: wait for it when it runs here.
    Optional<ProcessHandle> p = ProcessHandle.of(r.getPid());
    if (p.isPresent()) {
      p.get().onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join();
    }
    spec.commandLine().getOut().println("zmesh down: stopped " + r.getStopped()
        + " instances and the supervisor (pid " + r.getPid() + ")");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
