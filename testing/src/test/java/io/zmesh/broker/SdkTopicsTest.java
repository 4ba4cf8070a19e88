package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.SubscriberMain;
import io.zmesh.testing.TestMesh;
import io.zmesh.testing.WorkerProcess;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MessageHandler;
import io.zmesh.worker.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Pub/sub end to end: the real broker, real SDK clients, subscribers in their own processes. */
@Timeout(90)
class SdkTopicsTest {
  private static final Duration WAIT = TestMesh.SETTLE;
  /** A subscriber JVM starts, connects and subscribes; allow for a busy 2-core machine. */
  private static final Duration PROCESS_START = Duration.ofSeconds(30);

  private TestMesh mesh;

  @BeforeEach
  void start() {
    mesh = TestMesh.start();
  }

  @AfterEach
  void stop() {
    mesh.close();
  }

  /** A handler that keeps what it saw, as "topic value". */
  private static final class Recorder implements MessageHandler<StringValue> {
    final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onMessage(StringValue message, io.zmesh.worker.MessageContext context) {
      seen.add(context.topic() + " " + message.getValue());
    }

    int size() {
      return seen.size();
    }

    List<String> snapshot() {
      synchronized (seen) {
        return new ArrayList<>(seen);
      }
    }
  }

  private static String shares(List<Recorder> members) {
    return members.stream().map(m -> String.valueOf(m.size())).collect(Collectors.joining(","));
  }

