package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.CurveKeys;
import io.zmesh.MeshException;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.ReloadKeysReply;
import io.zmesh.proto.ReloadKeysRequest;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Subscription;
import io.zmesh.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CURVE broker with an allow-list, over real CURVE sockets: every permission allowed and
 * refused, keys that are not on the list, plain peers, the impostor, reloads.
 */
@Timeout(90)
class CurveTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final CallOptions CALL = CallOptions.DEFAULT.withTimeout(WAIT);

  private final CurveKeys.Pair brokerKeys = CurveKeys.generate();
  private final CurveKeys.Pair db = CurveKeys.generate();
  private final CurveKeys.Pair client = CurveKeys.generate();
  private final CurveKeys.Pair evil = CurveKeys.generate();
  private final CurveKeys.Pair ops = CurveKeys.generate();
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();

  @TempDir
  Path dir;
  private Path allowList;
  private Broker broker;

  private String entries() {
    return "# test keys\n"
        + "key { name: \"db\" public_key: \"" + db.publicKey() + "\"\n"
        + "      register: \"db\" publish: \"db.>\" subscribe: \"chat.>\" }\n"
        + "key { name: \"client\" public_key: \"" + client.publicKey() + "\"\n"
        + "      call: \"db\" subscribe: \"db.events.*\" admin: \"read\" }\n"
        + "key { name: \"evil\" public_key: \"" + evil.publicKey() + "\"\n"
        + "      register: \"evil\" }\n"
        + "key { name: \"ops\" public_key: \"" + ops.publicKey() + "\" admin: \"write\" }\n";
  }

  @BeforeEach
  void start() throws Exception {
    allowList = dir.resolve("keys.txtpb");
    Files.writeString(allowList, entries(), StandardCharsets.UTF_8);
    // Services of an embedder, as the supervisor adds them: each declares the access it needs.
    broker = Broker.start(TestMesh.options().curve(brokerKeys, allowList)
        .service(BrokerService.of("zmesh.supervisor.restart", BrokerService.Access.WRITE,
            StringValue.class, app -> StringValue.of("restarted " + app.getValue())))
        .service(BrokerService.of("zmesh.supervisor.status", BrokerService.Access.READ,
            StringValue.class, app -> StringValue.of("up")))
        .build());
  }

  @AfterEach
  void stop() throws Exception {
    while (!opened.isEmpty()) {
      opened.pop().close();
    }
    broker.close();
  }

  private MeshOptions options(CurveKeys.Pair keys) {
    return TestMesh.meshOptions(broker.endpoint()).toBuilder()
        .brokerKey(brokerKeys.publicKey())
        .keyPair(keys)
        .build();
  }

  private MeshClient connect(CurveKeys.Pair keys) throws InterruptedException {
    MeshClient c = MeshClient.connect(options(keys));
    opened.push(c);
    assertTrue(c.awaitConnected(WAIT), "a listed key did not connect");
    return c;
  }

  private Worker.Builder worker(String name, CurveKeys.Pair keys) {
    return Worker.builder()
        .name(name)
        .options(options(keys))
        .closeOnShutdown(false)
        .drainTimeout(Duration.ofSeconds(2))
        .startTimeout(WAIT)
        .handle(StringValue.class, (s, ctx) -> StringValue.of(name + ":" + s.getValue()));
  }

  private Worker startWorker(String name, CurveKeys.Pair keys) {
    Worker w = worker(name, keys).build();
    opened.push(w);
    return w.start();
  }

  private static void assertRefused(Code code, Runnable act, String... parts) {
    MeshException e = assertThrows(MeshException.class, act::run);
    Await.assertStatus(code, e, parts);
  }

  private BrokerStats stats(MeshClient c) {
    return c.call(Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(), BrokerStats.class,
        CALL);
  }

  @Test
  void registeringIsAllowedOnlyUnderTheKeysNames() {
    startWorker("db", db);
    startWorker("evil", evil);
    // The impostor: a second key cannot register as db and take half its requests.
    Worker impostor = worker("db", evil).build();
    opened.push(impostor);
    assertRefused(Code.PERMISSION_DENIED, impostor::start, "key 'evil' may not register as 'db'");
  }

  @Test
  void callingIsAllowedOnlyForTheKeysNames() throws Exception {
    startWorker("db", db);
    MeshClient allowed = connect(client);
    assertEquals("db:hi",
        allowed.call("db", StringValue.of("hi"), StringValue.class, CALL).getValue());
    MeshClient refused = connect(evil);
    assertRefused(Code.PERMISSION_DENIED,
        () -> refused.call("db", StringValue.of("hi"), StringValue.class, CALL),
        "key 'evil' may not call 'db'");
  }

  @Test
  void publishingAndSubscribingStayWithinTheKeysPatterns() throws Exception {
    MeshClient subscriber = connect(client);
    LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
    Subscription s = subscriber.subscribe("db.events.*", StringValue.class,
        (m, ctx) -> got.add(m.getValue()));
    s.ready().get(10, TimeUnit.SECONDS);
    // A subscription wider than the key's pattern is refused.
    Subscription wide = subscriber.subscribe(">", StringValue.class, (m, ctx) -> { });
    MeshException e = Await.failure(wide.ready(), WAIT);
    Await.assertStatus(Code.PERMISSION_DENIED, e, "key 'client' may not subscribe to '>'");

    MeshClient intruder = connect(evil);
    intruder.publish("db.events.forged", StringValue.of("forged"));
    MeshClient publisher = connect(db);
    publisher.publish("db.events.new", StringValue.of("real"));
    assertEquals("real", got.poll(10, TimeUnit.SECONDS));
    MeshClient ops = connect(this.ops);
    Await.until("the forged publish refused", WAIT,
        () -> stats(ops).getCountersOrDefault("refused_acts", 0) >= 2);
    assertEquals(null, got.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void adminServicesNeedReadOrWrite() throws Exception {
    MeshClient reader = connect(client);
    assertTrue(stats(reader).getPeers() >= 1);
    assertRefused(Code.PERMISSION_DENIED, () -> reader.call(Names.SERVICE_RELOAD_KEYS,
        ReloadKeysRequest.getDefaultInstance(), ReloadKeysReply.class, CALL),
        "key 'client' may not change the broker with 'zmesh.keys.reload'");
    // An embedder's services need what they declare; a name that is no service, read.
    assertRefused(Code.PERMISSION_DENIED, () -> reader.call("zmesh.supervisor.restart",
        StringValue.of("db"), StringValue.class, CALL), "may not change the broker");
    assertEquals("up", reader.call("zmesh.supervisor.status", StringValue.of(""),
        StringValue.class, CALL).getValue());
    assertRefused(Code.NO_WORKER, () -> reader.call("zmesh.nothing", StringValue.of(""),
        StringValue.class, CALL), "zmesh.nothing");
    MeshClient none = connect(evil);
    assertRefused(Code.PERMISSION_DENIED, () -> stats(none), "key 'evil' may not read");
    MeshClient writer = connect(ops);
    assertEquals("restarted db", writer.call("zmesh.supervisor.restart", StringValue.of("db"),
        StringValue.class, CALL).getValue());
    assertEquals(4, writer.call(Names.SERVICE_RELOAD_KEYS, ReloadKeysRequest.getDefaultInstance(),
        ReloadKeysReply.class, CALL).getKeys());
  }

  @Test
  void aKeyNotOnTheListNeverConnects() throws Exception {
    MeshClient stranger = MeshClient.connect(options(CurveKeys.generate()));
    opened.push(stranger);
    assertFalse(stranger.awaitConnected(Duration.ofSeconds(2)));
    CompletableFuture<StringValue> call = stranger.request("db", StringValue.of("x"),
        StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofMillis(500)));
    MeshException e = Await.failure(call, WAIT);
    Await.assertStatus(Code.UNAVAILABLE, e, "CURVE: a broker that refuses this key");
    MeshClient ops = connect(this.ops);
    assertTrue(stats(ops).getCountersOrDefault("curve_handshakes_refused", 0) >= 1);
  }

  @Test
  void aPlainPeerNeverConnectsToACurveBroker() throws Exception {
    MeshClient plain = MeshClient.connect(TestMesh.meshOptions(broker.endpoint()));
    opened.push(plain);
    assertFalse(plain.awaitConnected(Duration.ofSeconds(2)));
    // Nor does a CURVE client that trusts another broker key.
    MeshClient fooled = MeshClient.connect(TestMesh.meshOptions(broker.endpoint()).toBuilder()
        .brokerKey(CurveKeys.generate().publicKey()).keyPair(client).build());
    opened.push(fooled);
    assertFalse(fooled.awaitConnected(Duration.ofSeconds(1)));
  }

  @Test
  void theListIsReloadedWhenItsFileChanges() throws Exception {
    CurveKeys.Pair newcomer = CurveKeys.generate();
    MeshClient early = MeshClient.connect(options(newcomer));
    opened.push(early);
    assertFalse(early.awaitConnected(Duration.ofSeconds(1)));
    Files.writeString(allowList, entries() + "key { name: \"newcomer\" public_key: \""
        + newcomer.publicKey() + "\" admin: \"read\" }\n", StandardCharsets.UTF_8);
    // Looked at once a second; the client retries its handshake on its own.
    assertTrue(early.awaitConnected(Duration.ofSeconds(15)), "a key added to the file");
    assertTrue(stats(early).getPeers() >= 1);
  }

  @Test
  void aKeyRemovedByAReloadIsDisconnectedAndRefused() throws Exception {
    startWorker("evil", evil);
    MeshClient writer = connect(ops);
    assertEquals("restarted db", writer.call("zmesh.supervisor.restart", StringValue.of("db"),
        StringValue.class, CALL).getValue());
    Files.writeString(allowList, entries().replaceAll("(?s)key \\{ name: \"evil\".*?\\}\\n", ""),
        StandardCharsets.UTF_8);
    ReloadKeysReply reply = writer.call(Names.SERVICE_RELOAD_KEYS,
        ReloadKeysRequest.getDefaultInstance(), ReloadKeysReply.class, CALL);
    assertEquals(3, reply.getKeys());
    assertEquals(1, reply.getDisconnected());
    Await.until("evil gone", WAIT, () -> stats(writer).getWorkers() == 0);
  }

  @Test
  void aBrokenFileKeepsTheKeysInForce() throws Exception {
    MeshClient writer = connect(ops);
    assertEquals("restarted db", writer.call("zmesh.supervisor.restart", StringValue.of("db"),
        StringValue.class, CALL).getValue());
    Files.writeString(allowList, "key { name: \"x\" public_key: \"short\" }\n");
    assertRefused(Code.INVALID_ARGUMENT, () -> writer.call(Names.SERVICE_RELOAD_KEYS,
        ReloadKeysRequest.getDefaultInstance(), ReloadKeysReply.class, CALL),
        "public_key is not a CURVE key", "stay in force");
    connect(client); // still let in
  }
}
