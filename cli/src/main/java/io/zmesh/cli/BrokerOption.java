package io.zmesh.cli;

import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
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

  MeshClient connect() {
    return MeshClient.connect(options().build());
  }

  MeshOptions.Builder options() {
    return MeshOptions.builder().broker(broker).clientName("zmesh-cli");
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
