package io.zmesh.broker;

import com.google.protobuf.TextFormat;
import io.zmesh.CurveKeys;
import io.zmesh.proto.AccessKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One reading of the allow-list file: every key the broker accepts and what it may do.
 * Immutable; a reload makes a new one.
 */
final class AccessList {
  private final Map<String, Access> byPublicKey;
  private final Map<String, Access> byName;

  private AccessList(Map<String, Access> byPublicKey, Map<String, Access> byName) {
    this.byPublicKey = byPublicKey;
    this.byName = byName;
  }

  /**
   * Reads and checks {@code file} (protobuf text format, {@code zmesh.v1.AccessList}).
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  static AccessList read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the allow-list " + file + ": " + e, e);
    }
    io.zmesh.proto.AccessList.Builder parsed = io.zmesh.proto.AccessList.newBuilder();
    try {
      TextFormat.getParser().merge(text, parsed);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException("allow-list " + file + ": " + e.getMessage(), e);
    }
    try {
      return of(parsed.build());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("allow-list " + file + ": " + e.getMessage(), e);
    }
  }

  static AccessList of(io.zmesh.proto.AccessList list) {
    Map<String, Access> byKey = new HashMap<>();
    Map<String, Access> byName = new HashMap<>();
    for (AccessKey key : list.getKeyList()) {
      String name = key.getName();
      if (name.isEmpty()) {
        throw new IllegalArgumentException("a key without a name (public key '"
            + key.getPublicKey() + "')");
      }
      if (!CurveKeys.isKey(key.getPublicKey())) {
        throw new IllegalArgumentException("key '" + name + "': public_key is not a CURVE key"
            + " (40 characters of Z85)");
      }
      Access access = Access.of(key);
      if (byName.put(name, access) != null) {
        throw new IllegalArgumentException("two keys are named '" + name + "'");
      }
      Access other = byKey.put(key.getPublicKey(), access);
      if (other != null) {
        throw new IllegalArgumentException("keys '" + other.keyName + "' and '" + name
            + "' have the same public key");
      }
    }
    return new AccessList(Map.copyOf(byKey), Map.copyOf(byName));
  }

  /** The access of the key with this Z85 public key, or null if it is not on the list. */
  Access byPublicKey(String z85) {
    return byPublicKey.get(z85);
  }

  /** The access of the key named {@code name}, or null if it is not on the list. */
  Access byName(String name) {
    return byName.get(name);
  }

  int size() {
    return byName.size();
  }
}
