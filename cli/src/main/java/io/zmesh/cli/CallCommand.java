package io.zmesh.cli;

import com.google.protobuf.Any;
import com.google.protobuf.DynamicMessage;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zmesh call NAME TYPE JSON}. */
@Command(
    name = "call",
    mixinStandardHelpOptions = true,
    description = {
        "Send one request to a worker and print the reply as JSON.",
        "TYPE is a fully qualified message name: one a registered worker declared,"
            + " a protobuf well-known type (google.protobuf.StringValue, google.protobuf.Struct...)"
            + " or one of zmesh's own (zmesh.v1.*).",
        "Exit code 0 on a reply; 10 + the Status code number on an error."},
    footer = {"", "Examples:",
        "  zmesh call greeter greeter.Greet '{\"name\":\"ann\"}'",
        "  zmesh call chat zmesh.samples.HistoryRequest '{\"room\":\"lobby\"}'",
        "  echo '{\"name\":\"bob\"}' | zmesh call greeter greeter.Greet -"})
final class CallCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", paramLabel = "NAME", description = "Worker name.")
  String worker;

  @Parameters(index = "1", paramLabel = "TYPE", description = "Request message type.")
  String type;

  @Parameters(index = "2", arity = "0..1", paramLabel = "JSON", defaultValue = "{}",
      description = "The request as JSON; '-' reads standard input (default: {}).")
  String json;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = DurationConverter.class, description = "Deadline (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--wait", description = "Wait for a worker of this name to register.")
  boolean waitForWorker;

  @Option(names = "--idempotent", description = "Allow one retry on another instance.")
  boolean idempotent;

  @Option(names = {"-H", "--header"}, paramLabel = "KEY=VALUE", description = "Request header.")
  Map<String, String> headers;

  @Option(names = "--compact", description = "Print the reply on one line.")
  boolean compact;

  @Override
  public Integer call() {
    CallOptions options = CallOptions.DEFAULT
        .withTimeout(timeout)
        .withWaitForWorker(waitForWorker)
        .withIdempotent(idempotent);
    if (headers != null) {
      for (Map.Entry<String, String> h : headers.entrySet()) {
        options = options.withHeader(h.getKey(), h.getValue());
      }
    }
    try (MeshClient client = broker.connect()) {
      MessageTypes types = MessageTypes.fromBroker(client, CallOptions.DEFAULT.withTimeout(timeout));
      DynamicMessage request = types.parseArgument(type, json);
      Any reply = client.call(worker, Any.pack(request), Any.class, options);
      spec.commandLine().getOut().println(types.toJson(reply, compact));
      return 0;
    }
  }
}
