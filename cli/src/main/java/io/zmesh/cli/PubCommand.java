package io.zmesh.cli;

import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Publisher;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code zmesh pub TOPIC TYPE JSON}. */
@Command(
    name = "pub",
    mixinStandardHelpOptions = true,
    description = {
        "Publish one message to a topic.",
        "TYPE is resolved as for 'zmesh call': a type a registered worker or subscriber declared,"
            + " a protobuf well-known type (google.protobuf.StringValue, google.protobuf.Struct...)"
            + " or one of zmesh's own (zmesh.v1.*).",
        "Exit code 0 once the message is handed to the broker (with no subscriber it goes"
            + " nowhere); 2 for an unknown TYPE or JSON that does not fit it; 16 (INVALID_ARGUMENT)"
            + " for an invalid topic or a message over the broker's limit; 18 (PERMISSION_DENIED)"
            + " for a topic under 'zmesh.'; 19 (UNAVAILABLE) when the broker cannot be reached."},
    footer = {"", "Example:", "  zmesh pub chat.room.lobby google.protobuf.StringValue '\"hi\"'"})
final class PubCommand implements Callable<Integer> {
  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", paramLabel = "TOPIC", description = "Topic, e.g. orders.eu.new.")
  String topic;

  @Parameters(index = "1", paramLabel = "TYPE", description = "Message type.")
  String type;

  @Parameters(index = "2", paramLabel = "JSON", defaultValue = "{}",
      description = "The message as JSON; '-' reads standard input (default: {}).")
  String json;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
      converter = DurationConverter.class,
      description = "How long to wait for the broker (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    // Before connecting: a bad topic needs no broker to be refused.
    Publisher.checkTopic(topic);
    CallOptions options = CallOptions.DEFAULT.withTimeout(timeout);
    try (MeshClient client = broker.connect(broker.options().callOptions(options))) {
      MessageTypes types = MessageTypes.fromBroker(client, options);
      client.publish(topic, types.parseArgument(type, json));
      // close() sends what was published before it says goodbye.
      return 0;
    }
  }
}
