package io.zmesh.broker;

import io.zmesh.Code;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.Topics;
import io.zmesh.proto.Wire;
import java.util.ArrayList;
import java.util.List;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Subscriptions and the delivery of published messages. Broker-loop thread only, so nothing
 * here is locked.
 *
 * <p>Flow control: each subscription has a budget of messages and envelope bytes it may have
 * outstanding (sent, not yet credited back by the subscriber), and each connection a cap over
 * all of its subscriptions. A message that does not fit is dropped and counted, and the next
 * message the subscription gets carries the count. A subscriber that stops reading therefore
 * holds at most its connection's cap in the broker, and publishers and other subscribers never
 * wait for it.
 */
final class TopicRouter implements TopicTrie.Visitor {
  private final RequestRouter.Outbox out;
  private final Counters counters;
  private final TypeRegistry types;
  private final int subscriptionMessages;
  private final long subscriptionBytes;
  private final int connectionMessages;
  private final long connectionBytes;
  final TopicTrie trie = new TopicTrie();

  /** The PUBLISH being delivered, as it arrived: a field, so matching needs no lambda. */
  private byte[] publishing;

  TopicRouter(BrokerOptions options, RequestRouter.Outbox out, Counters counters,
      TypeRegistry types) {
    this.out = out;
    this.counters = counters;
    this.types = types;
    this.subscriptionMessages = options.subscriptionBudgetMessages();
    this.subscriptionBytes = options.subscriptionBudgetBytes();
    this.connectionMessages = options.connectionBudgetMessages();
    this.connectionBytes = options.connectionBudgetBytes();
  }

  // ------------------------------------------------------------ subscriptions

  void onSubscribe(Peer peer, Envelope packet, long now) {
    Subscribe sub = packet.getSubscribe();
    String problem = Topics.checkPattern(sub.getPattern());
    if (problem == null && !sub.getGroup().isEmpty()) {
      problem = Topics.checkGroup(sub.getGroup());
    }
    if (problem == null && peer.subscriptions != null
        && peer.subscriptions.containsKey(packet.getId())) {
      problem = "subscription id " + packet.getId() + " is already in use on this connection";
    }
    if (problem != null) {
      refuse(peer, packet.getId(), Code.INVALID_ARGUMENT, problem);
      return;
    }
    // 0 asks for the default; nobody gets more than the broker's limit.
    int messages = sub.getBudgetMessages() == 0 ? subscriptionMessages
        : (int) Math.min(sub.getBudgetMessages() & 0xFFFF_FFFFL, subscriptionMessages);
    long bytes = sub.getBudgetBytes() == 0 || Long.compareUnsigned(sub.getBudgetBytes(),
        subscriptionBytes) > 0 ? subscriptionBytes : sub.getBudgetBytes();
    TopicSubscription s = new TopicSubscription(peer, packet.getId(), sub.getPattern(),
        sub.getGroup(), sub.getMessageType(), messages, bytes, now);
    if (peer.subscriptions == null) {
      peer.subscriptions = new Long2ObjectHashMap<>();
    }
    peer.subscriptions.put(s.id, s);
    trie.add(s);
    if (sub.hasDescriptors()) {
      types.register(sub.getDescriptors());
    }
    out.send(peer, Envelope.newBuilder()
        .setCommand(Command.REPLY)
        .setId(packet.getId())
        .setSubscribe(Subscribe.newBuilder().setBudgetMessages(messages).setBudgetBytes(bytes))
        .build());
  }

  /** Answered even for an unknown id: unsubscribing is idempotent. */
  void onUnsubscribe(Peer peer, Envelope packet) {
    TopicSubscription s = peer.subscriptions == null ? null
        : peer.subscriptions.remove(packet.getId());
    if (s != null) {
      forget(s);
    }
    out.send(peer, Envelope.newBuilder().setCommand(Command.REPLY).setId(packet.getId()).build());
  }

  /**
   * A CREDIT: subscription {@code credit.id} took {@code messages} messages (a uint32) of {@code
   * bytes} bytes (a uint64) off its queue, {@code skipped} of them without handling them. Credit
   * for an unknown subscription (one just unsubscribed) is ignored.
   */
  void onCredit(Peer peer, Scan.Credit credit) {
    TopicSubscription s = peer.subscriptions == null ? null
        : peer.subscriptions.get(credit.id());
    if (s == null) {
      return;
    }
    // Never more than is outstanding: a confused subscriber cannot raise its budget.
    int messages = (int) Math.min(credit.messages(), s.outstandingMessages);
    long bytes = Long.compareUnsigned(credit.bytes(), s.outstandingBytes) > 0
        ? s.outstandingBytes : credit.bytes();
    s.outstandingMessages -= messages;
    s.outstandingBytes -= bytes;
    s.skipped += Long.compareUnsigned(credit.skipped(), messages) > 0 ? messages
        : credit.skipped();
    peer.topicMessages -= messages;
    peer.topicBytes -= bytes;
    if (s.memberOf != null) {
      s.memberOf.credited(s);
    }
  }

