package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.bench.proto.InstanceShare;
import io.zmesh.bench.proto.Latency;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.CliRunner.Result;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.Names;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code zmesh pub} and {@code zmesh sub} against a real broker. */
@Timeout(60)
class PubSubCliTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static Broker broker;
  private static MeshClient client;

  @BeforeAll
  static void start() throws InterruptedException {
    broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
    client = MeshClient.connect(broker.endpoint());
    assertTrue(client.awaitConnected(WAIT));
  }

  @AfterAll
  static void stop() {
    client.close();
    broker.close();
  }

  private static CompletableFuture<Result> runAsync(String... args) {
    return CompletableFuture.supplyAsync(() -> CliRunner.run(args));
  }

  /** Waits until the broker holds a subscription to {@code pattern} (made by another thread). */
  private static void awaitSubscription(String pattern) {
    long end = System.nanoTime() + WAIT.toNanos();
    while (client.call(Names.SERVICE_TOPICS, ListTopicsRequest.getDefaultInstance(),
        ListTopicsReply.class).getSubscriptionsList().stream()
        .noneMatch(s -> s.getPattern().equals(pattern))) {
      assertTrue(System.nanoTime() < end, "no subscription to " + pattern + " within " + WAIT);
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  @Test
  void pubAndSubCarryMessagesAsJsonLinesIncludingTypesKnownOnlyToTheBroker() throws Exception {
    // A subscriber that declares a type the command line was not built with tells the broker it.
    try (Subscription declares = client.subscribe("cli.unused", Latency.class, (m, c) -> { })) {
      declares.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      CompletableFuture<Result> sub = runAsync("sub", "--broker", broker.endpoint(), "cli.>",
          "--count", "2", "--timeout", "30s");
      awaitSubscription("cli.>");

      Result pub = CliRunner.run("pub", "--broker", broker.endpoint(), "cli.a",
          "google.protobuf.StringValue", "\"hello \\\"there\\\"\"");
      assertEquals(0, pub.code(), pub.err());
      pub = CliRunner.run("pub", "--broker", broker.endpoint(), "cli.b.c",
          "zmesh.bench.v1.Latency", "{\"count\": 3, \"p50Us\": 1.5}");
      assertEquals(0, pub.code(), pub.err());

      Result r = sub.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertEquals(0, r.code(), r.err());
      String[] lines = r.out().split("\n");
      assertEquals(2, lines.length, r.out());
      assertEquals("{\"topic\":\"cli.a\",\"type\":\"google.protobuf.StringValue\","
          + "\"message\":\"hello \\\"there\\\"\",\"dropped\":0}", lines[0]);
      assertTrue(lines[1].startsWith("{\"topic\":\"cli.b.c\",\"type\":\"zmesh.bench.v1.Latency\","
          + "\"message\":{\"count\":\"3\",\"meanUs\":0.0,\"p50Us\":1.5"), lines[1]);
      assertTrue(lines[1].endsWith(",\"dropped\":0}"), lines[1]);
    }
  }

  @Test
  void aTypeNobodyDeclaredIsPrintedUndecoded() throws Exception {
    CompletableFuture<Result> sub = runAsync("sub", "--broker", broker.endpoint(), "raw.x",
        "--count", "1", "--timeout", "30s");
    awaitSubscription("raw.x");
    client.publish("raw.x", InstanceShare.newBuilder().setInstanceId("i").build());
    Result r = sub.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertEquals(0, r.code(), r.err());
    assertEquals("{\"topic\":\"raw.x\",\"type\":\"zmesh.bench.v1.InstanceShare\",\"message\":"
        + "{\"@type\":\"type.googleapis.com/zmesh.bench.v1.InstanceShare\",\"@bytes\":\"CgFp\"},"
        + "\"dropped\":0}", r.out().trim());
  }

  @Test
  void subscribersOfAGroupShareTheMessages() throws Exception {
    CompletableFuture<Result> a = runAsync("sub", "--broker", broker.endpoint(), "shared.*",
        "--group", "g", "--count", "1", "--timeout", "30s");
    CompletableFuture<Result> b = runAsync("sub", "--broker", broker.endpoint(), "shared.*",
        "--group", "g", "--count", "1", "--timeout", "30s");
    long end = System.nanoTime() + WAIT.toNanos();
    while (client.call(Names.SERVICE_TOPICS, ListTopicsRequest.getDefaultInstance(),
        ListTopicsReply.class).getSubscriptionsList().stream()
        .filter(s -> s.getGroup().equals("g")).count() < 2) {
      assertTrue(System.nanoTime() < end, "group members did not subscribe");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    // Each message goes to one member. Published back to back, the two could travel as one
    // batch, which a group hands to one member whole; so the second goes once the member that
    // got the first (--count 1) has left the group, and must reach the other.
    client.publish("shared.x", StringValue.of("one"));
    CompletableFuture.anyOf(a, b).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    while (client.call(Names.SERVICE_TOPICS, ListTopicsRequest.getDefaultInstance(),
        ListTopicsReply.class).getSubscriptionsList().stream()
        .filter(s -> s.getGroup().equals("g")).count() > 1) {
      assertTrue(System.nanoTime() < end + WAIT.toNanos(), "the first member did not leave");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    client.publish("shared.x", StringValue.of("two"));
    String out = a.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).out()
        + b.get(WAIT.toMillis(), TimeUnit.MILLISECONDS).out();
    assertTrue(out.contains("\"one\"") && out.contains("\"two\""), out);
  }

  @Test
  void subTimeoutEndsTheRun() {
    Result quiet = CliRunner.run("sub", "--broker", broker.endpoint(), "quiet.>",
        "--timeout", "300ms");
    assertEquals(0, quiet.code(), quiet.err());
    assertEquals("", quiet.out());

    Result short1 = CliRunner.run("sub", "--broker", broker.endpoint(), "quiet.>",
        "--count", "1", "--timeout", "300ms");
    assertEquals(Main.STATUS_EXIT_BASE + Code.DEADLINE_EXCEEDED.number(), short1.code());
    assertTrue(short1.err().contains("received 0 of 1 messages"), short1.err());
  }

  @Test
  void badTopicsPatternsTypesAndJsonGetClearErrors() {
    String ep = broker.endpoint();
    Result topic = CliRunner.run("pub", "--broker", ep, "a..b", "google.protobuf.Empty");
    assertEquals(Main.STATUS_EXIT_BASE + Code.INVALID_ARGUMENT.number(), topic.code());
    assertTrue(topic.err().contains("empty token"), topic.err());

    Result wildcard = CliRunner.run("pub", "--broker", ep, "a.*", "google.protobuf.Empty");
    assertEquals(Main.STATUS_EXIT_BASE + Code.INVALID_ARGUMENT.number(), wildcard.code());

    Result reserved = CliRunner.run("pub", "--broker", ep, "zmesh.x", "google.protobuf.Empty");
    assertEquals(Main.STATUS_EXIT_BASE + Code.PERMISSION_DENIED.number(), reserved.code());

    Result type = CliRunner.run("pub", "--broker", ep, "a.b", "no.such.Type", "{}");
    assertEquals(2, type.code());
    assertTrue(type.err().contains("unknown message type 'no.such.Type'"), type.err());

    Result json = CliRunner.run("pub", "--broker", ep, "a.b", "google.protobuf.StringValue",
        "{nope");
    assertEquals(2, json.code());
    assertTrue(json.err().contains("JSON does not fit google.protobuf.StringValue"), json.err());

    Result pattern = CliRunner.run("sub", "--broker", ep, "a.>.b");
    assertEquals(Main.STATUS_EXIT_BASE + Code.INVALID_ARGUMENT.number(), pattern.code());
    assertTrue(pattern.err().contains("'>' may only be the last token"), pattern.err());

    Result count = CliRunner.run("sub", "--broker", ep, "a", "--count", "-1");
    assertEquals(2, count.code());

    Result down = CliRunner.run("pub", "--broker", "tcp://127.0.0.1:1", "--timeout", "300ms",
        "a.b", "google.protobuf.Empty");
    assertEquals(Main.STATUS_EXIT_BASE + Code.UNAVAILABLE.number(), down.code(), down.err());
  }
}
