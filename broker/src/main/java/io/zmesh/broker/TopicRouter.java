package io.zmesh.broker;

import com.google.protobuf.CodedOutputStream;
import io.zmesh.Code;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Credit;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.Topics;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import java.util.ArrayList;
import java.util.List;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * Subscriptions and the delivery of published messages. Broker-loop thread only, so nothing
 * here is locked.
 *
 * <p>Budgets: each subscription has a budget of messages and envelope bytes it may have
 * outstanding (sent, not yet credited back by the subscriber), and each connection a cap over
 * all of its subscriptions. A message that does not fit is dropped and counted, and the next
 * message the subscription gets carries the count. A subscriber that stops reading therefore
 * holds at most its connection's cap in the broker.
 *
 * <p>Publish credit (protocol 1.1): a publisher that asked for it may have a window of
 * messages outstanding, and each PUBLISH is credited back once handled, unless a subscription
 * it reached is behind (more than {@code 1/HOLD_FRACTION} of its budget, or of its connection's
 * cap, outstanding): then the credit waits until that subscription has caught up to {@code
 * 1/RELEASE_FRACTION}, so a publisher slows to the pace of its subscribers instead of outrunning
 * them into their budgets. A subscription that is behind and credits nothing for the slow
 * timeout (a stalled handler, a subscriber that stopped reading) is slow: nobody waits for it
 * any more, and it loses what does not fit its budget, until it catches up. Publishers of 1.0
 * are never held back and never credited.
 */
final class TopicRouter implements TopicTrie.Visitor {
  /** A subscription holds publishers back above this fraction of its budget outstanding. */
  static final int HOLD_FRACTION = 8;
  /** ... and lets them go once below this fraction. */
  static final int RELEASE_FRACTION = 16;

  private final RequestRouter.Outbox out;
  private final Counters counters;
  private final TypeRegistry types;
  private final int subscriptionMessages;
  private final long subscriptionBytes;
  private final int connectionMessages;
  private final long connectionBytes;
  private final long slowNanos;
  final TopicTrie trie = new TopicTrie();
  /** Subscriptions publishers wait for. */
  private final List<TopicSubscription> pressing = new ArrayList<>();
  /** Publishers with credit owed, to be sent at the end of the batch of packets. */
  private final List<Peer> creditDue = new ArrayList<>();

  /** The PUBLISH being delivered, as it arrived: a field, so matching needs no lambda. */
  private byte[] publishing;
  /** The messages it carries: 1, or those of a batch. */
  private int messages;
  /** A batch as single-message PUBLISH frames, for subscribers of 1.0; made when first needed. */
  private byte[][] split;
  /** The batch decoded, when a subscriber of 1.0 or a budget it does not fit needs it. */
  private Envelope decoded;
  /** Its publisher, and when it is handled. */
  private Peer publisher;
  private long now;

