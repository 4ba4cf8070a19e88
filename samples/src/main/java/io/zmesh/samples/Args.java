package io.zmesh.samples;

import io.zmesh.worker.MeshOptions;

/** The one argument the sample workers take: {@code --broker URL}. */
public final class Args {
  private Args() {}

  /** The value after {@code --broker}, else {@code $ZMESH_BROKER}, else the default broker. */
  public static String broker(String[] args) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals("--broker")) {
        return args[i + 1];
      }
    }
    return MeshOptions.defaultBroker();
  }
}
