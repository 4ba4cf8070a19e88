package io.zmesh.samples;

import io.zmesh.worker.MeshOptions;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The option every sample takes, {@code --broker URL}, and the samples' duration syntax. */
public final class MeshArgs {
  @Option(names = "--broker", paramLabel = "URL",
      description = "The broker to register with (default: $ZMESH_BROKER, else "
          + MeshOptions.DEFAULT_BROKER + ").")
  String broker;

  /** The broker named on the command line, else {@link MeshOptions#defaultBroker()}. */
  public String broker() {
    return broker != null ? broker : MeshOptions.defaultBroker();
  }

  /** Reads durations written {@code 250ms}, {@code 2s} or {@code 5m}. */
  public static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      try {
        if (v.endsWith("ms")) {
          return positive(Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2))));
        }
        if (v.endsWith("s") || v.endsWith("m")) {
          return positive(Duration.parse("PT" + v.toUpperCase(Locale.ROOT)));
        }
      } catch (RuntimeException e) {
        // reported below
      }
      throw new TypeConversionException(
          "'" + value + "' is not a positive duration; write e.g. 250ms, 2s or 5m");
    }

    private static Duration positive(Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException();
      }
      return d;
    }
  }
}
