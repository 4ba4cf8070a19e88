package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;

import com.google.protobuf.Any;
import com.google.protobuf.Internal;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.ReloadKeysReply;
import io.zmesh.proto.ReloadKeysRequest;
import io.zmesh.proto.ServiceReply;
import io.zmesh.proto.ServiceRequest;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.proto.Topics;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WorkerInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The broker's own services under the reserved prefix {@code zmesh.}, answered on the broker
 * loop from its tables. Requests to them are addressed like any worker, so every client can
 * use them without a special channel.
 */
final class AdminService {

  private final BrokerLoop loop;

  AdminService(BrokerLoop loop) {
    this.loop = loop;
  }

  /**
   * The admin permission {@code service}, one of the broker's own or a name that is no service,
   * needs: WRITE for those that change the broker, READ for the listings and for a name that is
   * no service, which is only told so (NO_WORKER naming the services). The embedder's services
   * say what they need themselves ({@link BrokerService#access()}).
   */
  Access.Admin required(String service) {
    return service.equals(Names.SERVICE_RELOAD_KEYS) ? Access.Admin.WRITE : Access.Admin.READ;
  }

  /** Answers {@code request}, addressed to a reserved name. */
  Envelope handle(Envelope request, long now) {
    String service = request.getService();
    try {
      Message reply;
      switch (service) {
        case Names.SERVICE_WORKERS:
          reply = workers(arg(request, ListWorkersRequest.class), now);
          break;
        case Names.SERVICE_LOOKUP:
          reply = lookup(arg(request, ServiceRequest.class));
          break;
        case Names.SERVICE_TYPES:
          reply = DescribeTypesReply.newBuilder()
              .setFiles(loop.types.describe(
                  arg(request, DescribeTypesRequest.class).getTypeNamesList()))
              .build();
          break;
        case Names.SERVICE_STATS:
          arg(request, BrokerStatsRequest.class);
          reply = stats(now);
          break;
        case Names.SERVICE_TOPICS:
          reply = topics(arg(request, ListTopicsRequest.class), now);
          break;
        case Names.SERVICE_RELOAD_KEYS:
          arg(request, ReloadKeysRequest.class);
          reply = reloadKeys();
          break;
        default:
          return StatusCodec.error(request.getId(), Code.NO_WORKER, "no broker service named '"
              + service + "'; there are " + String.join(", ", Names.SERVICE_WORKERS,
                  Names.SERVICE_LOOKUP, Names.SERVICE_TYPES, Names.SERVICE_STATS,
                  Names.SERVICE_TOPICS, Names.SERVICE_RELOAD_KEYS));
      }
      return Envelope.newBuilder()
          .setCommand(io.zmesh.proto.Command.REPLY)
          .setId(request.getId())
          .setPayload(Any.pack(reply))
          .build();
    } catch (MeshException e) {
      return StatusCodec.error(request.getId(), e.code(), e.status().description());
    }
  }

  /** The request's payload as {@code type}; an empty payload is the default request. */
  static <T extends Message> T arg(Envelope request, Class<T> type) {
    if (!request.hasPayload() || request.getPayload().getTypeUrl().isEmpty()) {
      return Internal.getDefaultInstance(type);
    }
    Any payload = request.getPayload();
    String expected = Internal.getDefaultInstance(type).getDescriptorForType().getFullName();
    String url = payload.getTypeUrl();
    String actual = url.substring(url.lastIndexOf('/') + 1);
    String what = "request to " + request.getService();
    if (!actual.equals(expected)) {
      throw Status.INVALID_ARGUMENT.withDescription(what + " is a "
          + (actual.isEmpty() ? "<no type>" : actual) + ", expected " + expected).asException();
    }
    try {
      return payload.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INVALID_ARGUMENT.withDescription(
          what + " does not parse as " + expected + ": " + e.getMessage()).asException(e);
    }
  }

