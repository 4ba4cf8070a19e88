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

  /** Outstanding levels at which publishers wait for it, and at which they stop waiting. */
  final int holdMessages;
  final long holdBytes;
  final int releaseMessages;
  final long releaseBytes;
  /** Whether it is behind: publishers of what it matches wait for it. */
  boolean pressing;
  /** Behind and silent for the slow-subscriber timeout: nobody waits for it. */
  boolean slow;
  /** When it began pressing, and when it last credited anything. */
  long pressingSince;
  long lastCredit;
  /** Publishers whose credit waits for this subscription; null when none. */
  java.util.ArrayList<Peer> waiting;

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
    this.holdMessages = Math.max(1, budgetMessages / TopicRouter.HOLD_FRACTION);
    this.holdBytes = Math.max(1, budgetBytes / TopicRouter.HOLD_FRACTION);
    this.releaseMessages = Math.max(1, budgetMessages / TopicRouter.RELEASE_FRACTION);
    this.releaseBytes = Math.max(1, budgetBytes / TopicRouter.RELEASE_FRACTION);
    this.lastCredit = now;
  }

  /** Whether it is above the level at which publishers wait for it. */
  boolean behind() {
    return outstandingMessages >= holdMessages || outstandingBytes >= holdBytes;
  }

  /** Whether it has caught up to the level at which publishers stop waiting. */
  boolean caughtUp() {
    return outstandingMessages < releaseMessages && outstandingBytes < releaseBytes;
  }

  @Override
  void accept(TopicTrie.Visitor visitor) {
    visitor.broadcast(this);
  }
}
