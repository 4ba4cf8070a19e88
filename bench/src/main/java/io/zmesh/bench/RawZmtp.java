package io.zmesh.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A ZMTP 3.0 DEALER written by hand over a plain TCP socket (NULL security only), to do what no
 * ZeroMQ library would: declare a frame and send part of it, or stall in the middle. Used by
 * {@code zmesh bench attack} and the tests of the broker's frame limits; one thread only.
 */
public final class RawZmtp implements AutoCloseable {
  private static final int FLAG_LONG = 0x02;
  private static final int FLAG_COMMAND = 0x04;

  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;

  /** Connects to a {@code tcp://host:port} endpoint and completes the NULL handshake. */
  public RawZmtp(String endpoint) throws IOException {
    URI uri = URI.create(endpoint);
    socket = new Socket();
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = socket.getInputStream();
    socket.setSoTimeout(5_000);
    out.write(greeting());
    out.write(frame(FLAG_COMMAND, ready()));
    out.flush();
    // A frame that arrives before the other side has sent its READY is taken as a second
    // handshake command, which fails the handshake: wait for its greeting and READY.
    readFully(64);
    int flags = in.read();
    long size = (flags & FLAG_LONG) != 0 ? ByteBuffer.wrap(readFully(8)).getLong() : in.read();
    if (flags < 0 || (flags & FLAG_COMMAND) == 0 || size < 0) {
      throw new IOException("no READY from " + endpoint);
    }
    readFully((int) size);
  }

  private byte[] readFully(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length < n) {
      throw new IOException("connection closed during the handshake");
    }
    return b;
  }

  private static byte[] greeting() {
    byte[] g = new byte[64];
    g[0] = (byte) 0xFF;
    g[9] = 0x7F;
    g[10] = 3; // major
    g[11] = 0; // minor
    byte[] mechanism = "NULL".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(mechanism, 0, g, 12, mechanism.length);
    return g;
  }

  private static byte[] ready() {
    byte[] name = "Socket-Type".getBytes(StandardCharsets.US_ASCII);
    byte[] value = "DEALER".getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(6 + 1 + name.length + 4 + value.length);
    b.put((byte) 5).put("READY".getBytes(StandardCharsets.US_ASCII));
    b.put((byte) name.length).put(name).putInt(value.length).put(value);
    return b.array();
  }

  private static byte[] frame(int flags, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(9 + body.length);
    if (body.length > 255) {
      b.put((byte) (flags | FLAG_LONG)).putLong(body.length);
    } else {
      b.put((byte) flags).put((byte) body.length);
    }
    b.put(body);
    b.flip();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }

  /** Sends one whole single-frame message. */
  public void send(byte[] body) throws IOException {
    out.write(frame(0, body));
    out.flush();
  }

  /** Sends a frame header announcing {@code size} bytes, then only {@code sent} of them. */
  public void declare(long size, int sent) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(9 + sent);
    b.put((byte) FLAG_LONG).putLong(size);
    b.put(new byte[sent]);
    out.write(b.array());
    out.flush();
  }

  /**
   * Whether the other side has closed the connection, waiting up to {@code millis} and
   * discarding whatever arrives meanwhile.
   */
  public boolean closedWithin(long millis) throws IOException {
    long end = System.nanoTime() + millis * 1_000_000L;
    byte[] sink = new byte[4096];
    while (true) {
      long left = (end - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return false;
      }
      socket.setSoTimeout((int) Math.max(1, left));
      try {
        if (in.read(sink) < 0) {
          return true;
        }
      } catch (java.net.SocketTimeoutException e) {
        return false;
      } catch (IOException e) {
        return true; // reset by the peer
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

}