  ListWorkersReply workers(ListWorkersRequest request, long now) {
    ListWorkersReply.Builder reply = ListWorkersReply.newBuilder();
    List<WorkerGroup> groups = new ArrayList<>(loop.router.groups.values());
    groups.sort(Comparator.comparing(g -> g.name));
    for (WorkerGroup g : groups) {
      if (!request.getName().isEmpty() && !request.getName().equals(g.name)) {
        continue;
      }
      reply.addGroups(GroupInfo.newBuilder()
          .setName(g.name)
          .setInstances(g.instances.size())
          .setQueued(g.queue.size())
          .setPolicy(g.policy.label()));
      for (WorkerInstance w : g.instances) {
        reply.addWorkers(WorkerInfo.newBuilder()
            .setName(g.name)
            .setInstanceId(w.instanceId)
            .setPid(w.ready.getPid())
            .setHost(w.ready.getHost())
            .setVersion(w.ready.getVersion())
            .setState(w.state())
            .setConcurrency(w.concurrency)
            .setInFlight(w.outstanding())
            .setHandled(w.handled)
            .setErrors(w.errors)
            .setUptimeMs((now - w.startedAt) / MS)
            .setLastHeartbeatAgeMs((now - w.peer.lastSeen) / MS)
            .setLatencyAvgUs(w.latencyNanos / 1_000.0)
            .addAllRequestTypes(w.ready.getRequestTypesList()));
      }
    }
    return reply.build();
  }

  ListTopicsReply topics(ListTopicsRequest request, long now) {
    String topic = request.getTopic();
    String problem = topic.isEmpty() ? null : Topics.checkTopic(topic);
    if (problem != null) {
      throw Status.INVALID_ARGUMENT.withDescription(problem).asException();
    }
    List<TopicSubscription> subs = loop.topics.list(loop.peers(), topic);
    subs.sort(Comparator.<TopicSubscription, String>comparing(s -> s.pattern)
        .thenComparing(s -> s.group)
        .thenComparing(s -> s.peer.hello.getClientName())
        .thenComparingLong(s -> s.id));
    ListTopicsReply.Builder reply = ListTopicsReply.newBuilder()
        .setPublished(loop.counters.published)
        .setDelivered(loop.counters.delivered)
        .setUnmatched(loop.counters.unmatched);
    for (TopicSubscription s : subs) {
      reply.addSubscriptions(SubscriptionInfo.newBuilder()
          .setPattern(s.pattern)
          .setGroup(s.group)
          .setMessageType(s.messageType)
          .setClientName(s.peer.hello.getClientName())
          .setPid(s.peer.hello.getPid())
          .setHost(s.peer.hello.getHost())
          .setId(s.id)
          .setDelivered(s.delivered)
          .setDropped(s.dropped)
          .setSkipped(s.skipped)
          .setOutstandingMessages(s.outstandingMessages)
          .setOutstandingBytes(s.outstandingBytes)
          .setBudgetMessages(s.budgetMessages)
          .setBudgetBytes(s.budgetBytes)
          .setAgeMs((now - s.createdAt) / MS));
    }
    return reply.build();
  }

  /** Reads the allow-list again; a file that does not read keeps the old list in force. */
  private ReloadKeysReply reloadKeys() {
    if (loop.gate.control == null) {
      throw Status.INVALID_ARGUMENT.withDescription(
          "this broker has no allow-list: it runs without CURVE").asException();
    }
    AccessList list;
    try {
      list = loop.gate.control.reload();
    } catch (IllegalArgumentException e) {
      throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()
          + "; the keys read before stay in force").asException();
    }
    int disconnected = loop.gate.checkNow(loop.peers());
    return ReloadKeysReply.newBuilder().setKeys(list.size()).setDisconnected(disconnected).build();
  }

  private ServiceReply lookup(ServiceRequest request) {
    WorkerGroup g = loop.router.groups.get(request.getName());
    return ServiceReply.newBuilder()
        .setName(request.getName())
        .setInstances(g == null ? 0 : g.activeInstances())
        .build();
  }

  BrokerStats stats(long now) {
    Collection<Peer> peers = loop.peers();
    int workers = 0;
    for (Peer p : peers) {
      if (p.worker != null) {
        workers++;
      }
    }
    return BrokerStats.newBuilder()
        .setVersion(Wire.version())
        .setUptimeMs((now - loop.startedAt) / MS)
        .setPeers(peers.size())
        .setWorkers(workers)
        .putAllCounters(loop.counters.snapshot())
        .putCounters("requests_pending", loop.router.pendingCount())
        .putCounters("memory_used_bytes", loop.memory.used())
        .putCounters("memory_budget_bytes", loop.memory.limit)
        .putCounters("memory_refusals", loop.memory.refused)
        .putCounters("worker_names", loop.router.groups.size())
        .putCounters("curve_handshakes_accepted", loop.zap == null ? 0 : loop.zap.accepted)
        .putCounters("curve_handshakes_refused", loop.zap == null ? 0 : loop.zap.refused)
        .putCounters("known_type_files", loop.types.size())
        .putCounters("type_definitions_refused", loop.types.refused)
        .putCounters("subscriptions", loop.topics.trie.subscriptions())
        .putCounters("subscriptions_behind", loop.topics.behind())
        .build();
  }
}
