package io.zmesh.worker.internal;

import io.zmesh.proto.Wire;

/** Version strings sent in HELLO. */
public final class Versions {
  private Versions() {}

  public static String sdk() {
    return "zmesh-java/" + Wire.version();
  }
}
