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
  /** The most requests one instance may ask to hold at once, as the SDK allows. */
  static final int MAX_CONCURRENCY = 65_536;

  /** Sends packets for the router; false when the packet could not leave. */
  interface Outbox {
    boolean send(Peer to, Envelope packet);

    /** Sends an already encoded envelope. */
    boolean send(Peer to, byte[] body);

    /** Sends DISCONNECT with {@code why} and forgets the peer, after the packet at hand. */
    void disconnect(Peer peer, Status why);
  }

  private final BrokerOptions options;
  private final Outbox out;
  private final Counters counters;
  private final TypeRegistry types;
  final Map<String, WorkerGroup> groups = new HashMap<>();
  private final Long2ObjectHashMap<PendingRequest> pending = new Long2ObjectHashMap<>();
  private final DeadlineWheel<PendingRequest> deadlines;
  private final long defaultTimeoutNanos;
  private final long maxTimeoutMs;
  private final long cancelGraceNanos;
  /** Names whose requests wait for a first instance even without wait_for_worker. */
  final Set<String> held = new HashSet<>();
  private final Hooks hooks;
  private long nextId;

  RequestRouter(BrokerOptions options, Outbox out, Counters counters, TypeRegistry types, long now) {
    this.options = options;
    this.out = out;
    this.counters = counters;
    this.types = types;
    this.deadlines = new DeadlineWheel<>(4 * MS, 4096, now);
    this.defaultTimeoutNanos = options.defaultRequestTimeout().toNanos();
    this.maxTimeoutMs = options.maxRequestTimeout().toMillis();
    this.cancelGraceNanos = options.cancelGrace().toNanos();
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
    WorkerGroup group = groups.computeIfAbsent(name, n -> new WorkerGroup(n, options.policyFor(n)));
    replaceInstance(group, ready.getInstanceId(), peer);
    WorkerInstance instance = new WorkerInstance(peer, group, ready, now);
    peer.worker = instance;
    group.instances.add(instance);
    types.register(ready.getDescriptors());
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
    if (noInstance && !request.waitForWorker() && !held.contains(name)) {
      refuseRequest(from, id, name, Code.NO_WORKER,
          "no worker named '" + name + "' is registered");
      return;
    }
    if (group == null) {
      group = new WorkerGroup(name, options.policyFor(name));
      groups.put(name, group);
    }
    WorkerInstance instance = group.queue.isEmpty() ? group.balancer.next() : null;
    if (instance == null && group.queue.size() >= options.queueLimit()) {
      refuseRequest(from, id, name, Code.OVERLOADED, "worker '" + name + "' has "
          + group.queue.size() + " requests queued, the limit; retry later");
      return;
    }
    long timeout = request.timeoutMs() > 0 ? request.timeoutMs() * MS : defaultTimeoutNanos;
    PendingRequest p = new PendingRequest(
        ++nextId, from, id, request.idempotent(), body, group, now);
    pending.put(p.id, p);
    deadlines.schedule(p, now + timeout);
    if (instance != null) {
      dispatch(p, instance, now);
      if (p.instance == null) {
        pump(group, now);
      }
    } else {
      group.queue.addLast(p);
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
    pending.remove(p.id);
    deadlines.cancel(p);
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
      hooks.requestDone(instance.group.name, code, now - p.acceptedAt);
      out.send(p.requester, body != null
          ? Wire.withId(body, p.requesterId)
          : Wire.encode(answer.toBuilder().setId(p.requesterId).build()));
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
    // connection, so a cancel is matched against that connection's requests in the queue or
    // in flight. Rare enough that a scan of the pending table is the simpler trade.
    PendingRequest found = null;
    for (PendingRequest p : pending.values()) {
      if (p.requester == from && p.requesterId == cancel.getId() && !p.answered) {
        found = p;
        break;
      }
    }
    if (found == null) {
      return; // answered already, or never accepted: the answer the requester gets stands
    }
    answer(found, Code.CANCELLED, now, "request to '" + found.group.name
        + "' cancelled by its requester");
    if (found.instance == null) {
      found.group.queue.remove(found);
      pending.remove(found.id);
      deadlines.cancel(found);
      removeIfEmpty(found.group);
    } else {
      cancelAtWorker(found, now);
    }
  }

  /**
   * Tells the worker holding {@code p} that nobody waits for it, which answered {@code p}'s
   * requester already. The worker keeps the credit until it answers, for at most the grace.
   */
  private void cancelAtWorker(PendingRequest p, long now) {
    p.answered = true;
    p.instance.cancelling++;
    deadlines.cancel(p);
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
      instance.group.queue.addFirst(p);
    }
  }

  /** Sends queued requests to instances with credit, in order. */
  private void pump(WorkerGroup group, long now) {
    WorkerInstance instance;
    while (!group.queue.isEmpty() && (instance = group.balancer.next()) != null) {
      PendingRequest p = group.queue.pollFirst();
      // A failed send puts p back at the head and takes the instance out of the balancer.
      dispatch(p, instance, now);
    }
    removeIfEmpty(group);
  }

  /** Each time the broker checks its peers (every half heartbeat interval). */
  void tick() {
    for (WorkerGroup group : groups.values()) {
      group.reweigh();
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
      group.queue.remove(p);
      pending.remove(p.id);
      String why = group.instances.isEmpty()
          ? "no worker named '" + group.name + "' registered within " + waitedMs + " ms"
          : "request to '" + group.name + "' waited " + waitedMs
              + " ms in the queue without a free instance";
      answer(p, Code.DEADLINE_EXCEEDED, now, why);
      removeIfEmpty(group);
    } else {
      answer(p, Code.DEADLINE_EXCEEDED, now, "worker '" + group.name + "' (" + p.instance.instanceId
          + ") did not reply within " + waitedMs + " ms");
      cancelAtWorker(p, now);
    }
  }

  // ------------------------------------------------------------ loss

  /** {@code peer} is gone: fail or re-route what its worker held. */
  void peerLost(Peer peer, String why, long now) {
    WorkerInstance instance = peer.worker;
    if (instance == null) {
      return;
    }
    WorkerGroup group = instance.group;
    instance.removed = true;
    group.balancer.removed(instance);
    group.instances.remove(instance);
    PendingRequest p;
    while ((p = instance.inFlight.pollFirst()) != null) {
      p.instance = null;
      if (p.answered) {
        pending.remove(p.id);
        deadlines.cancel(p); // its cancel grace
        continue;
      }
      if (p.idempotent && !p.retried) {
        p.retried = true;
        counters.redispatched++;
        group.queue.addFirst(p);
      } else {
        pending.remove(p.id);
        deadlines.cancel(p);
        answer(p, Code.WORKER_LOST, now, "worker '" + group.name + "' (" + instance.instanceId
            + ") was lost with the request in flight: " + why);
      }
    }
    pump(group, now);
    hooks.left(instance);
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
