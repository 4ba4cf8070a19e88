package io.zmesh.proto;

/** Rules for worker names, shared by the broker and the SDK so both refuse the same names. */
public final class Names {
  /** The broker's own services live under this prefix; no worker may register under it. */
  public static final String RESERVED_PREFIX = "zmesh.";

  public static final String SERVICE_WORKERS = "zmesh.workers";
  public static final String SERVICE_LOOKUP = "zmesh.service";
  public static final String SERVICE_TYPES = "zmesh.types";
  public static final String SERVICE_STATS = "zmesh.stats";
  public static final String SERVICE_TOPICS = "zmesh.topics";
  /** Reads the allow-list file again; a mutating service. */
  public static final String SERVICE_RELOAD_KEYS = "zmesh.keys.reload";

  public static final int MAX_NAME_LENGTH = 128;

  private Names() {}

  /** Null when {@code name} is a valid worker name, otherwise why it is not. */
  public static String checkWorkerName(String name) {
    if (name == null || name.isEmpty()) {
      return "worker name is empty";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "worker name is longer than " + MAX_NAME_LENGTH + " characters";
    }
    // Checked on every request, so a loop rather than a regular expression.
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
        return "worker name '" + name + "' may hold only letters, digits, '.', '_' and '-',"
            + " and must start with a letter or digit";
      }
    }
    return null;
  }

  /** The longest instance id. */
  public static final int MAX_INSTANCE_ID_LENGTH = 128;

  /**
   * Null when {@code id} is a valid instance id (1 to 128 printable ASCII characters, no
   * space), otherwise why it is not.
   */
  public static String checkInstanceId(String id) {
    return checkPrintable("instance id", id, MAX_INSTANCE_ID_LENGTH);
  }

  /**
   * Null when {@code s} is 1 to {@code max} printable ASCII characters other than space,
   * otherwise why not, naming it {@code what}.
   */
  static String checkPrintable(String what, String s, int max) {
    if (s == null || s.isEmpty()) {
      return what + " is empty";
    }
    if (s.length() > max) {
      return what + " is longer than " + max + " characters";
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return what + " '" + s + "' holds a character other than printable ASCII";
      }
    }
    return null;
  }

  public static boolean isReserved(String name) {
    return name.startsWith(RESERVED_PREFIX);
  }
}
