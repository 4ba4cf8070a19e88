package io.zmesh.broker;

import static io.zmesh.testing.TopicPeer.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Timestamp;
import io.zmesh.proto.Command;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.Names;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.testing.TopicPeer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Publish and subscribe through a real broker, spoken frame by frame from raw DEALER sockets:
 * each pattern form, broadcast, groups, unsubscribe, and refused patterns and topics.
 */
@Timeout(60)
class PubSubTest {
  private TestMesh mesh;

  @BeforeEach
  void start() {
    mesh = TestMesh.start(TestMesh.rawPeerOptions());
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  private TopicPeer peer() {
    return mesh.topicPeer();
  }

  private ListTopicsReply topics(String topic) {
    return mesh.topics(topic);
  }

  /**
   * Reads messages until the one on {@code fence} (which the caller published last, and which
   * {@code fenceId} subscribes to) arrives; returns the others' topic and value by subscription.
   */
  private static Map<Long, List<String>> readUntilFence(TopicPeer sub, long fenceId) {
    Map<Long, List<String>> got = new HashMap<>();
    while (true) {
      Envelope m = sub.message();
      if (m.getId() == fenceId) {
        return got;
      }
      got.computeIfAbsent(m.getId(), k -> new ArrayList<>())
          .add(m.getService() + "=" + value(m));
    }
  }

  @Test
  void eachPatternFormGetsWhatItMatches() {
    TopicPeer sub = peer();
    sub.subscribe(1, "orders.eu.new");
    sub.subscribe(2, "orders.*.new");
    sub.subscribe(3, "orders.>");
    sub.subscribe(4, "*");
    sub.subscribe(9, "fence.end");
    TopicPeer pub = peer();
    pub.publish("orders.eu.new", 1);
    pub.publish("orders.us.new", 2);
    pub.publish("orders.eu.old", 3);
    pub.publish("orders.eu.new.x", 4);
    pub.publish("orders", 5);
    pub.publish("other.x", 6);
    pub.publish("fence.end", 0);

    Map<Long, List<String>> got = readUntilFence(sub, 9);

    assertEquals(List.of("orders.eu.new=1"), got.get(1L));
    assertEquals(List.of("orders.eu.new=1", "orders.us.new=2"), got.get(2L));
    assertEquals(List.of("orders.eu.new=1", "orders.us.new=2", "orders.eu.old=3",
        "orders.eu.new.x=4"), got.get(3L));
    assertEquals(List.of("orders=5"), got.get(4L));
    assertEquals(4, got.size(), got.toString());
    ListTopicsReply reply = topics("");
    assertEquals(7, reply.getPublished());
    assertEquals(1 + 2 + 4 + 1 + 1, reply.getDelivered());
    assertEquals(1, reply.getUnmatched(), "other.x");
  }

  @Test
  void messageCarriesTopicPayloadAndNoGapWhileWithinBudget() {
    TopicPeer sub = peer();
    sub.subscribe(5, "chat.*");
    peer().publish("chat.lobby", 42);
    Envelope m = sub.message();
    assertEquals(Command.MESSAGE, m.getCommand());
    assertEquals(5, m.getId());
    assertEquals("chat.lobby", m.getService());
    assertEquals(42, value(m));
    assertEquals(Envelope.BodyCase.DELIVERY, m.getBodyCase());
    assertEquals(0, m.getDelivery().getDropped());
  }

  @Test
  void broadcastReachesEverySubscriberInPublishOrder() {
    List<TopicPeer> subs = List.of(peer(), peer(), peer());
    long id = 10;
    for (TopicPeer s : subs) {
      s.subscribe(id++, "news.*");
    }
    TopicPeer pub = peer();
    for (int i = 0; i < 200; i++) {
      pub.publish(i % 2 == 0 ? "news.a" : "news.b", i);
    }
    for (TopicPeer s : subs) {
      for (int i = 0; i < 200; i++) {
        assertEquals(i, value(s.message()));
      }
    }
    assertEquals(600, topics("news.a").getDelivered());
  }

  @Test
  void groupOfFourSharesAThousandMessagesEvenly() {
    List<TopicPeer> members = List.of(peer(), peer(), peer(), peer());
    for (int i = 0; i < members.size(); i++) {
      members.get(i).subscribe(100 + i, "jobs.>", "workers");
    }
    TopicPeer watcher = peer();
    watcher.subscribe(200, "jobs.>");
    TopicPeer pub = peer();
    int[] got = new int[members.size()];
    int published = 0;
    int received = 0;
    while (published < 1_000) {
      for (int i = 0; i < 50; i++) {
        pub.publish("jobs.build." + (published % 7), published++);
      }
      // The members take their share off the queue and credit it, as the SDK does, so the
      // choice is by outstanding messages among members that keep up.
      while (received < published) {
        for (int m = 0; m < members.size(); m++) {
          Envelope e = members.get(m).raw.poll(Duration.ofMillis(20));
          if (e != null && e.getCommand() == Command.MESSAGE) {
            got[m]++;
            received++;
            members.get(m).credit(100 + m, 1, members.get(m).lastLength());
          }
        }
      }
    }
    for (int m = 0; m < members.size(); m++) {
      assertTrue(got[m] >= 225 && got[m] <= 275, "shares " + java.util.Arrays.toString(got));
    }
    // The broadcast subscription beside the group gets every message.
    for (int i = 0; i < 1_000; i++) {
      assertEquals(i, value(watcher.message()));
    }
    ListTopicsReply reply = topics("");
    assertEquals(2_000, reply.getDelivered());
    long groupDelivered = reply.getSubscriptionsList().stream()
        .filter(s -> s.getGroup().equals("workers"))
        .mapToLong(SubscriptionInfo::getDelivered).sum();
    assertEquals(1_000, groupDelivered);
  }

  @Test
  void groupsWithTheSameNameOnOtherPatternsEachGetACopy() {
    TopicPeer a = peer();
    TopicPeer b = peer();
    a.subscribe(1, "x.*", "g");
    b.subscribe(2, "x.>", "g");
    peer().publish("x.y", 7);
    assertEquals(7, value(a.message()));
    assertEquals(7, value(b.message()));
  }

  @Test
  void unsubscribeStopsDeliveryAndRemovesTheSubscription() {
    TopicPeer sub = peer();
    sub.subscribe(1, "t.>");
    sub.subscribe(2, "fence");
    TopicPeer pub = peer();
    pub.publish("t.a", 1);
    assertEquals(1, value(sub.message()));

    sub.unsubscribe(1);
    sub.unsubscribe(1); // idempotent
    sub.unsubscribe(77); // never existed
    pub.publish("t.a", 2);
    pub.publish("fence", 3);
    Envelope next = sub.message();
    assertEquals(2, next.getId(), "only the fence may arrive: " + next);
    assertEquals(List.of("fence"), topics("").getSubscriptionsList().stream()
        .map(SubscriptionInfo::getPattern).toList());
    assertEquals(1, topics("").getUnmatched());
    // The id may be used again.
    sub.subscribe(1, "t.>");
    pub.publish("t.a", 4);
    assertEquals(4, value(sub.message()));
  }

  @Test
  void invalidPatternsAndTopicsAreInvalidArgumentAndOthersAreStillServed() {
    TopicPeer bad = peer();
    for (String pattern : List.of("a*", "a.>.b", "", "a..b", ".a", "a.", "a b", "chat.**",
        "x".repeat(257))) {
      Envelope answer = bad.subscribe(3, pattern, "", 0, 0);
      assertEquals(Command.ERROR, answer.getCommand(), pattern + ": " + answer);
      assertEquals(StatusCode.INVALID_ARGUMENT, answer.getStatus().getCode(), answer.toString());
    }
    bad.subscribe(4, "ok.*");
    Envelope duplicate = bad.subscribe(4, "other", "", 0, 0);
    assertEquals(StatusCode.INVALID_ARGUMENT, duplicate.getStatus().getCode());
    assertTrue(duplicate.getStatus().getMessage().contains("already in use"), duplicate.toString());
    Envelope longGroup = bad.subscribe(5, "ok.*", "g".repeat(300), 0, 0);
    assertEquals(StatusCode.INVALID_ARGUMENT, longGroup.getStatus().getCode());

    Envelope wildcard = bad.publishRefused(6, "a.*", StatusCode.INVALID_ARGUMENT);
    assertTrue(wildcard.getStatus().getMessage().contains("wildcard"), wildcard.toString());
    bad.publishRefused(7, "a..b", StatusCode.INVALID_ARGUMENT);
    // Without an id a refused publish is not answered: the next answer is the next request's.
    bad.publish(0, "a.>", 0);
    bad.publishRefused(8, "", StatusCode.INVALID_ARGUMENT);

    TopicPeer good = peer();
    good.subscribe(1, "ok.*");
    peer().publish("ok.go", 11);
    assertEquals(11, value(good.message()));
    assertEquals(11, value(bad.message()));
    assertEquals(9 + 2 + 4, mesh.counter("errors.invalid_argument"));
    assertEquals(1, mesh.counter("messages_published"));
  }

  @Test
  void reservedTopicsMayBeSubscribedButNotPublished() {
    TopicPeer p = peer();
    p.subscribe(1, "zmesh.>");
    Envelope denied = p.publishRefused(2, "zmesh.events", StatusCode.PERMISSION_DENIED);
    assertTrue(denied.getStatus().getMessage().contains("zmesh."), denied.toString());
    p.publish(0, "zmesh.events", 1); // counted, not answered
    p.subscribe(3, "fence");
    p.publish("fence", 1);
    assertEquals(3, p.message().getId());
    assertEquals(2, mesh.counter("errors.permission_denied"));
    assertEquals(0, topics("").getSubscriptionsList().stream()
        .filter(s -> s.getPattern().equals("zmesh.>")).findFirst().orElseThrow().getDelivered());
  }

  @Test
  void replyGrantsTheAskedBudgetUpToTheBrokersLimit() {
    TopicPeer p = peer();
    Subscribe byDefault = p.subscribe(1, "a", "", 0, 0).getSubscribe();
    assertEquals(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES, byDefault.getBudgetMessages());
    assertEquals(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_BYTES, byDefault.getBudgetBytes());
    Subscribe less = p.subscribe(2, "a", "", 100, 5_000).getSubscribe();
    assertEquals(100, less.getBudgetMessages());
    assertEquals(5_000, less.getBudgetBytes());
    Subscribe more = p.subscribe(3, "a", "", -1, -1).getSubscribe(); // 2^32-1 and 2^64-1
    assertEquals(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_MESSAGES, more.getBudgetMessages());
    assertEquals(BrokerOptions.DEFAULT_SUBSCRIPTION_BUDGET_BYTES, more.getBudgetBytes());

    SubscriptionInfo info = topics("a").getSubscriptionsList().stream()
        .filter(s -> s.getId() == 2).findFirst().orElseThrow();
    assertEquals(100, info.getBudgetMessages());
    assertEquals(5_000, info.getBudgetBytes());
    assertEquals("google.protobuf.Int64Value", info.getMessageType());
    assertEquals("raw-test", info.getClientName());
    assertEquals(1, info.getPid());
    assertEquals("test", info.getHost());
  }

  @Test
  void subscribersDeclareTheirTypesToZmeshTypes() {
    TopicPeer p = peer();
    p.raw.send(Envelope.newBuilder()
        .setCommand(Command.SUBSCRIBE)
        .setId(1)
        .setSubscribe(Subscribe.newBuilder()
            .setPattern("clock.>")
            .setMessageType("google.protobuf.Timestamp")
            .setDescriptors(FileDescriptorSet.newBuilder()
                .addFile(Timestamp.getDescriptor().getFile().toProto())))
        .build());
    assertEquals(Command.REPLY, p.raw.receive(TopicPeer.WAIT).getCommand());
    DescribeTypesReply types = mesh.adminCall(Names.SERVICE_TYPES, DescribeTypesRequest
        .newBuilder().addTypeNames("google.protobuf.Timestamp").build(), DescribeTypesReply.class);
    assertEquals("google/protobuf/timestamp.proto", types.getFiles().getFile(0).getName());
  }

  @Test
  void topicsListsOnlyTheSubscriptionsATopicMatches() {
    TopicPeer p = peer();
    p.subscribe(1, "a.b");
    p.subscribe(2, "a.*", "g");
    p.subscribe(3, "c.>");
    // Sorted by pattern: '*' before letters.
    assertEquals(List.of(2L, 1L), topics("a.b").getSubscriptionsList().stream()
        .map(SubscriptionInfo::getId).toList());
    assertEquals(3, topics("").getSubscriptionsCount());
    assertEquals(3, mesh.counter("subscriptions"));
    io.zmesh.MeshException e = org.junit.jupiter.api.Assertions.assertThrows(
        io.zmesh.MeshException.class, () -> topics("a.*"));
    assertEquals(io.zmesh.Code.INVALID_ARGUMENT, e.code());
  }

  @Test
  void aLostSubscribersSubscriptionsDisappear() {
    TopicPeer leaving = peer();
    leaving.subscribe(1, "room.*");
    leaving.subscribe(2, "room.>", "g");
    TopicPeer closing = peer();
    closing.subscribe(3, "room.*");
    TopicPeer staying = peer();
    staying.subscribe(4, "room.*");
    assertEquals(4, topics("room.x").getSubscriptionsCount());

    leaving.disconnect();
    Await.until("the disconnected peer's subscriptions are gone", TestMesh.SETTLE,
        () -> topics("room.x").getSubscriptionsCount() == 2);
    // A peer that just closes its socket is noticed at the next send to it (a heartbeat).
    closing.close();
    Await.until("the closed peer's subscription is gone", TestMesh.SETTLE,
        () -> topics("room.x").getSubscriptionsCount() == 1);
    assertEquals(4, topics("").getSubscriptions(0).getId());
    assertEquals(1, mesh.counter("subscriptions"));
    peer().publish("room.x", 5);
    assertEquals(5, value(staying.message()));
  }
}
