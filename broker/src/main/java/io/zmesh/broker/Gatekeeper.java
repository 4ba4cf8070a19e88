package io.zmesh.broker;

import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Envelope;
import java.util.Collection;
import java.util.function.BiConsumer;

/**
 * What each connection may do under a CURVE broker's allow-list, on the broker loop: a peer's
 * permissions kept current as the list changes, refusals answered and logged with the key's
 * name, and the connections a new list no longer admits closed. Without CURVE every peer has
 * {@link Access#ALL} and nothing here costs more than a null check.
 */
final class Gatekeeper {
  /** The allow-list; null when every connection is trusted. */
  final AccessControl control;
  private final Counters counters;
  private final BiConsumer<Peer, Envelope> send;
  private final BiConsumer<Peer, Status> disconnect;
  /** The allow-list version the peers were last checked against. */
  private long checked;

  Gatekeeper(AccessControl control, Counters counters, BiConsumer<Peer, Envelope> send,
      BiConsumer<Peer, Status> disconnect) {
    this.control = control;
    this.counters = counters;
    this.send = send;
    this.disconnect = disconnect;
    this.checked = control == null ? 0 : control.version();
  }

  /**
   * The permissions of a new connection whose handshake named key {@code keyName}: all of them
   * without CURVE, null when the key is not (or no longer) on the list.
   */
  Access admit(Peer peer, String keyName) {
    if (control == null) {
      peer.access = Access.ALL;
      peer.accessVersion = 0;
      return Access.ALL;
    }
    long version = control.version();
    Access granted = keyName == null ? null : control.current().byName(keyName);
    peer.access = granted;
    peer.accessVersion = version;
    return granted;
  }

  /** What {@code peer} may do under the allow-list in force. */
  Access of(Peer peer) {
    if (control != null && peer.accessVersion != control.version()) {
      long version = control.version();
      Access fresh = control.current().byName(peer.access.keyName);
      peer.access = fresh != null ? fresh : Access.revoked(peer.access.keyName);
      peer.accessVersion = version;
    }
    return peer.access;
  }

  /** True if {@code allowed}; otherwise the act is refused, answered and logged. */
  boolean permitted(Peer peer, long id, boolean allowed, String act) {
    if (allowed) {
      return true;
    }
    refuse(peer, id, peer.access, act);
    return false;
  }

  /**
   * Refuses {@code act}: PERMISSION_DENIED, or UNAUTHENTICATED for a key no longer on the
   * list, answered with {@code id} (none when -1) and logged with the key's name.
   */
  Code refuse(Peer peer, long id, Access a, String act) {
    boolean revoked = control != null && control.current().byName(a.keyName) == null;
    Code code = revoked ? Code.UNAUTHENTICATED : Code.PERMISSION_DENIED;
    String why = revoked ? a.who() + " is no longer on the broker's allow-list"
        : a.who() + " may not " + act;
    counters.error(code);
    counters.refusals++;
    if (control != null) {
      control.logRefusal(why + " (" + peer.describe() + ")");
    }
    if (id >= 0) {
      send.accept(peer, StatusCodec.error(id, code, why));
    }
    return code;
  }

  /**
   * After the allow-list changed: a connection whose key left the list, or that may no longer
   * be the worker or hold the subscriptions it has, is told why and forgotten.
   */
  void check(Collection<Peer> peers) {
    if (control != null && control.version() != checked) {
      checkNow(peers);
    }
  }

  /** {@link #check} now; returns how many connections were closed. */
  int checkNow(Collection<Peer> peers) {
    checked = control.version();
    int closed = 0;
    for (Peer peer : peers) {
      Access a = of(peer);
      String why = null;
      Code code = Code.PERMISSION_DENIED;
      if (control.current().byName(a.keyName) == null) {
        why = a.who() + " is no longer on the broker's allow-list";
        code = Code.UNAUTHENTICATED;
      } else if (peer.worker != null && !a.mayRegister(peer.worker.group.name)) {
        why = a.who() + " may no longer register as '" + peer.worker.group.name + "'";
      } else if (peer.subscriptions != null) {
        for (TopicSubscription sub : peer.subscriptions.values()) {
          if (!a.maySubscribe(sub.pattern)) {
            why = a.who() + " may no longer subscribe to '" + sub.pattern + "'";
            break;
          }
        }
      }
      if (why != null) {
        counters.refusals++;
        control.logRefusal(why + "; disconnecting " + peer.describe());
        disconnect.accept(peer, Status.of(code).withDescription(why));
        closed++;
      }
    }
    return closed;
  }
}
