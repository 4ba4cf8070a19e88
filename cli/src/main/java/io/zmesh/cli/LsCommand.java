package io.zmesh.cli;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import io.zmesh.supervisor.Supervisor;
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

/** {@code zmesh ls}: the registered workers, like {@code pm2 list}; or the subscriptions. */
@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description = {
        "List registered workers: name, instance, pid, host, state, in-flight, handled, errors,"
            + " latency, uptime, last heartbeat.",
        "Under a supervisor ('zmesh up'), list its instances instead: app, number, pid, status,"
            + " restarts, uptime, CPU, memory, in-flight, handled, errors.",
        "With --topics, list subscriptions: pattern, group, type, subscriber, delivered, dropped,"
            + " outstanding, budget, age; and the broker's publish totals."})
final class LsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
      description = "Only this worker; with --topics, only subscriptions matching this topic.")
  String name;

  @Option(names = "--topics", description = "List subscriptions instead of workers.")
  boolean topics;

  @Option(names = "--json", description = "Print the broker's answer as JSON.")
  boolean json;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s",
      converter = DurationConverter.class, description = "Deadline (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  /**
   * The supervisor's view when one runs (its status adds CPU, memory, restarts to the broker's
   * counters); null when the broker has no supervisor, so ls lists the broker's workers.
   */
  private static SupervisorStatus supervised(MeshClient client, String app,
      CallOptions options) {
    try {
      return client.call(Supervisor.STATUS, StatusRequest.newBuilder().setApp(app).build(),
          SupervisorStatus.class, options);
    } catch (MeshException e) {
      if (e.code() == Code.NO_WORKER) {
        return null;
      }
      throw e;
    }
  }

  @Override
  public Integer call() {
    try (MeshClient client = broker.connect()) {
      String filter = name == null ? "" : name;
      CallOptions options = CallOptions.DEFAULT.withTimeout(timeout);
      Message reply;
      String table;
      if (topics) {
        ListTopicsReply r = client.call(Names.SERVICE_TOPICS,
            ListTopicsRequest.newBuilder().setTopic(filter).build(), ListTopicsReply.class,
            options);
        reply = r;
        table = json ? null : TopicTable.render(r);
      } else if ((reply = supervised(client, filter, options)) != null) {
        table = json ? null : AppTable.render((SupervisorStatus) reply, null);
      } else {
        ListWorkersReply r = client.call(Names.SERVICE_WORKERS,
            ListWorkersRequest.newBuilder().setName(filter).build(), ListWorkersReply.class,
            options);
        if (!filter.isEmpty() && r.getWorkersCount() == 0 && r.getGroupsCount() == 0) {
          // Said once, not as an empty table: exit 11, as `zmesh call` has it.
          throw Status.NO_WORKER.withDescription(
              "no worker named '" + filter + "' is registered").asException();
        }
        reply = r;
        table = json ? null : WorkerTable.render(r);
      }
      spec.commandLine().getOut().print(json
          ? MessageTypes.builtin().toNaturalJson(reply, false) + "\n"
          : table);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
