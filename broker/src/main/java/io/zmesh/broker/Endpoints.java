package io.zmesh.broker;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** What an endpoint exposes: whether only this host can reach it. */
final class Endpoints {
  private Endpoints() {}

  /**
   * Whether {@code endpoint} is reachable from this host only: {@code inproc://}, {@code
   * ipc://}, or TCP on a loopback address. A wildcard ({@code tcp://*:5555}, {@code 0.0.0.0})
   * or a host that does not resolve counts as reachable from elsewhere.
   */
  static boolean isLocal(String endpoint) {
    if (endpoint.startsWith("inproc://") || endpoint.startsWith("ipc://")) {
      return true;
    }
    int scheme = endpoint.indexOf("://");
    if (scheme < 0) {
      return false;
    }
    String rest = endpoint.substring(scheme + 3);
    // tcp://[::1]:5555, tcp://127.0.0.1:*, tcp://eth0;127.0.0.1:5555 (source;address)
    int semicolon = rest.lastIndexOf(';');
    if (semicolon >= 0) {
      rest = rest.substring(semicolon + 1);
    }
    String host;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      host = close < 0 ? rest : rest.substring(1, close);
    } else {
      int colon = rest.lastIndexOf(':');
      host = colon < 0 ? rest : rest.substring(0, colon);
    }
    if (host.isEmpty() || host.equals("*")) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException | SecurityException e) {
      return false;
    }
  }
}
