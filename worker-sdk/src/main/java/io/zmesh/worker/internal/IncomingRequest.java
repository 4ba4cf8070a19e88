package io.zmesh.worker.internal;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Scan;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A REQUEST routed to this connection, as its handler needs it: id, time left, headers and the
 * payload. One without headers (nearly all) is read by a {@link Scan} and its payload parsed
 * straight from the frame, as a MESSAGE's is; one the scan leaves to the decoder is decoded and
 * becomes the same value, so every request reaches its handler on one path.
 */
public final class IncomingRequest {
  private final long id;
  private final long timeoutMs;
  private final Map<String, String> headers;
  /** Decoded: the payload; null when read from {@link #frame}. */
  private final Any payload;
  private final byte[] frame;
  /** Where the payload lies in {@link #frame}: type URL start (-1: none) and length, value. */
  private final int typeUrlStart;
  private final int typeUrlLength;
  private final int valueStart;
  private final int valueLength;

  private IncomingRequest(long id, long timeoutMs, Map<String, String> headers, Any payload,
      byte[] frame, int[] at) {
    this.id = id;
    this.timeoutMs = timeoutMs;
    this.headers = headers;
    this.payload = payload;
    this.frame = frame;
    boolean found = at != null && at.length >= 4 && at[0] >= 0;
    this.typeUrlStart = found ? at[0] : -1;
    this.typeUrlLength = found ? at[1] : 0;
    this.valueStart = found ? at[2] : 0;
    this.valueLength = found ? at[3] : 0;
  }

  /** A request the decoder read. */
  public static IncomingRequest of(Envelope decoded) {
    return new IncomingRequest(decoded.getId(), decoded.getTimeoutMs() & 0xFFFF_FFFFL,
        decoded.getHeadersMap(), decoded.getPayload(), null, null);
  }

  /** A request a scan read from {@code frame} (so without headers). */
  public static IncomingRequest of(Scan.Request scanned, byte[] frame) {
    return new IncomingRequest(scanned.id(), scanned.timeoutMs(), Map.of(), null, frame,
        Scan.items(frame));
  }

  /** The broker's id for the request, which the answer carries. */
  public long id() {
    return id;
  }

  /** The time left until its deadline as the broker forwarded it; 0 for none. */
  public long timeoutMs() {
    return timeoutMs;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** The payload's message name: what follows the type URL's last {@code /}. */
  public String typeName() {
    if (payload != null) {
      return Payloads.typeName(payload);
    }
    if (typeUrlStart < 0) {
      return "";
    }
    int end = typeUrlStart + typeUrlLength;
    int name = end;
    while (name > typeUrlStart && frame[name - 1] != '/') {
      name--;
    }
    // The scan vouched for an ASCII type URL.
    return new String(frame, name, end - name, StandardCharsets.ISO_8859_1);
  }

  /**
   * The payload as {@code type}.
   *
   * @throws io.zmesh.MeshException INVALID_ARGUMENT if it holds another type or does not parse
   */
  public <T extends Message> T unpack(Class<T> type, String what) {
    if (payload != null) {
      return Payloads.unpack(payload, type, what);
    }
    if (typeUrlStart < 0) {
      return Payloads.unpack(Any.getDefaultInstance(), type, what);
    }
    return Payloads.unpack(frame, typeUrlStart, typeUrlLength, valueStart, valueLength, type,
        what);
  }
}
