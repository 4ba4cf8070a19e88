package io.zmesh.broker;

/**
 * One subscription of one connection, with its budget and delivery counters. Broker-loop
 * thread only.
 */
final class TopicSubscription extends TopicTrie.Entry {
  final Peer peer;
  /** Chosen by the subscriber, unique on its connection. */
  final long id;
  final String pattern;
  /** Empty for broadcast. */
  final String group;
  final String messageType;
  final int budgetMessages;
  final long budgetBytes;
  final long createdAt;

  /** Sent and not yet credited back. */
  int outstandingMessages;
  long outstandingBytes;
  long delivered;
  long dropped;
  /** Messages the subscriber credited as skipped (not of its type, or unparseable). */
  long skipped;
  /** Dropped since the last message sent, told in the next one's {@code delivery}. */
  long gap;

  /** The group this subscription is a member of; null for broadcast. */
  TopicGroup memberOf;
  /** Position in its group's heap, -1 when in none. */
  int heapIndex = -1;
  /** Its group's send sequence number when it was last sent a message. */
  long lastSent;

  /**
   * How full the budget is, in sixteenths: a subscriber credits in batches of up to 1/16 of its
   * budget, so smaller differences in outstanding messages say when a credit happened to
   * arrive, not how fast a member reads.
   */
  int load() {
    return (int) ((long) outstandingMessages * LOAD_STEPS / budgetMessages);
  }

  static final int LOAD_STEPS = 16;

  TopicSubscription(Peer peer, long id, String pattern, String group, String messageType,
      int budgetMessages, long budgetBytes, long now) {
    this.peer = peer;
    this.id = id;
    this.pattern = pattern;
    this.group = group;
    this.messageType = messageType;
    this.budgetMessages = budgetMessages;
    this.budgetBytes = budgetBytes;
    this.createdAt = now;
  }

  @Override
  void accept(TopicTrie.Visitor visitor) {
    visitor.broadcast(this);
  }
}
