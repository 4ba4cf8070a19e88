package io.zmesh.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.ServiceReply;
import io.zmesh.proto.ServiceRequest;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A real broker on an ephemeral loopback port, plus the workers and clients a test starts
 * against it; {@link #close()} stops them all, newest first, then the broker.
 */
public final class TestMesh implements AutoCloseable {
  /** Any free port on loopback; read the real one from {@link Broker#endpoint()}. */
  public static final String ANY_PORT = "tcp://127.0.0.1:*";

  /** Short heartbeats for liveness tests: a lost peer is noticed within 300 ms. */
  public static final Duration HEARTBEAT = Duration.ofMillis(100);
  public static final int LIVENESS = 3;
  /**
   * Tests of anything but liveness allow a one second silence, so that a pause of this busy
   * 2-core machine does not look like a lost connection.
   */
  public static final Duration RELAXED_HEARTBEAT = Duration.ofMillis(200);
  public static final int RELAXED_LIVENESS = 5;
  /** How long any single wait for the mesh to settle may take on a busy 2-core machine. */
  public static final Duration SETTLE = Duration.ofSeconds(10);

  private static final CallOptions ADMIN_CALL =
      CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5));

  private Broker broker;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private MeshClient admin;

  private TestMesh(Broker broker) {
    this.broker = broker;
  }

  /** Broker options of most tests: loopback, ephemeral port, relaxed heartbeats. */
  public static BrokerOptions.Builder options() {
    return options(ANY_PORT);
  }

  public static BrokerOptions.Builder options(String bind) {
    return BrokerOptions.builder()
        .bind(bind)
        .heartbeatInterval(RELAXED_HEARTBEAT)
        .liveness(RELAXED_LIVENESS);
  }

  /**
   * Broker options of tests with raw peers, which send no heartbeats: a one minute liveness
   * keeps them connected. Loopback, ephemeral port.
   */
  public static BrokerOptions.Builder rawPeerOptions() {
    return options().heartbeatInterval(Duration.ofSeconds(1)).liveness(60);
  }

  /** Broker options of liveness tests: loopback, ephemeral port, 100 ms x 3 heartbeats. */
  public static BrokerOptions.Builder livenessOptions() {
    return livenessOptions(ANY_PORT);
  }

  public static BrokerOptions.Builder livenessOptions(String bind) {
    return options(bind).heartbeatInterval(HEARTBEAT).liveness(LIVENESS);
  }

  public static TestMesh start() {
    return start(options());
  }

  public static TestMesh start(BrokerOptions.Builder options) {
    return new TestMesh(Broker.start(options.build()));
  }

  /** Options for the SDK side: quick reconnects and handshakes. */
  public static MeshOptions meshOptions(String endpoint) {
    return MeshOptions.builder()
        .broker(endpoint)
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
        .handshakeTimeout(Duration.ofSeconds(1))
        .build();
  }

  public Broker broker() {
    return broker;
  }

  public String endpoint() {
    return broker.endpoint();
  }

  /** A worker builder pointed at this broker; no JVM shutdown hook, a short drain. */
  public Worker.Builder workerBuilder(String name) {
    return Worker.builder()
        .name(name)
        .options(meshOptions(endpoint()))
        .closeOnShutdown(false)
        .drainTimeout(Duration.ofSeconds(5))
        .startTimeout(SETTLE);
  }

  /** Starts (and registers) a worker configured by {@code configure}; closed with the mesh. */
  public Worker startWorker(String name, UnaryOperator<Worker.Builder> configure) {
    Worker worker = configure.apply(workerBuilder(name)).build();
    track(worker);
    return worker.start();
  }

  /** A connected client; closed with the mesh. */
  public MeshClient client() {
    MeshClient client = track(MeshClient.connect(meshOptions(endpoint())));
    try {
      assertTrue(client.awaitConnected(SETTLE), "client did not connect to " + endpoint());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return client;
  }

  /** A raw connection that has said HELLO, for the topic commands; closed with the mesh. */
  public TopicPeer topicPeer() {
    return track(new TopicPeer(endpoint()));
  }

  public <T extends AutoCloseable> T track(T resource) {
    started.push(resource);
    return resource;
  }

  /** Replaces the broker, e.g. after a restart; the old one must be closed by the caller. */
  public void replaceBroker(Broker replacement) {
    if (admin != null) {
      started.remove(admin);
      admin.close();
      admin = null;
    }
    broker = replacement;
  }

  // ------------------------------------------------------------ the broker's own services

  private MeshClient admin() {
    if (admin == null) {
      admin = client();
    }
    return admin;
  }

  public <R extends Message> R adminCall(String service, Message request, Class<R> replyType) {
    return admin().call(service, request, replyType, ADMIN_CALL);
  }

  public BrokerStats stats() {
    return adminCall(Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
        BrokerStats.class);
  }

  /** One of the broker's counters, read through zmesh.stats (the loop thread owns them). */
  public long counter(String name) {
    Long value = stats().getCountersMap().get(name);
    if (value == null) {
      throw new AssertionError("zmesh.stats has no counter '" + name + "': "
          + stats().getCountersMap().keySet());
    }
    return value;
  }

  public ListWorkersReply workers(String name) {
    return adminCall(Names.SERVICE_WORKERS,
        ListWorkersRequest.newBuilder().setName(name).build(), ListWorkersReply.class);
  }

  /** zmesh.topics: the subscriptions {@code topic} matches, all when empty. */
  public ListTopicsReply topics(String topic) {
    return adminCall(Names.SERVICE_TOPICS, ListTopicsRequest.newBuilder().setTopic(topic).build(),
        ListTopicsReply.class);
  }

  public Optional<WorkerInfo> instance(String name, String instanceId) {
    return workers(name).getWorkersList().stream()
        .filter(w -> w.getInstanceId().equals(instanceId))
        .findFirst();
  }

  public Optional<GroupInfo> group(String name) {
    return workers(name).getGroupsList().stream()
        .filter(g -> g.getName().equals(name))
        .findFirst();
  }

  /** Instances of {@code name} that take requests, per zmesh.service. */
  public int activeInstances(String name) {
    return adminCall(Names.SERVICE_LOOKUP, ServiceRequest.newBuilder().setName(name).build(),
        ServiceReply.class).getInstances();
  }

  @Override
  public void close() {
    RuntimeException first = null;
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        if (first == null) {
          first = new IllegalStateException("closing the test mesh failed", e);
        }
      }
    }
    broker.close();
    if (first != null) {
      throw first;
    }
  }
}
