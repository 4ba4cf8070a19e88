package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.MeshException;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.testing.Await;
import io.zmesh.testing.SubscriberMain;
import io.zmesh.testing.TestMesh;
import io.zmesh.testing.WorkerProcess;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Subscriptions outlive their broker: the SDK renews each after it reconnects. */
class SdkTopicsRestartTest {
  private static final Duration WAIT = TestMesh.SETTLE;
  /** Reconnecting takes a liveness window, a backoff and a handshake; allow for a slow machine. */
  private static final Duration RECONNECT = Duration.ofSeconds(20);

  private static int port(String endpoint) {
    return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
  }

  private static List<String> patterns(TestMesh mesh) {
    try {
      return mesh.topics("").getSubscriptionsList().stream()
          .map(s -> s.getPattern() + "/" + s.getGroup()).sorted().collect(Collectors.toList());
    } catch (MeshException e) {
      return List.of(); // the admin client is still reconnecting
    }
  }

  @Test
  @Timeout(120)
  void subscriptionsInThisAndAnotherProcessAreRestoredAfterABrokerRestart(@TempDir Path dir)
      throws Exception {
    // Relaxed heartbeats: a busy machine must not make a client reconnect around a publish.
    try (TestMesh mesh = TestMesh.start()) {
      String endpoint = mesh.endpoint();
      WorkerProcess other = mesh.track(WorkerProcess.start(dir.resolve("subscriber.log"),
          SubscriberMain.class, endpoint, "restart.>", "-"));
      MeshClient client = mesh.client();
      List<String> seen = new CopyOnWriteArrayList<>();
      Subscription grouped = client.subscribe("restart.*", "g", StringValue.class,
          (m, ctx) -> seen.add(m.getValue()));
      grouped.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      Await.until("the other process subscribes", Duration.ofSeconds(30),
          () -> other.output().contains("ready\n"), other::output);
      List<String> before = patterns(mesh);
      assertEquals(List.of("restart.*/g", "restart.>/"), before);

      MeshClient publisher = mesh.client();
      publisher.publish("restart.a", StringValue.of("before"));
      Await.until("both get the message before the restart", WAIT,
          () -> seen.contains("before") && other.output().contains("got restart.a before 0"),
          other::output);

      mesh.broker().close();
      Await.until("the subscriber notices the broker is gone", WAIT, () -> !client.isConnected());
      mesh.replaceBroker(Broker.start(
          TestMesh.options("tcp://127.0.0.1:" + port(endpoint)).build()));

      Await.until("both subscriptions are back at the new broker", RECONNECT,
          () -> patterns(mesh).equals(before), () -> patterns(mesh).toString());
      Await.until("the publisher is back", RECONNECT, publisher::isConnected);
      publisher.publish("restart.b", StringValue.of("after"));
      Await.until("both get the message after the restart", WAIT,
          () -> seen.contains("after") && other.output().contains("got restart.b after 0"),
          other::output);
      assertEquals(List.of("before", "after"), seen);
      assertEquals(2, grouped.delivered());
      for (SubscriptionInfo s : mesh.topics("restart.b").getSubscriptionsList()) {
        assertEquals(1, s.getDelivered(), s.toString());
      }
      assertTrue(grouped.ready().isDone());
    }
  }
}
