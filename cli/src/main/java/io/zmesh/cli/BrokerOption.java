package io.zmesh.cli;

import io.zmesh.Status;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --broker URL}, shared by every command that talks to a running broker. */
final class BrokerOption {
  @Option(
      names = "--broker",
      paramLabel = "URL",
      defaultValue = "${env:ZMESH_BROKER:-tcp://127.0.0.1:5555}",
      converter = BrokerOption.Url.class,
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

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "How long to wait for the broker to answer (default: ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  MeshClient connect() {
    return connect(options());
  }

  /**
   * A client connected to the broker, or UNAVAILABLE (exit 19) naming the URL once {@link
   * #connectTimeout} has passed: a command never waits out its whole deadline for a broker that
   * is not there.
   */
  MeshClient connect(MeshOptions.Builder options) {
    MeshClient client = MeshClient.connect(options.build());
    boolean connected;
    try {
      connected = client.awaitConnected(connectTimeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      connected = false;
    }
    if (!connected) {
      client.close();
      throw Status.UNAVAILABLE.withDescription("no broker answering at " + broker + " within "
          + connectTimeout.toMillis() + " ms").asException();
    }
    return client;
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

  /** A URL the SDK accepts, or a usage error (exit 2) saying why not. */
  static final class Url implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        MeshOptions.builder().broker(value);
        return value;
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
