package io.zmesh.conformance;

import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.TestMesh;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real broker on an ephemeral loopback port, shared by the tests of one class, read through
 * its own services over a raw connection. Raw peers send no heartbeats, so its liveness is a
 * minute unless a test asks otherwise; and it has no registration window ([RQ-10], which a test
 * of its own checks), so a name without instances gets NO_WORKER at once.
 */
final class BrokerUnderTest implements AutoCloseable {
  private final Broker broker;
  private final RawConnection admin;
  private final AtomicLong ids = new AtomicLong(1_000_000);

  private BrokerUnderTest(BrokerOptions options) {
    broker = Broker.start(options);
    admin = RawConnection.connected(broker.endpoint());
  }

  /**
   * Raw-peer settings (1 s heartbeats, liveness 60, no registration window), changed by {@code
   * options}.
   */
  static BrokerUnderTest start(java.util.function.UnaryOperator<BrokerOptions.Builder> options) {
    return new BrokerUnderTest(options.apply(TestMesh.rawPeerOptions()
        .registrationWindow(java.time.Duration.ZERO)).build());
  }

  static BrokerUnderTest start() {
    return start(b -> b);
  }

  String endpoint() {
    return broker.endpoint();
  }

  /** A connection registered as an instance of {@code name}. */
  RawConnection worker(String name, String instanceId, int concurrency) {
    return RawConnection.worker(endpoint(), name, instanceId, concurrency);
  }

  /** A connection that said HELLO. */
  RawConnection client() {
    return RawConnection.connected(endpoint());
  }

  Broker broker() {
    return broker;
  }

  BrokerStats stats() {
    return admin.call(ids.incrementAndGet(), Names.SERVICE_STATS,
        BrokerStatsRequest.getDefaultInstance(), BrokerStats.class);
  }

  long counter(String name) {
    return stats().getCountersOrThrow(name);
  }

  ListWorkersReply workers(String name) {
    return admin.call(ids.incrementAndGet(), Names.SERVICE_WORKERS,
        ListWorkersRequest.newBuilder().setName(name).build(), ListWorkersReply.class);
  }

  ListTopicsReply topics(String topic) {
    return admin.call(ids.incrementAndGet(), Names.SERVICE_TOPICS,
        ListTopicsRequest.newBuilder().setTopic(topic).build(), ListTopicsReply.class);
  }

  Optional<WorkerInfo> instance(String name, String instanceId) {
    return workers(name).getWorkersList().stream()
        .filter(w -> w.getInstanceId().equals(instanceId))
        .findFirst();
  }

  @Override
  public void close() {
    admin.close();
    broker.close();
  }
}
