package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Command;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.ServiceReply;
import io.zmesh.proto.ServiceRequest;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.WorkerInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 11, Payloads, and section 14, The broker's services. */
@Timeout(30)
class ServicesTest {
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start();
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @Test
  @Checks("S-1")
  void everyServiceAnswersAsTheTableSays() {
    try (RawConnection w = RawConnection.connected(broker.endpoint());
        RawConnection c = RawConnection.connected(broker.endpoint())) {
      w.send(RawConnection.ready(1, "s1", "s1-1", 4).toBuilder()
          .setReady(RawConnection.ready(1, "s1", "s1-1", 4).getReady().toBuilder()
              .setVersion("v9").addRequestTypes("google.protobuf.StringValue")
              .setDescriptors(com.google.protobuf.DescriptorProtos.FileDescriptorSet.newBuilder()
                  .addFile(StringValue.getDescriptor().getFile().toProto())))
          .build());
      w.expectReply(1);
      w.send(RawConnection.subscribe(2, "s1.*", "grp", 0, 0));
      w.expectReply(2);

      ListWorkersReply workers = c.call(10, Names.SERVICE_WORKERS,
          ListWorkersRequest.newBuilder().setName("s1").build(), ListWorkersReply.class);
      WorkerInfo info = workers.getWorkers(0);
      assertEquals("s1-1", info.getInstanceId());
      assertEquals("v9", info.getVersion());
      assertEquals("ready", info.getState());
      assertEquals(4, info.getConcurrency());
      assertEquals("google.protobuf.StringValue", info.getRequestTypes(0));
      assertEquals(1, workers.getGroups(0).getInstances());

      assertEquals(1, c.call(11, Names.SERVICE_LOOKUP,
          ServiceRequest.newBuilder().setName("s1").build(), ServiceReply.class).getInstances());
      assertEquals(0, c.call(12, Names.SERVICE_LOOKUP,
          ServiceRequest.newBuilder().setName("s1-none").build(), ServiceReply.class)
          .getInstances());

      DescribeTypesReply types = c.call(13, Names.SERVICE_TYPES, DescribeTypesRequest.newBuilder()
          .addTypeNames("google.protobuf.StringValue").build(), DescribeTypesReply.class);
      assertEquals("google/protobuf/wrappers.proto", types.getFiles().getFile(0).getName());

      BrokerStats stats = c.call(14, Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
          BrokerStats.class);
      assertTrue(stats.getWorkers() >= 1 && stats.getPeers() >= 2, stats.toString());
      assertTrue(stats.getCountersMap().containsKey("workers_disconnected_stuck"));

      ListTopicsReply topics = c.call(15, Names.SERVICE_TOPICS,
          ListTopicsRequest.newBuilder().setTopic("s1.x").build(), ListTopicsReply.class);
      assertEquals("grp", topics.getSubscriptions(0).getGroup());
      assertEquals(2, topics.getSubscriptions(0).getId());

      w.send(RawConnection.command(Command.DRAIN, 3));
      w.expectReply(3);
      assertEquals(0, c.call(16, Names.SERVICE_LOOKUP,
          ServiceRequest.newBuilder().setName("s1").build(), ServiceReply.class).getInstances());
    }
  }

  @Test
  @Checks("S-2")
  void unknownServiceIsNoWorkerAndAnInvalidTopicIsInvalidArgument() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      c.send(request(1, "zmesh.nothing", ServiceRequest.getDefaultInstance(), 1_000));
      c.expectError(1, StatusCode.NO_WORKER, "zmesh.workers");
      c.send(request(2, Names.SERVICE_TOPICS,
          ListTopicsRequest.newBuilder().setTopic("a..b").build(), 1_000));
      c.expectError(2, StatusCode.INVALID_ARGUMENT, "empty token");
    }
  }

  @Test
  @Checks("PL-1")
  void servicesAcceptAnyTypeUrlPrefixOrNoPayloadAndAnswerWithTheStandardOne() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      Any foreign = Any.newBuilder()
          .setTypeUrl("example.com/x/zmesh.v1.BrokerStatsRequest")
          .setValue(BrokerStatsRequest.getDefaultInstance().toByteString()).build();
      c.send(request(1, Names.SERVICE_STATS, "x", 1_000).toBuilder().setPayload(foreign).build());
      Envelope reply = c.expectReply(1);
      assertEquals("type.googleapis.com/zmesh.v1.BrokerStats", reply.getPayload().getTypeUrl());

      c.send(request(2, Names.SERVICE_STATS, "x", 1_000).toBuilder().clearPayload().build());
      assertEquals("type.googleapis.com/zmesh.v1.BrokerStats",
          c.expectReply(2).getPayload().getTypeUrl());

      c.send(request(3, Names.SERVICE_STATS, StringValue.of("wrong"), 1_000));
      c.expectError(3, StatusCode.INVALID_ARGUMENT, "expected zmesh.v1.BrokerStatsRequest");
      Any broken = Any.newBuilder().setTypeUrl("type.googleapis.com/zmesh.v1.ServiceRequest")
          .setValue(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff})).build();
      c.send(request(4, Names.SERVICE_LOOKUP, "x", 1_000).toBuilder().setPayload(broken).build());
      c.expectError(4, StatusCode.INVALID_ARGUMENT, "does not parse");
    }
  }
}
