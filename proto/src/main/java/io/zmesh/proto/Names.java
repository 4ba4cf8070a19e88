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

  public static boolean isReserved(String name) {
    return name.startsWith(RESERVED_PREFIX);
  }
}
