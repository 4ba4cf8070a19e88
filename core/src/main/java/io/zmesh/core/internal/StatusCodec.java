package io.zmesh.core.internal;

import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ErrorStatus;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Wire;

/**
 * {@link Status} and {@link Code} to and from their wire form. The numbers are the same on both
 * sides ({@code StatusCode} in mesh.proto); this keeps the generated types out of the public
 * API.
 */
public final class StatusCodec {
  private StatusCodec() {}

  public static StatusCode toWire(Code code) {
    return StatusCode.forNumber(code.number());
  }

  public static ErrorStatus toWire(Status status) {
    return ErrorStatus.newBuilder()
        .setCode(toWire(status.code()))
        .setMessage(status.description())
        .build();
  }

  /** The status an ERROR or DISCONNECT carries; an unknown number reads as INTERNAL. */
  public static Status fromWire(ErrorStatus status) {
    return Status.of(Code.forNumber(status.getCodeValue())).withDescription(status.getMessage());
  }

  /** The ERROR answering request {@code id}. */
  public static Envelope error(long id, Code code, String message) {
    return Wire.error(id, toWire(code), message);
  }
}
