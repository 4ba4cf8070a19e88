package io.zmesh.broker;

import java.util.Arrays;

/** A ROUTER routing id as a map key: byte arrays compare by reference. */
final class Identity {
  final byte[] bytes;
  private final int hash;

  Identity(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Identity && Arrays.equals(((Identity) o).bytes, bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(bytes.length * 2);
    for (byte x : bytes) {
      b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
    }
    return b.toString();
  }
}
