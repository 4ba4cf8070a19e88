package io.zmesh.broker;

import io.zmesh.proto.AccessKey;
import io.zmesh.proto.Names;
import io.zmesh.proto.Topics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What one connection may do: the permissions of its CURVE key, or everything on a broker
 * without an allow-list. Immutable; checked on the broker loop for every act that needs it.
 */
final class Access {
  /** The broker's own services, in two classes: listings, and what changes the broker. */
  enum Admin {
    NONE, READ, WRITE;

    static Admin parse(String text) {
      if (text == null || text.isEmpty()) {
        return NONE;
      }
      try {
        return valueOf(text.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("admin must be none, read or write: '" + text + "'");
      }
    }

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A broker without an allow-list trusts every connection. */
  static final Access ALL = new Access(null, NameRule.ANY, NameRule.ANY,
      List.of(Topics.REST), List.of(Topics.REST), Admin.WRITE);

  /** A key that left the allow-list: nothing is allowed. */
  static Access revoked(String keyName) {
    return new Access(keyName, NameRule.NONE, NameRule.NONE, List.of(), List.of(), Admin.NONE);
  }

  /** The key's name, null on a broker without an allow-list. */
  final String keyName;
  private final NameRule register;
  private final NameRule call;
  private final List<String> publish;
  private final List<String> subscribe;
  final Admin admin;
  private final boolean all;

  private Access(String keyName, NameRule register, NameRule call, List<String> publish,
      List<String> subscribe, Admin admin) {
    this.keyName = keyName;
    this.register = register;
    this.call = call;
    this.publish = publish;
    this.subscribe = subscribe;
    this.admin = admin;
    this.all = keyName == null;
  }

  /**
   * The permissions listed for {@code key}.
   *
   * @throws IllegalArgumentException naming the list and entry that is wrong
   */
  static Access of(AccessKey key) {
    String name = key.getName();
    return new Access(name,
        NameRule.of(name, "register", key.getRegisterList()),
        NameRule.of(name, "call", key.getCallList()),
        patterns(name, "publish", key.getPublishList()),
        patterns(name, "subscribe", key.getSubscribeList()),
        Admin.parse(key.getAdmin()));
  }

  private static List<String> patterns(String key, String what, List<String> list) {
    for (String p : list) {
      String problem = Topics.checkPattern(p);
      if (problem != null) {
        throw new IllegalArgumentException("key '" + key + "', " + what + ": " + problem);
      }
    }
    return List.copyOf(list);
  }

  /** Whether this is a key's access rather than a broker that trusts everyone. */
  boolean restricted() {
    return !all;
  }

  boolean mayRegister(String workerName) {
    return all || register.allows(workerName);
  }

  boolean mayCall(String workerName) {
    return all || call.allows(workerName);
  }

  boolean mayPublish(String topic) {
    if (all) {
      return true;
    }
    for (String p : publish) {
      if (Topics.matches(p, topic)) {
        return true;
      }
    }
    return false;
  }

  boolean maySubscribe(String pattern) {
    if (all) {
      return true;
    }
    for (String p : subscribe) {
      if (covers(p, pattern)) {
        return true;
      }
    }
    return false;
  }

  boolean mayAdmin(Admin needed) {
    return admin.compareTo(needed) >= 0;
  }

  /** "key 'db'", or "this connection" on a broker that trusts everyone. */
  String who() {
    return keyName == null ? "this connection" : "key '" + keyName + "'";
  }

  /**
   * Whether every topic that {@code inner} matches is matched by {@code outer}; both valid
   * patterns. {@code chat.>} covers {@code chat.*} and {@code chat.a.b}; {@code chat.*} covers
   * {@code chat.a} but not {@code chat.>}.
   */
  static boolean covers(String outer, String inner) {
    String[] a = outer.split("\\.", -1);
    String[] b = inner.split("\\.", -1);
    for (int i = 0; i < a.length; i++) {
      if (a[i].equals(Topics.REST)) {
        return i < b.length;
      }
      if (i >= b.length || b[i].equals(Topics.REST)) {
        return false;
      }
      if (!a[i].equals(Topics.ONE) && (b[i].equals(Topics.ONE) || !a[i].equals(b[i]))) {
        return false;
      }
    }
    return a.length == b.length;
  }

  /** Worker names: exact names, {@code prefix*}, or {@code *}. */
  static final class NameRule {
    static final NameRule ANY = new NameRule(true, Set.of(), List.of());
    static final NameRule NONE = new NameRule(false, Set.of(), List.of());

    private final boolean any;
    private final Set<String> exact;
    private final List<String> prefixes;

    private NameRule(boolean any, Set<String> exact, List<String> prefixes) {
      this.any = any;
      this.exact = exact;
      this.prefixes = prefixes;
    }

    static NameRule of(String key, String what, List<String> entries) {
      boolean any = false;
      Set<String> exact = new HashSet<>();
      List<String> prefixes = new ArrayList<>();
      for (String e : entries) {
        if (e.equals("*")) {
          any = true;
        } else if (e.endsWith("*")) {
          String prefix = e.substring(0, e.length() - 1);
          if (prefix.contains("*")) {
            throw new IllegalArgumentException("key '" + key + "', " + what + ": '" + e
                + "' may hold '*' only at its end");
          }
          prefixes.add(prefix);
        } else {
          String problem = Names.checkWorkerName(e);
          if (problem != null) {
            throw new IllegalArgumentException("key '" + key + "', " + what + ": " + problem);
          }
          exact.add(e);
        }
      }
      return new NameRule(any, Set.copyOf(exact), List.copyOf(prefixes));
    }

    boolean allows(String name) {
      if (any || exact.contains(name)) {
        return true;
      }
      for (String p : prefixes) {
        if (name.startsWith(p)) {
          return true;
        }
      }
      return false;
    }
  }
}
