package io.zmesh.cli;

import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import picocli.CommandLine.Option;

/** {@code --broker URL}, shared by every command that talks to a running broker. */
final class BrokerOption {
  @Option(
      names = "--broker",
      paramLabel = "URL",
      defaultValue = "${env:ZMESH_BROKER:-tcp://127.0.0.1:5555}",
      description = "Broker endpoint (default: $ZMESH_BROKER or tcp://127.0.0.1:5555).")
  String broker;

  MeshClient connect() {
    return MeshClient.connect(options().build());
  }

  MeshOptions.Builder options() {
    return MeshOptions.builder().broker(broker).clientName("zmesh-cli");
  }
}
