package io.zmesh.samples.receive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.StringValue;
import io.zmesh.broker.Broker;
import io.zmesh.samples.ChatFixture;
import io.zmesh.samples.proto.GatewayStats;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The gateway with a real client, the JDK's WebSocket, against the chat application. */
@Timeout(90)
class GatewayTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;

  private static JsonObject json(String frame) {
    assertNotNull(frame, "no frame within " + WAIT.toSeconds() + " s");
    return JsonParser.parseString(frame).getAsJsonObject();
  }

  /** Sends a frame and returns the next frame received, which must answer it. */
  private static JsonObject ask(GatewayClient ws, String frame) throws Exception {
    ws.send(frame);
    return json(ws.next(WAIT));
  }

  private static GatewayClient connect(Gateway gateway) throws Exception {
    return GatewayClient.connect(GatewayClient.webSocketUri(gateway.url()), WAIT);
  }

  private static String join(int id, String room, String user) {
    return "{\"id\":" + id + ",\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\",\"data\":"
        + "{\"room\":\"" + room + "\",\"user\":\"" + user + "\"}}";
  }

  private static String post(int id, String room, String user, String text) {
    return "{\"id\":" + id + ",\"to\":\"chat\",\"type\":\"zmesh.samples.PostMessage\",\"data\":"
        + "{\"room\":\"" + room + "\",\"user\":\"" + user + "\",\"text\":\"" + text + "\"}}";
  }

  @Test
  void requestsByNameAndTopicMessages() throws Exception {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      chat.startChat();
      Gateway gateway = chat.startGateway(GatewayOptions.builder());
      try (GatewayClient ann = connect(gateway); GatewayClient bob = connect(gateway)) {
        JsonObject sub = ask(bob, "{\"id\":\"s1\",\"subscribe\":\"chat.room.lobby\"}");
        assertEquals("s1", sub.get("id").getAsString());
        assertTrue(sub.get("ok").getAsBoolean());
        assertEquals("chat.room.lobby", sub.get("subscribed").getAsString());

        JsonObject joined = ask(ann, join(1, "lobby", "ann"));
        assertEquals(1, joined.get("id").getAsInt());
        assertTrue(joined.get("ok").getAsBoolean(), joined.toString());
        assertEquals("zmesh.samples.Joined", joined.get("type").getAsString());
        assertEquals("lobby", joined.getAsJsonObject("data").getAsJsonObject("room")
            .get("name").getAsString());

        JsonObject ack = ask(ann, post(2, "lobby", "ann", "hello \\u00e9\\ud83d\\ude00"));
        assertTrue(ack.get("ok").getAsBoolean(), ack.toString());
        assertEquals("zmesh.samples.PostAck", ack.get("type").getAsString());
        assertEquals("1", ack.getAsJsonObject("data").get("seq").getAsString());

        JsonObject message = json(bob.next(WAIT));
        assertEquals("chat.room.lobby", message.get("topic").getAsString());
        assertEquals("chat.room.lobby", message.get("pattern").getAsString());
        assertEquals("zmesh.samples.Posted", message.get("type").getAsString());
        assertEquals("hello \u00e9\ud83d\ude00", message.getAsJsonObject("data")
            .getAsJsonObject("line").get("text").getAsString());
        assertEquals(0, message.get("dropped").getAsLong());

        JsonObject unsub = ask(bob, "{\"id\":3,\"unsubscribe\":\"chat.room.lobby\"}");
        assertEquals("chat.room.lobby", unsub.get("unsubscribed").getAsString());
        ask(ann, post(4, "lobby", "ann", "after"));
        // bob asks something: the next frame is that answer, not the post.
        JsonObject rooms = ask(bob, "{\"id\":5,\"to\":\"chat\",\"type\":\"zmesh.samples.ListRoomsRequest\"}");
        assertEquals(5, rooms.get("id").getAsInt());
        assertEquals(2, rooms.getAsJsonObject("data").getAsJsonArray("rooms").get(0)
            .getAsJsonObject().get("messages").getAsInt());
        Await.until("the broker subscription is gone", WAIT,
            () -> gateway.stats().getPatterns() == 0);
      }
    }
  }

  @Test
  void everyBadFrameIsAnsweredAndTheSocketStaysOpen() throws Exception {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      chat.startChat();
      CountDownLatch release = new CountDownLatch(1);
      chat.mesh.track(chat.configure(Worker.builder().name("slow").concurrency(8)
          .handle(StringValue.class, (req, ctx) -> {
            release.await(30, TimeUnit.SECONDS);
            return req;
          })).build()).start();
      Gateway gateway = chat.startGateway(GatewayOptions.builder().maxFrameChars(1024)
          .maxInFlight(2).allowedWorkers(java.util.Set.of("chat", "slow", "nobody")));
      try (GatewayClient ws = connect(gateway)) {
        assertError(ask(ws, "not json"), null, "INVALID_ARGUMENT", "not JSON");
        assertError(ask(ws, "{\"id\":1,"), null, "INVALID_ARGUMENT", "not JSON");
        assertError(ask(ws, "[1,2]"), null, "INVALID_ARGUMENT", "not an array");
        assertError(ask(ws, "{\"id\":1} {}"), null, "INVALID_ARGUMENT", "text after");
        assertError(ask(ws, "{\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\"}"), null,
            "INVALID_ARGUMENT", "needs an \"id\"");
        assertError(ask(ws, "{\"id\":{},\"to\":\"chat\"}"), null, "INVALID_ARGUMENT", "\"id\"");
        assertError(ask(ws, "{\"id\":2,\"type\":\"zmesh.samples.JoinRoom\"}"), 2,
            "INVALID_ARGUMENT", "needs \"to\"");
        assertError(ask(ws, "{\"id\":3,\"to\":\"chat\"}"), 3, "INVALID_ARGUMENT", "needs \"type\"");
        assertError(ask(ws, "{\"id\":4,\"to\":\"chat\",\"type\":\"zmesh.samples.Nope\"}"), 4,
            "INVALID_ARGUMENT", "unknown type 'zmesh.samples.Nope'");
        assertError(ask(ws, "{\"id\":5,\"to\":\"chat\",\"type\":\"no such/type\"}"), 5,
            "INVALID_ARGUMENT", "not a message type name");
        assertError(ask(ws, "{\"id\":6,\"to\":\"nobody\",\"type\":\"zmesh.samples.JoinRoom\"}"),
            6, "NO_WORKER", "nobody");
        assertError(ask(ws, "{\"id\":7,\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\","
            + "\"data\":{\"rooom\":\"x\"}}"), 7, "INVALID_ARGUMENT", "does not fit");
        assertError(ask(ws, "{\"id\":8,\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\","
            + "\"data\":[]}"), 8, "INVALID_ARGUMENT", "does not fit");
        assertError(ask(ws, "{\"id\":9,\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\","
            + "\"timeout_ms\":0}"), 9, "INVALID_ARGUMENT", "timeout_ms");
        assertError(ask(ws, "{\"id\":10,\"to\":\"zmesh.workers\",\"type\":\"zmesh.v1.ListWorkersRequest\"}"),
            10, "PERMISSION_DENIED", "broker's own");
        assertError(ask(ws, "{\"id\":15,\"to\":\"db\",\"type\":\"zmesh.samples.ListRooms\"}"),
            15, "PERMISSION_DENIED", "worker 'db' is not reachable");
        assertError(ask(ws, "{\"id\":11,\"subscribe\":\"chat.>.x\"}"), 11, "INVALID_ARGUMENT", "");
        assertError(ask(ws, "{\"id\":12,\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\","
            + "\"data\":{\"room\":\"Bad Room\",\"user\":\"ann\"}}"), 12, "INVALID_ARGUMENT",
            "bad room");
        assertError(ask(ws, "{\"id\":13,\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\","
            + "\"data\":{\"room\":\"" + "x".repeat(2000) + "\"}}"), null, "INVALID_ARGUMENT",
            "over this socket's limit of 1024");
        // Far over the limit, and over Jetty's own frame size: still an error frame, not a close.
        assertError(ask(ws, "{\"id\":14,\"data\":\"" + "y".repeat(300_000) + "\"}"), null,
            "INVALID_ARGUMENT", "a frame of 300019 characters");
        ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertError(json(ws.next(WAIT)), null, "INVALID_ARGUMENT", "binary frames");

        // Two requests wait at the slow worker; a third is refused at the socket.
        String slow = "\"to\":\"slow\",\"type\":\"google.protobuf.StringValue\",\"data\":\"x\"";
        ws.send("{\"id\":20," + slow + "}");
        ws.send("{\"id\":21," + slow + "}");
        assertError(ask(ws, "{\"id\":22," + slow + "}"), 22, "OVERLOADED", "in flight");
        release.countDown();
        // Both run at once at the worker: their answers come in either order.
        assertEquals(java.util.Set.of(20, 21), java.util.Set.of(
            json(ws.next(WAIT)).get("id").getAsInt(), json(ws.next(WAIT)).get("id").getAsInt()));
        JsonObject timeout = ask(ws, "{\"id\":23,\"to\":\"slow\",\"type\":\"google.protobuf.StringValue\","
            + "\"data\":\"y\",\"timeout_ms\":100}");
        assertTrue(timeout.get("ok").getAsBoolean(), "released: answered " + timeout);

        // After all that, the socket still works.
        JsonObject ok = ask(ws, join(30, "lobby", "ann"));
        assertTrue(ok.get("ok").getAsBoolean(), ok.toString());
        assertFalse(ws.closed().isDone());
        GatewayStats stats = gateway.stats();
        assertEquals(1, stats.getSocketsOpen());
        assertTrue(stats.getFramesRefused() >= 12, stats.toString());
        assertTrue(stats.getRequestsFailed() >= 4, stats.toString());
      }
    }
  }

  private static void assertError(JsonObject frame, Integer id, String code, String text) {
    assertFalse(frame.get("ok").getAsBoolean(), frame.toString());
    if (id == null) {
      assertFalse(frame.has("id"), frame.toString());
    } else {
      assertEquals((int) id, frame.get("id").getAsInt(), frame.toString());
    }
    assertEquals(code, frame.get("code").getAsString(), frame.toString());
    assertTrue(frame.get("message").getAsString().contains(text), frame.toString());
  }

  @Test
  void aClientThatStopsReadingLosesTopicMessagesAloneThenIsDropped() throws Exception {
    try (ChatFixture chat = new ChatFixture(dir)) {
      String big = "b".repeat(16 * 1024);
      chat.mesh.track(chat.configure(Worker.builder().name("big").concurrency(8)
          .handle(StringValue.class, (req, ctx) -> StringValue.of(big))).build()).start();
      Gateway gateway = chat.startGateway(GatewayOptions.builder().maxOutboundBytes(256 * 1024)
          .maxInFlight(64));
      AtomicLong fastSeen = new AtomicLong();
      AtomicLong fastGaps = new AtomicLong();
      HttpClient http = HttpClient.newHttpClient();
      URI uri = GatewayClient.webSocketUri(gateway.url());
      try (GatewayClient slow = connect(gateway);
          GatewayClient fast = GatewayClient.connect(http, uri, frame -> {
            JsonObject f = JsonParser.parseString(frame).getAsJsonObject();
            if (f.has("topic")) {
              fastSeen.incrementAndGet();
              fastGaps.addAndGet(f.get("dropped").getAsLong());
            }
          }).get(10, TimeUnit.SECONDS)) {
        assertTrue(ask(slow, "{\"id\":1,\"subscribe\":\"flood.x\"}").get("ok").getAsBoolean());
        fast.send("{\"id\":1,\"subscribe\":\"flood.x\"}");
        Await.until("both subscribed", WAIT, () -> gateway.stats().getSocketSubscriptions() == 2);
        slow.pause();

        MeshClient publisher = chat.client();
        StringValue payload = StringValue.of("m".repeat(16 * 1024));
        int messages = 2_000;
        for (int i = 1; i <= messages; i++) {
          publisher.publish("flood.x", payload);
          if (i % 20 == 0) {
            long sent = i;
            // The fast client keeps up (a batch fits in the kernel's buffers whatever its
            // timing); the paused one falls behind.
            Await.until("the fast client read " + sent, WAIT, () -> fastSeen.get() == sent);
          }
        }
        assertEquals(0, fastGaps.get(), "the fast client lost nothing");
        GatewayStats stats = gateway.stats();
        assertTrue(stats.getTopicMessagesDropped() > 0, stats.toString());
        assertEquals(0, chat.mesh.topics("flood.x").getSubscriptionsList().stream()
            .mapToLong(s -> s.getDropped()).sum(), "the broker dropped nothing for receive");
        // Its requests still go through while the other one is stuck.
        try (GatewayClient other = connect(gateway)) {
          JsonObject answer = ask(other, "{\"id\":9,\"to\":\"big\","
              + "\"type\":\"google.protobuf.StringValue\",\"data\":\"q\"}");
          assertTrue(answer.get("ok").getAsBoolean(), answer.toString());
        }

        // The paused client, reading again, is told how many it missed.
        slow.resume();
        publisher.publish("flood.x", StringValue.of("last"));
        long missed = 0;
        boolean last = false;
        while (!last) {
          JsonObject f = json(slow.next(WAIT));
          if (f.has("topic")) {
            missed += f.get("dropped").getAsLong();
            last = f.get("data").getAsString().equals("last");
          }
        }
        assertEquals(stats.getTopicMessagesDropped(), missed);

        // Answers that no longer fit drop the socket.
        slow.pause();
        for (int i = 0; i < 5_000 && gateway.stats().getSocketsDropped() == 0; i++) {
          slow.send("{\"id\":" + i + ",\"to\":\"big\",\"type\":\"google.protobuf.StringValue\","
              + "\"data\":\"q\"}");
          if (i % 50 == 49) {
            TimeUnit.MILLISECONDS.sleep(20);
          }
        }
        Await.until("the stuck socket is dropped", WAIT,
            () -> gateway.stats().getSocketsDropped() == 1);
        Await.until("only the fast socket is left", WAIT,
            () -> gateway.stats().getSocketsOpen() == 1, () -> gateway.stats().toString());
      }
    }
  }

  @Test
  void healthPageAndOrigin() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String endpoint = "tcp://127.0.0.1:" + port;
    HttpClient http = HttpClient.newHttpClient();
    try (Gateway gateway = Gateway.start(GatewayOptions.builder().port(0).build(),
        Worker.builder().options(TestMesh.meshOptions(endpoint)).closeOnShutdown(false)
            .drainTimeout(Duration.ofSeconds(2)))) {
      URI health = URI.create(gateway.url() + "healthz");
      assertEquals(503, get(http, health).statusCode(), "not registered: no broker yet");
      try (Broker broker = Broker.start(TestMesh.options(endpoint).build())) {
        assertEquals(endpoint, broker.endpoint());
        Await.value(gateway.registered(), Duration.ofSeconds(20));
        HttpResponse<String> up = get(http, health);
        assertEquals(200, up.statusCode());
        assertTrue(up.body().contains("\"status\":\"ok\""), up.body());

        HttpResponse<String> page = get(http, URI.create(gateway.url()));
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>zmesh chat</title>"), page.body());
        HttpResponse<String> js = get(http, URI.create(gateway.url() + "chat.js"));
        assertEquals(200, js.statusCode());
        assertTrue(js.headers().firstValue("content-type").orElse("").contains("javascript"));
        assertEquals(404, get(http, URI.create(gateway.url() + "nothing")).statusCode());

        URI ws = GatewayClient.webSocketUri(gateway.url());
        ExecutionException refused = assertThrows(ExecutionException.class,
            () -> http.newWebSocketBuilder().header("Origin", "http://elsewhere.example")
                .buildAsync(ws, new java.net.http.WebSocket.Listener() {}).get(10, TimeUnit.SECONDS));
        assertTrue(refused.getCause().toString().contains("WebSocketHandshake"), refused.toString());
        http.newWebSocketBuilder().header("Origin", gateway.url().replaceAll("/$", ""))
            .buildAsync(ws, new java.net.http.WebSocket.Listener() {}).get(10, TimeUnit.SECONDS)
            .abort();
      }
    }
  }

  private static HttpResponse<String> get(HttpClient http, URI uri)
      throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(uri).timeout(WAIT).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
