package io.zmesh.broker;

import io.zmesh.Code;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the broker has seen. Written by the broker loop only; read there for zmesh.stats. */
final class Counters {
  long packetsIn;
  long requests;
  long replies;
  long malformed;
  long unknownPeer;
  long lateReplies;
  long sendDropped;
  long peersLeft;
  long peersTimedOut;
  long redispatched;
  long stuckDisconnected;
  long published;
  long delivered;
  long dropped;
  long unmatched;
  long internalErrors;
  long refusals;
  long outboundHeld;
  long publishersHeld;
  long subscriptionsSlow;
  final long[] errors = new long[Code.values().length];

  void error(Code code) {
    errors[code.number()]++;
  }

  Map<String, Long> snapshot() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("packets_in", packetsIn);
    m.put("requests", requests);
    m.put("replies", replies);
    m.put("malformed_packets", malformed);
    m.put("unknown_peer_packets", unknownPeer);
    m.put("late_replies_dropped", lateReplies);
    m.put("sends_dropped", sendDropped);
    m.put("peers_left", peersLeft);
    m.put("peers_timed_out", peersTimedOut);
    m.put("requests_redispatched", redispatched);
    m.put("workers_disconnected_stuck", stuckDisconnected);
    m.put("messages_published", published);
    m.put("messages_delivered", delivered);
    m.put("messages_dropped", dropped);
    m.put("messages_unmatched", unmatched);
    m.put("internal_errors", internalErrors);
    m.put("refused_acts", refusals);
    m.put("sends_held_unread_budget", outboundHeld);
    m.put("publishers_held", publishersHeld);
    m.put("subscriptions_slow", subscriptionsSlow);
    for (Code c : Code.values()) {
      if (c != Code.OK) {
        m.put("errors." + c.name().toLowerCase(java.util.Locale.ROOT), errors[c.number()]);
      }
    }
    return m;
  }
}
