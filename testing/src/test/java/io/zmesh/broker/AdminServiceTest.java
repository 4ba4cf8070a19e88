package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The broker's own services: zmesh.workers, zmesh.service, zmesh.types, zmesh.stats. */
class AdminServiceTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private TestMesh mesh;
  private MeshClient client;

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
    mesh.startWorker("inventory", b -> b.instanceId("inv-1").concurrency(3).version("1.2.3")
        .handle(StringValue.class, (s, ctx) -> {
          if (s.getValue().equals("bad")) {
            throw new IllegalArgumentException("no such item");
          }
          return s;
        }));
    mesh.startWorker("other", b -> b.instanceId("other-1")
        .handle(StringValue.class, (s, ctx) -> s));
    client = mesh.client();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  @Test
  @Timeout(30)
  void workersListsEachInstanceWithItsFigures() {
    client.call("inventory", StringValue.of("a"), StringValue.class);
    client.call("inventory", StringValue.of("b"), StringValue.class);
    assertThrows(MeshException.class,
        () -> client.call("inventory", StringValue.of("bad"), StringValue.class));

    ListWorkersReply reply = mesh.workers("inventory");

    assertEquals(1, reply.getWorkersCount(), reply.toString());
    WorkerInfo w = reply.getWorkers(0);
    assertEquals("inventory", w.getName());
    assertEquals("inv-1", w.getInstanceId());
    assertEquals(ProcessHandle.current().pid(), w.getPid());
    assertFalse(w.getHost().isEmpty());
    assertEquals("1.2.3", w.getVersion());
    assertEquals("ready", w.getState());
    assertEquals(3, w.getConcurrency());
    assertEquals(0, w.getInFlight());
    assertEquals(3, w.getHandled());
    assertEquals(1, w.getErrors());
    assertTrue(w.getLatencyAvgUs() > 0, w.toString());
    assertTrue(w.getUptimeMs() >= 0 && w.getLastHeartbeatAgeMs() >= 0, w.toString());
    assertEquals(List.of("google.protobuf.StringValue"), w.getRequestTypesList());

    assertEquals(1, reply.getGroupsCount(), reply.toString());
    GroupInfo g = reply.getGroups(0);
    assertEquals("inventory", g.getName());
    assertEquals(1, g.getInstances());
    assertEquals(0, g.getQueued());
    assertEquals(Policy.LEAST_OUTSTANDING.label(), g.getPolicy());
  }

  @Test
  @Timeout(30)
  void workersWithoutANameListsEveryone() {
    ListWorkersReply all = client.call("zmesh.workers", ListWorkersRequest.getDefaultInstance(),
        ListWorkersReply.class);
    assertEquals(List.of("inv-1", "other-1"),
        all.getWorkersList().stream().map(WorkerInfo::getInstanceId).sorted().toList());
    assertEquals(List.of("inventory", "other"),
        all.getGroupsList().stream().map(GroupInfo::getName).toList());
  }

  @Test
  @Timeout(30)
  void serviceCountsInstancesTakingRequests() {
    assertEquals(1, mesh.activeInstances("inventory"));
    assertEquals(0, mesh.activeInstances("nothing-here"));
  }

  @Test
  @Timeout(30)
  void typesDescribesDeclaredTypes() {
    DescribeTypesReply reply = client.call("zmesh.types", DescribeTypesRequest.newBuilder()
        .addTypeNames("google.protobuf.StringValue").build(), DescribeTypesReply.class);
    assertEquals(List.of("google/protobuf/wrappers.proto"), reply.getFiles().getFileList()
        .stream().map(FileDescriptorProto::getName).toList());

    DescribeTypesReply unknown = client.call("zmesh.types", DescribeTypesRequest.newBuilder()
        .addTypeNames("no.such.Type").build(), DescribeTypesReply.class);
    assertEquals(0, unknown.getFiles().getFileCount());
  }

  @Test
  @Timeout(30)
  void statsCountRequestsRepliesAndErrors() {
    client.call("inventory", StringValue.of("a"), StringValue.class);
    assertThrows(MeshException.class,
        () -> client.call("inventory", StringValue.of("bad"), StringValue.class));

    BrokerStats stats = mesh.stats();

    assertFalse(stats.getVersion().isEmpty());
    assertEquals(2, stats.getWorkers());
    assertTrue(stats.getPeers() >= 4, "two workers and two clients: " + stats.getPeers());
    assertEquals(1, stats.getCountersOrThrow("replies"));
    assertEquals(1, stats.getCountersOrThrow("errors.handler_failed"));
    assertEquals(0, stats.getCountersOrThrow("requests_pending"));
    // Both inventory requests, plus this zmesh.stats request itself.
    assertEquals(3, stats.getCountersOrThrow("requests"));
  }

  @Test
  @Timeout(30)
  void unknownBrokerServiceIsNoWorkerListingTheRealOnes() {
    assertFails(Code.NO_WORKER,
        client.request("zmesh.nope", StringValue.of("x"), StringValue.class), WAIT,
        "no broker service named 'zmesh.nope'", "zmesh.workers", "zmesh.stats");
  }

  @Test
  @Timeout(30)
  void wrongPayloadForABrokerServiceIsInvalidArgument() {
    assertFails(Code.INVALID_ARGUMENT,
        client.request("zmesh.workers", StringValue.of("x"), ListWorkersReply.class), WAIT,
        "google.protobuf.StringValue", "expected zmesh.v1.ListWorkersRequest");
  }
}
