package io.zmesh.broker;

import io.zmesh.proto.Hello;
import org.agrona.collections.Long2ObjectHashMap;

/** One connection (one DEALER socket) known to the broker: a client, a worker, or both. */
final class Peer {
  final Identity identity;
  final Hello hello;
  final long connectedAt;
  long lastSeen;
  long lastSent;
  /** The first of this peer's requests not yet answered (a list through PendingRequest). */
  PendingRequest waitingHead;
  /** How many: bounded by {@link BrokerOptions#connectionRequests()}. */
  int waiting;
  /** Set once the peer registered as a worker; one registration per connection. */
  WorkerInstance worker;
  /** Bytes sent and not yet acknowledged read (CREDIT id 0); counted in the memory budget. */
  long outbound;
  /** This connection's subscriptions by their id; null until its first. */
  Long2ObjectHashMap<TopicSubscription> subscriptions;
  /** Messages (and their bytes) of all those subscriptions sent and not yet credited back. */
  int topicMessages;
  long topicBytes;
  /** What this connection may do (its key's permissions), checked per act. */
  Access access = Access.ALL;
  /** The allow-list version {@link #access} was read from. */
  long accessVersion;
  /** When a subscription of this connection last credited anything. */
  long lastCredit;

  // --- as a publisher (protocol 1.1: publish credit)
  /** Whether it agreed a version with publish credit: its publishes are credited back. */
  boolean publishCredit;
  /** Whether it agreed a version with batches: it may be sent a MESSAGE carrying several. */
  boolean batches;
  /** Messages and bytes published and handled, to be credited back. */
  long owedMessages;
  long owedBytes;
  /** Subscriptions behind that this publisher's credit waits for. */
  int waits;
  /** Whether it is in the router's list of publishers to credit at the end of the batch. */
  boolean creditQueued;
  boolean gone;
  String goneReason;

  Peer(Identity identity, Hello hello, long now) {
    this.identity = identity;
    this.hello = hello;
    this.connectedAt = now;
    this.lastSeen = now;
    this.lastSent = now;
  }

  String describe() {
    String name = worker != null ? worker.group.name + "/" + worker.instanceId : hello.getClientName();
    String key = access.keyName == null ? "" : ", key '" + access.keyName + "'";
    return name + " (pid " + hello.getPid() + "@" + hello.getHost() + key + ")";
  }
}
