package io.zmesh.cli;

import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --broker URL}, shared by every command that talks to a running broker. */
final class BrokerOption {
  @Option(
      names = "--broker",
      paramLabel = "URL",
      defaultValue = "${env:ZMESH_BROKER:-tcp://127.0.0.1:5555}",
      description = "Broker endpoint (default: $ZMESH_BROKER or tcp://127.0.0.1:5555).")
  String broker;

  @Option(
      names = "--broker-key",
      paramLabel = "KEY|FILE",
      description = "The broker's CURVE public key, or its key file, to connect with CURVE"
          + " (default: $ZMESH_BROKER_KEY; needs --key too).")
  String brokerKey;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      description = "This client's CURVE secret key file, from zmesh keygen (default: $ZMESH_KEY).")
  Path key;

  MeshClient connect() {
    return MeshClient.connect(options().build());
  }

  /** @throws Main.UsageException if a key does not read, or only one of the two is known */
  MeshOptions.Builder options() {
    MeshOptions.Builder b = MeshOptions.builder().broker(broker).clientName("zmesh-cli");
    try {
      if (brokerKey != null) {
        b.brokerKey(brokerKey);
      }
      if (key != null) {
        b.keyFile(key);
      }
      b.build(); // reads what the environment names, so a bad key is a usage error here
    } catch (IllegalArgumentException e) {
      throw new Main.UsageException(e.getMessage());
    }
    return b;
  }
}
