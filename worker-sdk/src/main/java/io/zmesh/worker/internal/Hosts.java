package io.zmesh.worker.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** This machine's name, looked up once: a failing or slow resolver must not stall I/O. */
public final class Hosts {
  private static final String NAME = lookup();

  private Hosts() {}

  public static String localName() {
    return NAME;
  }

  private static String lookup() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
