package io.zmesh.cli;

import io.zmesh.proto.Wire;
import picocli.CommandLine.IVersionProvider;

/** {@code zmesh --version}. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {
      "zmesh " + Wire.version() + " (protocol " + Wire.PROTOCOL + ")",
      "Java " + System.getProperty("java.version") + " " + System.getProperty("java.vm.name"),
    };
  }
}
