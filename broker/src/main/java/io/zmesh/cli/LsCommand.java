package io.zmesh.cli;

import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zmesh ls}: the registered workers, like {@code pm2 list}. */
@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description = "List registered workers: name, instance, pid, host, state, in-flight, handled,"
        + " errors, latency, uptime, last heartbeat.")
final class LsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only this worker.")
  String name;

  @Option(names = "--json", description = "Print the broker's answer as JSON.")
  boolean json;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
      converter = DurationConverter.class, description = "Deadline (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    try (MeshClient client = broker.connect()) {
      ListWorkersReply reply = client.call(Names.SERVICE_WORKERS,
          ListWorkersRequest.newBuilder().setName(name == null ? "" : name).build(),
          ListWorkersReply.class, CallOptions.DEFAULT.withTimeout(timeout));
      spec.commandLine().getOut().print(json
          ? MessageTypes.builtin().toJson(reply, false) + "\n"
          : WorkerTable.render(reply));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
