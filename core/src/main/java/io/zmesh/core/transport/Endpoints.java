package io.zmesh.core.transport;

import java.util.regex.Pattern;

/**
 * The ZeroMQ endpoints zmesh accepts: {@code tcp://HOST:PORT} (a name, an IPv4 address or an
 * IPv6 one in brackets), {@code ipc://PATH} and {@code inproc://NAME}. Checked when options are
 * built, so a mistyped URL is refused at once with a sentence instead of being retried by
 * JeroMQ, which logs "Invalid URI" on every attempt.
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
}
