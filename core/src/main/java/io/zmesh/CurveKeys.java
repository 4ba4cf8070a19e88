package io.zmesh;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import org.zeromq.ZCert;
import org.zeromq.ZConfig;
import org.zeromq.ZMQ;

/**
 * CurveZMQ key pairs and their files, shared by the broker, workers, clients and {@code zmesh
 * keygen}. A key is 32 bytes written as 40 characters of Z85. Files are ZeroMQ certificates
 * (the format of czmq's {@code zcert} and JeroMQ's {@link ZCert}): {@code NAME.key} holds the
 * public key, {@code NAME.key_secret} both keys and is readable by its owner only (mode 0600).
 *
 * <pre>
 * curve
 *     public-key = "rq:rM&gt;}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *     secret-key = "JTKVSB%%)wK0E.X)V&gt;+}o?pNmC{O&amp;4W4b!Ni{Lh6"
 * </pre>
 */
public final class CurveKeys {
  /** Length of a key in Z85 text. */
  public static final int Z85_LENGTH = 40;

  /** The suffix of a secret key file beside its public one, as czmq names them. */
  public static final String SECRET_SUFFIX = "_secret";

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private CurveKeys() {}

  /** A key pair in Z85 text. */
  public record Pair(String publicKey, String secretKey) {
    /** @throws IllegalArgumentException if either is not a key */
    public Pair {
      check("public key", publicKey);
      check("secret key", secretKey);
    }

    /** Never the secret key. */
    @Override
    public String toString() {
      return "Pair[publicKey=" + publicKey + "]";
    }
  }

  /** A new random key pair. */
  public static Pair generate() {
    ZMQ.Curve.KeyPair pair = ZMQ.Curve.generateKeyPair();
    return new Pair(pair.publicKey, pair.secretKey);
  }

  /** Whether {@code text} is a key in Z85: 40 characters that decode to 32 bytes. */
  public static boolean isKey(String text) {
    if (text == null || text.length() != Z85_LENGTH) {
      return false;
    }
    try {
      byte[] raw = ZMQ.Curve.z85Decode(text);
      return raw != null && raw.length == 32;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The Z85 text of a 32-byte key. */
  public static String z85(byte[] key) {
    return ZMQ.Curve.z85Encode(key);
  }

  private static String check(String what, String key) {
    if (!isKey(key)) {
      throw new IllegalArgumentException(what + " is not a CURVE key (40 characters of Z85): '"
          + (key == null ? "null" : key.length() > 48 ? key.substring(0, 48) + "..." : key) + "'");
    }
    return key;
  }

  /**
   * Writes {@code pair} to {@code publicFile} and {@code publicFile + "_secret"}, the secret one
   * created with mode 0600 before a byte is written. Existing files are never overwritten.
   *
   * @param name stored in the files' metadata (e.g. the worker or person the key is for)
   * @return the secret file
   * @throws IOException if a file exists or cannot be written
   */
  public static Path write(Pair pair, Path publicFile, String name) throws IOException {
    Objects.requireNonNull(pair, "pair");
    Path secretFile = secretFileOf(publicFile);
    for (Path f : new Path[] {publicFile, secretFile}) {
      if (Files.exists(f)) {
        throw new FileAlreadyExistsException(f.toString(), null, "will not overwrite a key file");
      }
    }
    ZCert cert = new ZCert(pair.publicKey(), pair.secretKey());
    if (name != null && !name.isEmpty()) {
      cert.setMeta("name", name);
    }
    Path parent = secretFile.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (secretFile.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createFile(secretFile, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } else {
      Files.createFile(secretFile); // not a POSIX file system: its own rules apply
    }
    try (Writer w = Files.newBufferedWriter(secretFile, StandardCharsets.UTF_8,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      cert.saveSecret(w);
    }
    try (Writer w = Files.newBufferedWriter(publicFile, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE_NEW)) {
      cert.savePublic(w);
    }
    return secretFile;
  }

  /** {@code db.key} -> {@code db.key_secret}. */
  public static Path secretFileOf(Path publicFile) {
    return publicFile.resolveSibling(publicFile.getFileName() + SECRET_SUFFIX);
  }

  /**
   * The key pair in a secret key file.
   *
   * @throws IllegalArgumentException naming the file if it cannot be read or holds no pair
   */
  public static Pair readPair(Path secretFile) {
    ZConfig cert = load(secretFile);
    String pub = cert.getValue("curve/public-key");
    String sec = cert.getValue("curve/secret-key");
    if (sec == null) {
      throw new IllegalArgumentException(secretFile + " holds no secret key ('curve/secret-key');"
          + " it may be the public half, " + SECRET_SUFFIX + " is the secret one");
    }
    try {
      return new Pair(pub, sec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(secretFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * A public key given as its Z85 text, or as the path of a key file (public or secret).
   *
   * @throws IllegalArgumentException if it is neither
   */
  public static String publicKey(String keyOrFile) {
    Objects.requireNonNull(keyOrFile, "keyOrFile");
    String text = keyOrFile.trim();
    if (isKey(text)) {
      return text;
    }
    Path file = Path.of(text);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("'" + keyOrFile + "' is neither a CURVE key (40"
          + " characters of Z85) nor a key file");
    }
    String pub = load(file).getValue("curve/public-key");
    try {
      return check("public key", pub);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  private static ZConfig load(Path file) {
    try {
      return ZConfig.load(file.toString());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("cannot read key file " + file + ": " + e.getMessage(), e);
    }
  }
}