  private static void ready(Subscription s) throws Exception {
    s.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void fanOutReachesEverySubscriberProcessInPublishOrder(@TempDir Path dir) throws Exception {
    List<WorkerProcess> subscribers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        subscribers.add(mesh.track(WorkerProcess.start(dir.resolve("sub-" + i + ".log"),
            SubscriberMain.class, mesh.endpoint(), "fan.*", "-")));
      }
      for (WorkerProcess p : subscribers) {
        Await.until("subscriber " + p.pid() + " is ready", PROCESS_START,
            () -> p.output().contains("ready\n"), p::output);
      }
      MeshClient publisher = mesh.client();
      int n = 500;
      for (int i = 0; i < n; i++) {
        publisher.publish("fan.out", StringValue.of("m" + i));
      }
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        expected.add("got fan.out m" + i + " 0");
      }
      for (WorkerProcess p : subscribers) {
        Await.until("subscriber " + p.pid() + " got all " + n, WAIT,
            () -> p.output().contains("got fan.out m" + (n - 1) + " "), p::output);
        List<String> got = p.output().lines().filter(l -> l.startsWith("got "))
            .collect(Collectors.toList());
        assertEquals(expected, got, "every message, once, in publish order");
      }
      assertEquals(3, mesh.topics("fan.out").getSubscriptionsCount());
    } finally {
      for (WorkerProcess p : subscribers) {
        p.close();
      }
    }
  }

  @Test
  void exactOneTokenAndRestPatternsThroughTheSdk() throws Exception {
    MeshClient subscriber = mesh.client();
    String[] patterns = {"orders.eu.new", "orders.*.new", "orders.>", "orders.*", "*.eu.*"};
    List<Recorder> recorders = new ArrayList<>();
    for (String pattern : patterns) {
      Recorder r = new Recorder();
      recorders.add(r);
      ready(subscriber.subscribe(pattern, StringValue.class, r));
    }
    MeshClient publisher = mesh.client();
    String[] topics = {"orders.eu.new", "orders.us.new", "orders.eu", "orders.eu.new.x", "orders",
        "other.eu.new", "other"};
    for (String topic : topics) {
      publisher.publish(topic, StringValue.of("x"));
    }
    // A last message every pattern but the exact one matches, and in order after the rest.
    publisher.publish("orders.eu.zz", StringValue.of("end"));
    String[][] expected = {
        {"orders.eu.new x"},
        {"orders.eu.new x", "orders.us.new x"},
        {"orders.eu.new x", "orders.us.new x", "orders.eu x", "orders.eu.new.x x",
            "orders.eu.zz end"},
        {"orders.eu x"},
        {"orders.eu.new x", "other.eu.new x", "orders.eu.zz end"},
    };
    Await.until("the last message reaches every pattern it matches", WAIT,
        () -> recorders.get(2).snapshot().contains("orders.eu.zz end")
            && recorders.get(4).snapshot().contains("orders.eu.zz end"));
    // The ones with nothing after their last match: wait until the broker has no outstanding.
    Await.until("nothing outstanding", WAIT, () -> mesh.topics("").getSubscriptionsList().stream()
        .allMatch(s -> s.getOutstandingMessages() == 0));
    for (int i = 0; i < patterns.length; i++) {
      // Order is promised per topic only: compare sorted.
      List<String> want = new ArrayList<>(List.of(expected[i]));
      List<String> got = recorders.get(i).snapshot();
      Collections.sort(want);
      Collections.sort(got);
      assertEquals(want, got, patterns[i]);
    }
  }

  @Test
  void aGroupOfFourSharesAThousandMessagesEachWithinTenPercent() throws Exception {
    List<Recorder> members = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Recorder r = new Recorder();
      members.add(r);
      ready(mesh.client().subscribe("jobs.>", "workers", StringValue.class, r));
    }
    Recorder everything = new Recorder();
    ready(mesh.client().subscribe("jobs.>", StringValue.class, everything));

    MeshClient publisher = mesh.client();
    int n = 1_000;
    // One burst: members that keep up differ in outstanding messages only by when their last
    // credit batch arrived, which the broker does not count against them.
    for (int i = 0; i < n; i++) {
      publisher.publish("jobs.build." + (i % 7), StringValue.of("j" + i));
    }
    Await.until("the group handles every message", WAIT,
        () -> members.stream().mapToInt(Recorder::size).sum() == n, () -> shares(members));
    Await.until("the broadcast subscriber gets every message beside the group", WAIT,
        () -> everything.size() == n, () -> everything.size() + " of " + n + "; at the broker: "
            + mesh.topics("jobs.x").getSubscriptionsList().stream()
                .filter(s -> s.getGroup().isEmpty()).findFirst().map(Object::toString).orElse("?")
            + "; broker counters: " + mesh.stats().getCountersMap());
    List<String> all = new ArrayList<>();
    for (Recorder r : members) {
      int share = r.size();
      assertTrue(Math.abs(share - n / 4) <= n / 4 / 10,
          "share " + share + " of " + n + " is not within 10% of " + n / 4 + ": "
              + shares(members));
      all.addAll(r.snapshot());
    }
    assertEquals(n, all.stream().distinct().count(), "each message to exactly one member");
  }

  @Test
  void closingASubscriptionStopsItsDelivery() throws Exception {
    Recorder closed = new Recorder();
    Recorder open = new Recorder();
    Subscription s = mesh.client().subscribe("news.*", StringValue.class, closed);
    ready(s);
    ready(mesh.client().subscribe("news.*", StringValue.class, open));
    MeshClient publisher = mesh.client();
    for (int i = 0; i < 10; i++) {
      publisher.publish("news.a", StringValue.of("before " + i));
    }
    Await.until("both get the first ten", WAIT, () -> closed.size() == 10 && open.size() == 10);

    s.close();
    s.close();
    assertTrue(s.ready().isDone() && !s.ready().isCompletedExceptionally(),
        "ready stays completed");
    Await.until("the broker forgets it", WAIT,
        () -> mesh.topics("news.a").getSubscriptionsCount() == 1);
    for (int i = 0; i < 10; i++) {
      publisher.publish("news.a", StringValue.of("after " + i));
    }
    Await.until("the open one gets the next ten", WAIT, () -> open.size() == 20);
    assertEquals(10, closed.size());
    assertEquals(10, s.delivered());
  }

  @Test
  void messagesOfAnotherTypeAreSkippedCountedAndReportedToTheBroker() throws Exception {
    Recorder strings = new Recorder();
    Subscription s = mesh.client().subscribe("typed.*", StringValue.class, strings);
    ready(s);
    MeshClient publisher = mesh.client();
    publisher.publish("typed.a", Int32Value.of(1));
    publisher.publish("typed.a", StringValue.of("one"));
    publisher.publish("typed.a", Int32Value.of(2));
    publisher.publish("typed.a", StringValue.of("two"));
    Await.until("the strings to arrive", WAIT, () -> strings.size() == 2);
    Await.until("both others to be skipped", WAIT, () -> s.skipped() == 2);
    assertEquals(2, s.delivered());
    // Credited as skipped, so the broker's view (zmesh ls --topics) says so too.
    Await.until("the broker to count them", WAIT,
        () -> mesh.topics("typed.a").getSubscriptions(0).getSkipped() == 2);
  }

  @Test
  void anInvalidPatternIsRefusedSynchronously() {
    MeshClient client = mesh.client();
    for (String pattern : new String[] {"", "a..b", "a*", "a.>.b", ">.a", "a b", "a.", ".a",
        "x".repeat(257)}) {
      MeshException e = assertThrows(MeshException.class,
          () -> client.subscribe(pattern, StringValue.class, (m, c) -> { }), pattern);
      assertEquals(Code.INVALID_ARGUMENT, e.code(), pattern);
    }
    MeshException topic = assertThrows(MeshException.class,
        () -> client.publish("a.*", StringValue.of("x")));
    assertEquals(Code.INVALID_ARGUMENT, topic.code());
    MeshException reserved = assertThrows(MeshException.class,
        () -> client.publish("zmesh.x", StringValue.of("x")));
    assertEquals(Code.PERMISSION_DENIED, reserved.code());
    assertEquals(0, mesh.topics("").getSubscriptionsCount());
  }

  @Test
  void thePublishBacklogIsBoundedWhileDisconnectedAndDrainsInOrderAfterwards() throws Exception {
    String endpoint = mesh.endpoint();
    mesh.broker().close();
    Duration timeout = Duration.ofMillis(300);
    int backlog = 100;
    MeshClient client = mesh.track(MeshClient.connect(TestMesh.meshOptions(endpoint).toBuilder()
        .publishBacklog(backlog)
        .callOptions(CallOptions.DEFAULT.withTimeout(timeout))
        .build()));
    Recorder recorder = new Recorder();
    // Made while disconnected: sent on the next WELCOME, before the backlog.
    Subscription s = client.subscribe("queued", StringValue.class, recorder);
    for (int i = 0; i < backlog; i++) {
      client.publish("queued", StringValue.of("m" + i));
    }
    long start = System.nanoTime();
    MeshException full = assertThrows(MeshException.class,
        () -> client.publish("queued", StringValue.of("one too many")));
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Code.OVERLOADED, full.code());
    assertTrue(waited >= timeout.toMillis() - 20 && waited < timeout.toMillis() + 5_000,
        "blocked " + waited + " ms");

    mesh.replaceBroker(Broker.start(TestMesh.options(endpoint).build()));
    ready(s);
    Await.until("the backlog arrives", WAIT, () -> recorder.size() == backlog);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < backlog; i++) {
      expected.add("queued m" + i);
    }
    assertEquals(expected, recorder.snapshot());
    SubscriptionInfo info = mesh.topics("queued").getSubscriptions(0);
    assertEquals(0, info.getDropped());
  }
}
