package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;

import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.core.internal.DeadlineWheel;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Names;
import io.zmesh.proto.Ready;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Wire;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.agrona.collections.Long2ObjectHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes requests to worker instances and their answers back; owns registrations, credit,
 * queues and deadlines. Broker-loop thread only, so nothing here is locked.
 *
 * <p>Every accepted request is answered exactly once: by its worker's REPLY or ERROR, or by
 * the broker with DEADLINE_EXCEEDED, CANCELLED (its requester sent CANCEL) or WORKER_LOST.
 * A request cancelled (by its deadline or its requester) while a worker holds it is sent CANCEL
 * and keeps the worker's credit until the worker answers (the late answer is dropped): the
 * worker really is busy. A worker that has not answered within the cancel grace is
 * disconnected, so a worker that drops cancelled requests cannot lose its credit for good.
 */
final class RequestRouter {
  private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);
  /**
   * How often an idempotent request goes to another instance after losing the one that held
   * it: with instances dying every second under load, once was not always enough, and a bound
   * keeps a request that kills every worker it reaches from killing them all.
   */
  static final int MAX_RETRIES = 3;
  /** The most requests one instance may ask to hold at once, as the SDK allows. */
  static final int MAX_CONCURRENCY = 65_536;

  /** Sends packets for the router; false when the packet could not leave. */
  interface Outbox {
    boolean send(Peer to, Envelope packet);

    /** Sends an already encoded envelope. */
    boolean send(Peer to, byte[] body);

    /** Sends DISCONNECT with {@code why} and forgets the peer, after the packet at hand. */
    void disconnect(Peer peer, Status why);

    /** Whether {@code to} has as many unread bytes as it may: no new work is taken from it. */
    default boolean unreadFull(Peer to) {
      return false;
    }
  }

  private final BrokerOptions options;
  private final Outbox out;
  private final Counters counters;
  private final TypeRegistry types;
  private final MemoryBudget memory;
  final Map<String, WorkerGroup> groups = new HashMap<>();
  private final Long2ObjectHashMap<PendingRequest> pending = new Long2ObjectHashMap<>();
  private final DeadlineWheel<PendingRequest> deadlines;
  private final long defaultTimeoutNanos;
  private final long maxTimeoutMs;
  private final long cancelGraceNanos;
  /**
   * Until then (one registration window after the start) a request for a name nobody has
   * registered waits for a worker: after a broker restart clients may reconnect before the
   * workers do, and NO_WORKER would be an answer for an empty broker, not a true one.
   */
  private final long graceUntil;
  private boolean graceOver;
  /**
   * The registration window (by default one liveness window): how long a name without
   * instances is waited for.
   */
  private final long windowNanos;
  /**
   * Names whose last instance was lost, and when: for one window a request for one waits for
   * a new instance (a supervisor restarting a crashed worker) instead of getting NO_WORKER.
   */
  private final Map<String, Long> emptiedAt = new HashMap<>();
  /**
   * Names whose requests wait for a first instance even without wait_for_worker, up to their
   * deadline (an embedding supervisor holds the names it runs).
   */
  final Set<String> held = new HashSet<>();
  private final Hooks hooks;
  private long nextId;

  RequestRouter(BrokerOptions options, Outbox out, Counters counters, TypeRegistry types,
      MemoryBudget memory, long now) {
    this.options = options;
    this.out = out;
    this.counters = counters;
    this.types = types;
    this.memory = memory;
    this.deadlines = new DeadlineWheel<>(4 * MS, 4096, now);
    this.defaultTimeoutNanos = options.defaultRequestTimeout().toNanos();
    this.maxTimeoutMs = options.maxRequestTimeout().toMillis();
    this.cancelGraceNanos = options.cancelGrace().toNanos();
    this.windowNanos = options.registrationWindow().toNanos();
    this.graceUntil = now + windowNanos;
    this.hooks = new Hooks(options.workerListener(), options.requestListener());
  }

  int pendingCount() {
    return pending.size();
  }

  long nextDeadlineAt() {
    return deadlines.nextTickAt();
  }

  // ------------------------------------------------------------ registration

  void onReady(Peer peer, Envelope packet, long now) {
    Ready ready = packet.getReady();
    String name = ready.getName();
    String problem = Names.checkWorkerName(name);
    if (problem != null) {
      refuse(peer, packet, Code.INVALID_ARGUMENT, problem);
      return;
    }
    if (Names.isReserved(name)) {
      refuse(peer, packet, Code.PERMISSION_DENIED, "cannot register '" + name + "': names starting"
          + " with '" + Names.RESERVED_PREFIX + "' are reserved for the broker");
      return;
    }
    if (peer.worker != null) {
      refuse(peer, packet, Code.INVALID_ARGUMENT,
          "this connection is already registered as '" + peer.worker.group.name + "'");
      return;
    }
    int concurrency = ready.getConcurrency();
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      refuse(peer, packet, Code.INVALID_ARGUMENT, "concurrency must be 1 to " + MAX_CONCURRENCY
          + ": " + Integer.toUnsignedString(concurrency));
      return;
    }
    problem = Names.checkInstanceId(ready.getInstanceId());
    if (problem != null) {
      refuse(peer, packet, Code.INVALID_ARGUMENT, problem);
      return;
    }
    WorkerGroup group = groups.get(name);
    if (group == null) {
      if (groups.size() >= options.maxWorkerNames()) {
        refuse(peer, packet, Code.OVERLOADED, "cannot register '" + name + "': the broker holds "
            + groups.size() + " worker names, its limit");
        return;
      }
      group = new WorkerGroup(name, options.policyFor(name));
      groups.put(name, group);
    }
    replaceInstance(group, ready.getInstanceId(), peer);
    WorkerInstance instance = new WorkerInstance(peer, group, ready, now);
    peer.worker = instance;
    group.instances.add(instance);
    List<String> conflicts = types.register(peer, name, ready.getDescriptors());
    if (!conflicts.isEmpty()) {
      log.warn("{}: refused its definitions of {}, which conflict with those declared before by"
          + " other workers", peer.describe(), conflicts);
    }
    out.send(peer, Envelope.newBuilder().setCommand(Command.REPLY).setId(packet.getId()).build());
    group.balancer.changed(instance);
    pump(group, now);
    hooks.ready(instance);
  }

  /**
   * A READY naming an instance id already registered under the name on another connection is
   * that instance again (a restart, say, before the broker noticed the old process die): the
   * old connection is told and forgotten, its in-flight requests fail with WORKER_LOST.
   */
  private void replaceInstance(WorkerGroup group, String instanceId, Peer by) {
    for (WorkerInstance old : group.instances) {
      if (old.instanceId.equals(instanceId) && old.peer != by && !old.peer.gone) {
        group.balancer.removed(old);
        log.info("worker '{}' instance '{}' registered again by pid {}@{}; forgetting the old"
            + " connection", group.name, instanceId, by.hello.getPid(), by.hello.getHost());
        out.disconnect(old.peer, Status.UNAVAILABLE.withDescription("instance '" + instanceId
            + "' of worker '" + group.name + "' was registered again by another connection (pid "
            + by.hello.getPid() + "@" + by.hello.getHost() + ")"));
      }
    }
  }

  void onDrain(Peer peer, Envelope packet) {
    WorkerInstance instance = peer.worker;
    if (instance == null) {
      refuse(peer, packet, Code.INVALID_ARGUMENT, "DRAIN from a connection that is not a worker");
      return;
    }
    instance.draining = true;
    instance.group.balancer.removed(instance);
    // Every request routed here so far was sent before this answer, so the worker sees them all
    // before it learns the drain is in effect.
    out.send(peer, Envelope.newBuilder().setCommand(Command.REPLY).setId(packet.getId()).build());
  }

  // ------------------------------------------------------------ requests

  /**
   * A REQUEST from {@code from}, read by a scan or the decoder; {@code body} is the request as
   * it arrived, forwarded with only its id and timeout replaced.
   */
  void onRequest(Peer from, Scan.Request request, byte[] body, long now) {
    counters.requests++;
    long id = request.id();
    String name = request.worker();
    String problem = Names.checkWorkerName(name);
    if (problem != null) {
      refuseRequest(from, id, "", Code.INVALID_ARGUMENT, problem);
      return;
    }
    if (request.timeoutMs() > maxTimeoutMs) {
      refuseRequest(from, id, name, Code.INVALID_ARGUMENT, "timeout_ms " + request.timeoutMs()
          + " exceeds the broker's maximum of " + maxTimeoutMs + " ms");
      return;
    }
    WorkerGroup group = groups.get(name);
    boolean noInstance = group == null || group.instances.isEmpty();
    // A held name waits as if the request asked to: up to its deadline, not only a window.
    boolean waits = request.waitForWorker() || held.contains(name);
    long waitUntil = 0;
    if (noInstance && !waits) {
      Long emptied = emptiedAt.get(name);
      if (emptied != null && now - (emptied + windowNanos) < 0) {
        waitUntil = emptied + windowNanos;
      } else if (!graceOver && now - graceUntil < 0) {
        waitUntil = graceUntil;
      }
    }
    boolean grace = waitUntil != 0;
    if (noInstance && !waits && !grace) {
      refuseRequest(from, id, name, Code.NO_WORKER,
          "no worker named '" + name + "' is registered");
      return;
    }
    if (out.unreadFull(from)) {
      refuseRequest(from, id, name, Code.OVERLOADED, "this connection has " + from.outbound
          + " bytes sent by the broker that it has not read, its limit; read them first");
      return;
    }
    if (from.waiting >= options.connectionRequests()) {
      refuseRequest(from, id, name, Code.OVERLOADED, "this connection has " + from.waiting
          + " requests waiting for their answers, the limit; retry later");
      return;
    }
    if (group == null) {
      if (groups.size() >= options.maxWorkerNames()) {
        refuseRequest(from, id, name, Code.OVERLOADED, "cannot wait for a worker named '" + name
            + "': the broker holds " + groups.size() + " worker names, its limit");
        return;
      }
      group = new WorkerGroup(name, options.policyFor(name));
      groups.put(name, group);
    }
    WorkerInstance instance = group.queue.isEmpty() ? group.balancer.next() : null;
    if (instance == null && (group.queue.size() >= options.queueLimit()
        || group.queuedBytes + body.length > options.queueBytes())) {
      refuseRequest(from, id, name, Code.OVERLOADED, "worker '" + name + "' has "
          + group.queue.size() + " requests (" + group.queuedBytes + " bytes) queued, the limit"
          + " is " + options.queueLimit() + " (" + options.queueBytes() + " bytes); retry later");
      removeIfEmpty(group);
      return;
    }
    if (!memory.tryAcquire(body.length)) {
      refuseRequest(from, id, name, Code.OVERLOADED, memory.describe() + "; retry later");
      removeIfEmpty(group);
      return;
    }
    long timeout = request.timeoutMs() > 0 ? request.timeoutMs() * MS : defaultTimeoutNanos;
    PendingRequest p = new PendingRequest(
        ++nextId, from, id, request.idempotent(), body, group, now);
    p.graceWait = grace;
    p.graceUntil = waitUntil;
    pending.put(p.id, p);
    linkWaiting(from, p);
    deadlines.schedule(p, now + timeout);
    if (instance != null) {
      dispatch(p, instance, now);
      if (p.instance == null) {
        pump(group, now);
      }
    } else {
      enqueueLast(group, p);
    }
  }

  /**
   * The worker {@code from} answered request {@code answer.id} (a REPLY or an ERROR); {@code
   * body} is the answer as it arrived, or null when the broker made it up.
   */
  void onAnswer(Peer from, Envelope answer, byte[] body, long now) {
    PendingRequest p = pending.get(answer.getId());
    WorkerInstance instance = from.worker;
    if (p == null || instance == null || p.instance != instance) {
      counters.lateReplies++;
      return;
    }
    finish(p);
    instance.inFlight.remove(p);
    p.instance = null;
    if (p.answered) {
      instance.cancelling--;
    }
    instance.handled++;
    boolean ok = answer.getCommand() == Command.REPLY;
    if (!ok) {
      instance.errors++;
    }
    instance.recordLatency(now - p.dispatchedAt);
    if (p.answered) {
      counters.lateReplies++;
    } else {
      Code code = ok ? Code.OK : Code.forNumber(answer.getStatus().getCodeValue());
      if (ok) {
        counters.replies++;
      } else {
        counters.error(code);
      }
      byte[] forward = body != null
          ? Wire.withId(body, p.requesterId)
          : Wire.encode(answer.toBuilder().setId(p.requesterId).build());
      if (!out.send(p.requester, forward) && !p.requester.gone) {
        // Its true answer, in a packet small enough to pass: the reply could not be held.
        code = Code.OVERLOADED;
        counters.error(code);
        out.send(p.requester, StatusCodec.error(p.requesterId, code, "the reply of "
            + forward.length + " bytes from '" + instance.group.name + "' was dropped: this"
            + " connection has " + p.requester.outbound + " bytes sent by the broker that it has"
            + " not read, its limit"));
      }
      hooks.requestDone(instance.group.name, code, now - p.acceptedAt);
    }
    instance.group.balancer.changed(instance);
    pump(instance.group, now);
  }

  /**
   * The requester gave up on its request {@code id}: answered CANCELLED at once, and the
   * worker holding it, if any, is sent CANCEL.
   */
  void onCancel(Peer from, Envelope cancel, long now) {
    // Requests are indexed by the broker's ids; the requester's ids are unique only per
    // connection, so a cancel is matched against that connection's waiting requests.
    PendingRequest found = null;
    for (PendingRequest p = from.waitingHead; p != null; p = p.peerNext) {
      if (p.requesterId == cancel.getId()) {
        found = p;
        break;
      }
    }
    if (found == null) {
      return; // answered already, or never accepted: the answer the requester gets stands
    }
    answer(found, Code.CANCELLED, now, "request to '" + found.group.name
        + "' cancelled by its requester");
    drop(found, now);
  }

  /**
   * Forgets request {@code p}, whose requester has its answer or has left: a queued one at
   * once; one at a worker is sent CANCEL there ({@link #cancelAtWorker}).
   */
  private void drop(PendingRequest p, long now) {
    if (p.instance == null) {
      unqueue(p.group, p);
      finish(p);
      removeIfEmpty(p.group);
    } else {
      cancelAtWorker(p, now);
    }
  }

  /**
   * Tells the worker holding {@code p} that nobody waits for it, which answered {@code p}'s
   * requester already. The worker keeps the credit until it answers, for at most the grace.
   */
  private void cancelAtWorker(PendingRequest p, long now) {
    markAnswered(p);
    p.instance.cancelling++;
    deadlines.schedule(p, now + cancelGraceNanos);
    out.send(p.instance.peer,
        Envelope.newBuilder().setCommand(Command.CANCEL).setId(p.id).build());
  }

  private void dispatch(PendingRequest p, WorkerInstance instance, long now) {
    p.instance = instance;
    p.dispatchedAt = now;
    instance.lastDispatch = ++instance.group.dispatchSeq;
    instance.dispatchedSinceReweigh++;
    instance.inFlight.addLast(p);
    instance.group.balancer.dispatched(instance);
    long leftMs = Math.max(1, (p.deadline() - now) / MS);
    byte[] forward = Wire.withIdAndTimeout(p.body, p.id, (int) Math.min(leftMs, 0xFFFF_FFFFL));
    if (!out.send(instance.peer, forward)) {
      // Nothing left the broker, so the request can go elsewhere even if not idempotent.
      instance.inFlight.remove(p);
      p.instance = null;
      instance.group.balancer.removed(instance);
      enqueueFirst(instance.group, p);
    } else if (!p.idempotent || p.retries >= MAX_RETRIES) {
      // Never sent again: the copy on its way to the worker is all that is needed.
      releaseBody(p);
    }
  }

  /** Sends queued requests to instances with credit, in order. */
  private void pump(WorkerGroup group, long now) {
    WorkerInstance instance;
    while (!group.queue.isEmpty() && (instance = group.balancer.next()) != null) {
      PendingRequest p = group.queue.peekFirst();
      unqueue(group, p);
      // A failed send puts p back at the head and takes the instance out of the balancer.
      dispatch(p, instance, now);
    }
    removeIfEmpty(group);
  }

  /** Each time the broker checks its peers (every half heartbeat interval). */
  void tick(long now) {
    if (!graceOver && now - graceUntil >= 0) {
      graceOver = true;
    }
    if (!emptiedAt.isEmpty()) {
      emptiedAt.values().removeIf(t -> now - (t + windowNanos) >= 0);
    }
    endGrace(now);
    for (WorkerGroup group : groups.values()) {
      group.reweigh();
    }
  }

  /**
   * Requests that waited only because a window was open (the broker's start, or a name that
   * just lost its last instance) and whose window is over get NO_WORKER.
   */
  private void endGrace(long now) {
    java.util.List<WorkerGroup> empty = null;
    for (WorkerGroup g : groups.values()) {
      if (g.instances.isEmpty() && !g.queue.isEmpty()) {
        if (empty == null) {
          empty = new java.util.ArrayList<>();
        }
        empty.add(g);
      }
    }
    if (empty == null) {
      return;
    }
    for (WorkerGroup g : empty) {
      PendingRequest p = g.queue.peekFirst();
      while (p != null) {
        PendingRequest next = p.listNext;
        if (p.graceWait && now - p.graceUntil >= 0) {
          unqueue(g, p);
          finish(p);
          answer(p, Code.NO_WORKER, now, "no worker named '" + g.name + "' registered within "
              + (now - p.acceptedAt) / MS + " ms");
        }
        p = next;
      }
      removeIfEmpty(g);
    }
  }

  void expire(long now) {
    deadlines.expire(now, p -> onDeadline(p, now));
  }

  private void onDeadline(PendingRequest p, long now) {
    WorkerGroup group = p.group;
    if (p.answered) {
      // The cancel grace passed and the worker still holds the request.
      WorkerInstance w = p.instance;
      counters.stuckDisconnected++;
      String why = "worker '" + group.name + "' (" + w.instanceId + ") did not answer the CANCEL"
          + " of request " + p.id + " within " + cancelGraceNanos / MS + " ms";
      log.warn("{}; disconnecting it", why);
      out.disconnect(w.peer, Status.DEADLINE_EXCEEDED.withDescription(why));
      return;
    }
    long waitedMs = (now - p.acceptedAt) / MS;
    if (p.instance == null) {
      unqueue(group, p);
      finish(p);
      String why = group.instances.isEmpty()
          ? "no worker named '" + group.name + "' registered within " + waitedMs + " ms"
          : "request to '" + group.name + "' waited " + waitedMs
              + " ms in the queue without a free instance";
      // One that did not ask to wait, and waited only for the broker's start, learns the truth.
      answer(p, p.graceWait && group.instances.isEmpty() ? Code.NO_WORKER
          : Code.DEADLINE_EXCEEDED, now, why);
      removeIfEmpty(group);
    } else {
      answer(p, Code.DEADLINE_EXCEEDED, now, "worker '" + group.name + "' (" + p.instance.instanceId
          + ") did not reply within " + waitedMs + " ms");
      cancelAtWorker(p, now);
    }
  }

  // ------------------------------------------------------------ loss

  /**
   * {@code peer} is gone: its own requests are dropped at once (nobody is left to answer), and
   * what its worker held fails or goes to another instance.
   */
  void peerLost(Peer peer, String why, long now) {
    PendingRequest mine;
    while ((mine = peer.waitingHead) != null) {
      drop(mine, now);
    }
    WorkerInstance instance = peer.worker;
    if (instance == null) {
      return;
    }
    WorkerGroup group = instance.group;
    instance.removed = true;
    group.balancer.removed(instance);
    group.instances.remove(instance);
    if (group.instances.isEmpty() && windowNanos > 0
        && emptiedAt.size() < options.maxWorkerNames()) {
      emptiedAt.put(group.name, now);
    }
    PendingRequest p;
    while ((p = instance.inFlight.pollFirst()) != null) {
      p.instance = null;
      if (p.answered) {
        finish(p);
        continue;
      }
      if (p.idempotent && p.retries < MAX_RETRIES && p.body != null) {
        p.retries++;
        counters.redispatched++;
        enqueueFirst(group, p);
      } else {
        finish(p);
        answer(p, Code.WORKER_LOST, now, "worker '" + group.name + "' (" + instance.instanceId
            + ") was lost with the request in flight: " + why);
      }
    }
    pump(group, now);
    hooks.left(instance);
  }

  // ------------------------------------------------------------ bookkeeping

  private void enqueueLast(WorkerGroup group, PendingRequest p) {
    group.queue.addLast(p);
    group.queuedBytes += p.size;
  }

  private void enqueueFirst(WorkerGroup group, PendingRequest p) {
    group.queue.addFirst(p);
    group.queuedBytes += p.size;
  }

  private void unqueue(WorkerGroup group, PendingRequest p) {
    group.queue.remove(p);
    group.queuedBytes -= p.size;
  }

  private void linkWaiting(Peer peer, PendingRequest p) {
    p.peerNext = peer.waitingHead;
    if (peer.waitingHead != null) {
      peer.waitingHead.peerPrev = p;
    }
    peer.waitingHead = p;
    p.linkedToPeer = true;
    peer.waiting++;
  }

  /** The requester has its answer, or will never get one: it no longer waits for {@code p}. */
  private void unlinkWaiting(PendingRequest p) {
    if (!p.linkedToPeer) {
      return;
    }
    Peer peer = p.requester;
    if (p.peerPrev != null) {
      p.peerPrev.peerNext = p.peerNext;
    } else {
      peer.waitingHead = p.peerNext;
    }
    if (p.peerNext != null) {
      p.peerNext.peerPrev = p.peerPrev;
    }
    p.peerPrev = null;
    p.peerNext = null;
    p.linkedToPeer = false;
    peer.waiting--;
  }

  private void releaseBody(PendingRequest p) {
    if (p.body != null) {
      memory.release(p.body.length);
      p.body = null;
    }
  }

  /** The requester is answered but the worker still holds {@code p} (and its credit). */
  private void markAnswered(PendingRequest p) {
    p.answered = true;
    deadlines.cancel(p);
    unlinkWaiting(p);
    releaseBody(p);
  }

  /** {@code p} leaves the broker's tables (and is in no queue or in-flight list). */
  private void finish(PendingRequest p) {
    pending.remove(p.id);
    deadlines.cancel(p);
    unlinkWaiting(p);
    releaseBody(p);
  }

  private void removeIfEmpty(WorkerGroup group) {
    if (group.isEmpty()) {
      groups.remove(group.name, group);
    }
  }

  private void answer(PendingRequest p, Code code, long now, String message) {
    counters.error(code);
    hooks.requestDone(p.group.name, code, now - p.acceptedAt);
    out.send(p.requester, StatusCodec.error(p.requesterId, code, message));
  }

  private void refuse(Peer to, Envelope packet, Code code, String message) {
    refuse(to, packet.getId(), code, message);
  }

  /** A request to {@code name} the broker refused before routing it (its key may not call). */
  void refused(String name, Code code) {
    hooks.requestDone(name, code, 0);
  }

  /** A request refused before it was accepted: answered at once. */
  private void refuseRequest(Peer to, long id, String name, Code code, String message) {
    hooks.requestDone(name, code, 0);
    refuse(to, id, code, message);
  }

  private void refuse(Peer to, long id, Code code, String message) {
    counters.error(code);
    out.send(to, StatusCodec.error(id, code, message));
  }
}
