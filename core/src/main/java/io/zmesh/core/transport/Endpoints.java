package io.zmesh.core.transport;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The ZeroMQ endpoints zmesh accepts: {@code tcp://HOST:PORT} (a name, an IPv4 address or an
 * IPv6 one in brackets), {@code ipc://PATH} and {@code inproc://NAME}. Checked when options are
 * built, so a mistyped URL is refused at once with a sentence instead of being retried by
 * JeroMQ, which logs "Invalid URI" on every attempt. Also says whether an endpoint is reachable
 * from this host only, for the broker's warning about a plain bind others can reach.
 */
public final class Endpoints {
  private static final Pattern TCP = Pattern.compile(
      "tcp://(\\[[0-9A-Fa-f:.]+\\]|[^\\s:/\\[\\]]+):(\\d{1,5}|\\*)");
  private static final Pattern OTHER = Pattern.compile("(ipc|inproc)://\\S+");

  private Endpoints() {}

  /**
   * Why {@code endpoint} is not one zmesh can connect to ({@code bind} false) or bind ({@code
   * bind} true: the host may be {@code *}, the port {@code *} for any free one); null if it is.
   */
  public static String check(String endpoint, boolean bind) {
    if (endpoint == null || endpoint.isEmpty()) {
      return "no endpoint given; write tcp://HOST:PORT";
    }
    var tcp = TCP.matcher(endpoint);
    if (tcp.matches()) {
      String port = tcp.group(2);
      if (port.equals("*")) {
        return bind ? null : "'" + endpoint + "' has no port to connect to; write tcp://HOST:PORT";
      }
      int n = Integer.parseInt(port);
      if (n < 1 || n > 65_535) {
        return "'" + endpoint + "': port " + n + " is not in [1, 65535]";
      }
      if (!bind && tcp.group(1).equals("*")) {
        return "'" + endpoint + "' names no host to connect to; write tcp://HOST:PORT";
      }
      return null;
    }
    if (OTHER.matcher(endpoint).matches()) {
      return null;
    }
    return "'" + endpoint + "' is not a ZeroMQ endpoint; write tcp://HOST:PORT"
        + (endpoint.contains("://") ? "" : " (the scheme tcp:// is required)");
  }

  /**
   * Whether {@code endpoint} is reachable from this host only: {@code inproc://}, {@code
   * ipc://}, or TCP on a loopback address. A wildcard ({@code tcp://*:5555}, {@code 0.0.0.0})
   * or a host that does not resolve counts as reachable from elsewhere.
   */
  public static boolean isLoopback(String endpoint) {
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