  TopicRouter(BrokerOptions options, RequestRouter.Outbox out, Counters counters,
      TypeRegistry types) {
    this.out = out;
    this.counters = counters;
    this.types = types;
    this.subscriptionMessages = options.subscriptionBudgetMessages();
    this.subscriptionBytes = options.subscriptionBudgetBytes();
    this.connectionMessages = options.connectionBudgetMessages();
    this.connectionBytes = options.connectionBudgetBytes();
    this.slowNanos = options.slowSubscriberTimeout().toNanos();
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
      // A subscriber adds files no one declared; it never changes a worker's.
      types.register(peer, "", sub.getDescriptors());
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
  void onCredit(Peer peer, Scan.Credit credit, long now) {
    TopicSubscription s = peer.subscriptions == null ? null
        : peer.subscriptions.get(credit.id());
    if (s == null) {
      return;
    }
    s.lastCredit = now;
    peer.lastCredit = now;
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
    if (!connectionCaughtUp(peer)) {
      return;
    }
    if (s.slow && s.caughtUp()) {
      s.slow = false;
    }
    if (s.pressing && s.caughtUp()) {
      release(s);
    }
    if (!pressing.isEmpty()) {
      // Others of the connection may wait only for the connection's cap.
      for (int i = pressing.size() - 1; i >= 0 && i < pressing.size(); i--) {
        TopicSubscription other = pressing.get(i);
        if (other.peer == peer && other.caughtUp()) {
          release(other);
        }
      }
    }
  }

  private boolean connectionBehind(Peer peer) {
    return peer.topicMessages >= connectionMessages / HOLD_FRACTION
        || peer.topicBytes >= connectionBytes / HOLD_FRACTION;
  }

  private boolean connectionCaughtUp(Peer peer) {
    return peer.topicMessages < connectionMessages / RELEASE_FRACTION
        && peer.topicBytes < connectionBytes / RELEASE_FRACTION;
  }

  // ------------------------------------------------------------ publish credit

  /** Publisher {@code p}'s credit waits for {@code s}, which is behind. */
  private void press(TopicSubscription s, Peer p) {
    if (!s.pressing) {
      s.pressing = true;
      s.pressingSince = now;
      pressing.add(s);
    }
    if (s.waiting == null) {
      s.waiting = new ArrayList<>(2);
    }
    if (!s.waiting.contains(p)) {
      s.waiting.add(p);
      p.waits++;
      counters.publishersHeld++;
    }
  }

  /** {@code s} caught up, turned slow or left: the publishers waiting for it go on. */
  private void release(TopicSubscription s) {
    s.pressing = false;
    pressing.remove(s);
    if (s.waiting != null) {
      for (int i = 0; i < s.waiting.size(); i++) {
        Peer p = s.waiting.get(i);
        if (--p.waits == 0) {
          queueCredit(p);
        }
      }
      s.waiting = null;
    }
  }

  private void queueCredit(Peer p) {
    if (!p.creditQueued && p.owedMessages > 0) {
      p.creditQueued = true;
      creditDue.add(p);
    }
  }

  /**
   * Subscriptions behind that have credited nothing for the slow timeout become slow: nobody
   * waits for them any more. One with nothing outstanding of its own waits for its connection,
   * which counts as silent when none of its subscriptions credits.
   */
  void checkSlow(long now) {
    for (int i = pressing.size() - 1; i >= 0 && i < pressing.size(); i--) {
      TopicSubscription s = pressing.get(i);
      if (now - quietSince(s) >= slowNanos) {
        s.slow = true;
        counters.subscriptionsSlow++;
        release(s);
      }
    }
  }

  private static long quietSince(TopicSubscription s) {
    return Math.max(s.pressingSince, s.outstandingMessages > 0 ? s.lastCredit : s.peer.lastCredit);
  }

  /** Subscriptions publishers wait for now. */
  int behind() {
    return pressing.size();
  }

  /** When {@link #checkSlow} may next find a slow subscription; MAX_VALUE for never. */
  long nextSlowCheckAt() {
    long at = Long.MAX_VALUE;
    for (int i = 0; i < pressing.size(); i++) {
      at = Math.min(at, quietSince(pressing.get(i)) + slowNanos);
    }
    return at;
  }

  /** Sends the credit publishers are owed and not held back from, one CREDIT each. */
  void flushPublishCredit() {
    for (int i = 0; i < creditDue.size(); i++) {
      Peer p = creditDue.get(i);
      p.creditQueued = false;
      if (p.waits > 0 || p.gone || p.owedMessages == 0) {
        continue; // queued again when the last subscription it waits for is released
      }
      long messages = Math.min(p.owedMessages, 0xFFFF_FFFFL);
      long bytes = p.owedBytes;
      p.owedMessages -= messages;
      p.owedBytes = 0;
      out.send(p, Envelope.newBuilder().setCommand(Command.CREDIT)
          .setCredit(Credit.newBuilder().setMessages((int) messages).setBytes(bytes)).build());
    }
    creditDue.clear();
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
    if (s.pressing) {
      release(s);
    }
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
   * A PUBLISH of {@code count} messages in {@code bytes} bytes is owed its publisher's credit
   * even when it goes nowhere (refused here, or by the allow-list before it got here).
   */
  void owePublishCredit(Peer from, int count, int bytes) {
    if (from.publishCredit) {
      from.owedMessages += count;
      from.owedBytes += bytes;
      queueCredit(from);
    }
  }

  /**
   * A PUBLISH with this {@code id} to {@code topic}; {@code body} is the envelope as it arrived,
   * and each copy sent is it plus a few fields. An id other than 0 asks for an answer: REPLY once
   * every copy has been sent (or dropped and counted), or the ERROR of a refusal.
   */
  void onPublish(Peer from, long id, String topic, byte[] body, int count, long now) {
    // Every PUBLISH is credited once, refused or not; held back while a subscription is behind.
    owePublishCredit(from, count, body.length);
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
    counters.published += count;
    publishing = body;
    messages = count;
    publisher = from;
    this.now = now;
    if (trie.match(topic, this) == 0) {
      counters.unmatched++;
    }
    publishing = null;
    split = null;
    decoded = null;
    publisher = null;
    if (id != 0) {
      out.send(from, Envelope.newBuilder().setCommand(Command.REPLY).setId(id).build());
    }
  }

  @Override
  public void broadcast(TopicSubscription s) {
    if (!offer(s)) {
      drop(s);
    }
    holdIfBehind(s);
  }

  /** A publisher with credit waits for a subscription it reached that is behind and not slow. */
  private void holdIfBehind(TopicSubscription s) {
    if (publisher.publishCredit && !s.slow && !s.peer.gone
        && (s.behind() || connectionBehind(s.peer))) {
      press(s, publisher);
    }
  }

  @Override
  public void group(TopicGroup g) {
    TopicSubscription least = g.least();
    if (offer(least)) {
      holdIfBehind(least);
      return;
    }
    // Only when the least loaded member is full (or its send failed): a group whose members
    // are all full costs a look at each, which dropping the message needs anyway.
    for (int i = 0, n = g.size(); i < n; i++) {
      TopicSubscription m = g.member(i);
      if (m != least && offer(m)) {
        holdIfBehind(m);
        return;
      }
    }
    drop(least);
    holdIfBehind(least);
  }

  /**
   * Sends the messages being published to {@code s} as far as the budgets allow: as they came,
   * one MESSAGE for a whole batch; to a subscriber of 1.0, one MESSAGE each. Of a batch that
   * does not fit whole, the messages that fit go, the rest is dropped. Whether any left.
   */
  private boolean offer(TopicSubscription s) {
    Peer peer = s.peer;
    if (messages > 1 && !peer.batches) {
      return offerSplit(s);
    }
    int length = Wire.messageLength(publishing.length, s.id, s.gap);
    if (!fits(s, messages, length)) {
      return messages > 1 && offerPart(s);
    }
    // A failed send (queue full, or the peer just left) counts as a drop like a full budget.
    if (!out.send(peer, Wire.toMessage(publishing, s.id, s.gap))) {
      return false;
    }
    sent(s, messages, length);
    return true;
  }

  /** The first messages of a batch, as many as fit; the rest counts as dropped. */
  private boolean offerPart(TopicSubscription s) {
    // A full budget (a subscriber that stalled) is told without decoding anything: room for
    // less than a message of the batch's average size counts as none.
    Peer peer = s.peer;
    long room = Math.min(s.budgetBytes - s.outstandingBytes, connectionBytes - peer.topicBytes);
    if (s.outstandingMessages >= s.budgetMessages || peer.topicMessages >= connectionMessages
        || room < publishing.length / messages) {
      return false;
    }
    Envelope batch = decoded();
    Envelope first = batch.toBuilder().clearBatch().clearId().build();
    long size = first.getSerializedSize();
    int fit = 0;
    long fitLength = 0;
    for (int k = 1; k < messages; k++) { // k messages: the first and k - 1 of the batch
      long length = Wire.messageLength((int) size, s.id, s.gap);
      if (!fits(s, k, length)) {
        break;
      }
      fit = k;
      fitLength = length;
      size += CodedOutputStream.computeMessageSize(Envelope.BATCH_FIELD_NUMBER,
          batch.getBatch(k - 1));
    }
    if (fit == 0) {
      return false;
    }
    Envelope part = first.toBuilder().addAllBatch(batch.getBatchList().subList(0, fit - 1))
        .build();
    if (!out.send(s.peer, Wire.toMessage(Wire.encode(part), s.id, s.gap))) {
      return false;
    }
    sent(s, fit, fitLength);
    dropRest(s, messages - fit);
    return true;
  }

  /** A batch to a subscriber of 1.0: each message alone, as far as the budgets allow. */
  private boolean offerSplit(TopicSubscription s) {
    if (split == null) {
      Envelope batch = decoded();
      Envelope one = batch.toBuilder().clearBatch().clearId().build();
      split = new byte[messages][];
      split[0] = Wire.encode(one);
      for (int i = 1; i < messages; i++) {
        split[i] = Wire.encode(one.toBuilder().setPayload(batch.getBatch(i - 1)).build());
      }
    }
    for (int i = 0; i < split.length; i++) {
      int length = Wire.messageLength(split[i].length, s.id, s.gap);
      if (!fits(s, 1, length) || !out.send(s.peer, Wire.toMessage(split[i], s.id, s.gap))) {
        if (i == 0) {
          return false;
        }
        dropRest(s, split.length - i);
        return true;
      }
      sent(s, 1, length);
    }
    return true;
  }

  /**
   * The batch being published, decoded: only for a subscriber of 1.0 or one whose budget the
   * batch does not fit, once per publish.
   */
  private Envelope decoded() {
    if (decoded == null) {
      try {
        decoded = Wire.decode(publishing);
      } catch (WireException e) {
        throw new IllegalStateException("a scanned PUBLISH does not decode", e);
      }
    }
    return decoded;
  }

  private boolean fits(TopicSubscription s, int count, long length) {
    Peer peer = s.peer;
    return !peer.gone
        && s.outstandingMessages + count <= s.budgetMessages
        && s.outstandingBytes + length <= s.budgetBytes
        && peer.topicMessages + count <= connectionMessages
        && peer.topicBytes + length <= connectionBytes;
  }

  private void sent(TopicSubscription s, int count, long length) {
    Peer peer = s.peer;
    s.gap = 0;
    s.delivered += count;
    s.outstandingMessages += count;
    s.outstandingBytes += length;
    peer.topicMessages += count;
    peer.topicBytes += length;
    counters.delivered += count;
    if (s.memberOf != null) {
      s.memberOf.sent(s);
    }
  }

  private void dropRest(TopicSubscription s, int count) {
    s.dropped += count;
    s.gap += count;
    counters.dropped += count;
  }

  private void drop(TopicSubscription s) {
    dropRest(s, messages);
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
