package io.zmesh.proto;

import java.util.regex.Pattern;

/** Rules for worker names, shared by the broker and the SDK so both refuse the same names. */
public final class Names {
  /** The broker's own services live under this prefix; no worker may register under it. */
  public static final String RESERVED_PREFIX = "zmesh.";

  public static final String SERVICE_WORKERS = "zmesh.workers";
  public static final String SERVICE_LOOKUP = "zmesh.service";
  public static final String SERVICE_TYPES = "zmesh.types";
  public static final String SERVICE_STATS = "zmesh.stats";

  public static final int MAX_NAME_LENGTH = 128;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private Names() {}

  /** Null when {@code name} is a valid worker name, otherwise why it is not. */
  public static String checkWorkerName(String name) {
    if (name == null || name.isEmpty()) {
      return "worker name is empty";
    }
    if (name.length() > MAX_NAME_LENGTH) {
      return "worker name is longer than " + MAX_NAME_LENGTH + " characters";
    }
    if (!NAME.matcher(name).matches()) {
      return "worker name '" + name + "' may hold only letters, digits, '.', '_' and '-',"
          + " and must start with a letter or digit";
    }
    return null;
  }

  public static boolean isReserved(String name) {
    return name.startsWith(RESERVED_PREFIX);
  }
}