  /** {@code peer} is gone: its subscriptions and what they had outstanding go with it. */
  void peerLost(Peer peer) {
    if (peer.subscriptions == null) {
      return;
    }
    for (TopicSubscription s : peer.subscriptions.values()) {
      forget(s);
    }
    peer.subscriptions = null;
  }

  private void forget(TopicSubscription s) {
    trie.remove(s);
    s.peer.topicMessages -= s.outstandingMessages;
    s.peer.topicBytes -= s.outstandingBytes;
  }

  /** Every subscription, or those whose pattern matches {@code topic}. */
  List<TopicSubscription> list(Iterable<Peer> peers, String topic) {
    List<TopicSubscription> found = new ArrayList<>();
    if (topic.isEmpty()) {
      for (Peer p : peers) {
        if (p.subscriptions != null) {
          found.addAll(p.subscriptions.values());
        }
      }
      return found;
    }
    trie.match(topic, new TopicTrie.Visitor() {
      @Override
      public void broadcast(TopicSubscription s) {
        found.add(s);
      }

      @Override
      public void group(TopicGroup g) {
        for (int i = 0; i < g.size(); i++) {
          found.add(g.member(i));
        }
      }
    });
    return found;
  }

  // ------------------------------------------------------------ publishing

  /**
   * A PUBLISH with this {@code id} to {@code topic}; {@code body} is the envelope as it arrived,
   * and each copy sent is it plus a few fields. An id other than 0 asks for an answer: REPLY once
   * every copy has been sent (or dropped and counted), or the ERROR of a refusal.
   */
  void onPublish(Peer from, long id, String topic, byte[] body) {
    String problem = Topics.checkTopic(topic);
    if (problem != null) {
      refusePublish(from, id, Code.INVALID_ARGUMENT, problem);
      return;
    }
    if (Topics.isReserved(topic)) {
      refusePublish(from, id, Code.PERMISSION_DENIED, "cannot publish to '" + topic
          + "': topics starting with '" + Topics.RESERVED_PREFIX + "' are the broker's own");
      return;
    }
    counters.published++;
    publishing = body;
    if (trie.match(topic, this) == 0) {
      counters.unmatched++;
    }
    publishing = null;
    if (id != 0) {
      out.send(from, Envelope.newBuilder().setCommand(Command.REPLY).setId(id).build());
    }
  }

  @Override
  public void broadcast(TopicSubscription s) {
    if (!offer(s)) {
      drop(s);
    }
  }

  @Override
  public void group(TopicGroup g) {
    TopicSubscription least = g.least();
    if (offer(least)) {
      return;
    }
    // Only when the least loaded member is full (or its send failed): a group whose members
    // are all full costs a look at each, which dropping the message needs anyway.
    for (int i = 0, n = g.size(); i < n; i++) {
      TopicSubscription m = g.member(i);
      if (m != least && offer(m)) {
        return;
      }
    }
    drop(least);
  }

  /** Sends the message being published to {@code s} if the budgets allow; whether it left. */
  private boolean offer(TopicSubscription s) {
    Peer peer = s.peer;
    int length = Wire.messageLength(publishing.length, s.id, s.gap);
    if (peer.gone
        || s.outstandingMessages >= s.budgetMessages
        || s.outstandingBytes + length > s.budgetBytes
        || peer.topicMessages >= connectionMessages
        || peer.topicBytes + length > connectionBytes) {
      return false;
    }
    // A failed send (queue full, or the peer just left) counts as a drop like a full budget.
    if (!out.send(peer, Wire.toMessage(publishing, s.id, s.gap))) {
      return false;
    }
    s.gap = 0;
    s.delivered++;
    s.outstandingMessages++;
    s.outstandingBytes += length;
    peer.topicMessages++;
    peer.topicBytes += length;
    counters.delivered++;
    if (s.memberOf != null) {
      s.memberOf.sent(s);
    }
    return true;
  }

  private void drop(TopicSubscription s) {
    s.dropped++;
    s.gap++;
    counters.dropped++;
  }

  // ------------------------------------------------------------ refusals

  /** A refused publish is answered only when it carries an id; it is counted either way. */
  private void refusePublish(Peer to, long id, Code code, String message) {
    if (id != 0) {
      refuse(to, id, code, message);
    } else {
      counters.error(code);
    }
  }

  private void refuse(Peer to, long id, Code code, String message) {
    counters.error(code);
    out.send(to, StatusCodec.error(id, code, message));
  }
}
