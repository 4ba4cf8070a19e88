package io.zmesh.samples;

import io.zmesh.cli.CliExtension;
import java.util.List;

/** Adds {@code zmesh demo} to the command line when the samples are on the class path. */
public final class SamplesCli implements CliExtension {
  @Override
  public List<Object> commands() {
    return List.of(new Demo());
  }
}
