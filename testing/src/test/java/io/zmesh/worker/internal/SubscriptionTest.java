package io.zmesh.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Delivery;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.Wire;
import io.zmesh.testing.FakeBroker;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SDK's side of subscriptions, against a scripted broker. */
@Timeout(30)
class SubscriptionTest {
  private static final Duration WAIT = FakeBroker.WAIT;

  private FakeBroker broker;
  private MeshClient client;
  /** The client's identity at the broker, once it said HELLO. */
  private byte[] peer;

  @BeforeEach
  void connect() {
    broker = new FakeBroker();
    client = MeshClient.connect(broker.options().build());
    peer = broker.accept();
  }

  @AfterEach
  void close() {
    client.close();
    broker.close();
  }

  /** What a handler saw. */
  private record Seen(String value, String topic, long dropped) {}

  private static Envelope message(long id, String topic, com.google.protobuf.Message m,
      long dropped) {
    return Envelope.newBuilder()
        .setCommand(Command.MESSAGE)
        .setId(id)
        .setService(topic)
        .setPayload(Any.pack(m))
        .setDelivery(Delivery.newBuilder().setDropped(dropped))
        .build();
  }

  private static Envelope granted(long id, int messages, long bytes) {
    return Envelope.newBuilder()
        .setCommand(Command.REPLY)
        .setId(id)
        .setSubscribe(Subscribe.newBuilder().setBudgetMessages(messages).setBudgetBytes(bytes))
        .build();
  }

  private static void await(Subscription s) throws Exception {
    s.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Takes the SUBSCRIBE of {@code s}, grants the broker's default budget, awaits ready. */
  private long accept(Subscription s) throws Exception {
    return accept(s, 0);
  }

  private long accept(Subscription s, int budget)
      throws Exception {
    long id = broker.expect(Command.SUBSCRIBE).envelope().getId();
    broker.send(peer, granted(id, budget, budget == 0 ? 0 : 1 << 20));
    await(s);
    return id;
  }

  /** Reads CREDITs of subscription {@code id} until they add up to {@code messages}. */
  private List<Envelope> credits(long id, long messages) {
    List<Envelope> credits = new ArrayList<>();
    long sum = 0;
    while (sum < messages) {
      FakeBroker.Packet p = broker.expect(Command.CREDIT);
      assertEquals(id, p.envelope().getId());
      credits.add(p.envelope());
      sum += p.envelope().getCredit().getMessages();
    }
    assertEquals(messages, sum);
    return credits;
  }

  @Test
  void subscribeDeclaresPatternGroupTypeDescriptorsAndBudget() throws Exception {
    assertTrue(client.awaitConnected(WAIT));
    client.close();
    broker.expect(Command.DISCONNECT);
    client = MeshClient.connect(broker.options().subscriptionBudget(100, 65_536).build());
    peer = broker.accept();
    Subscription s = client.subscribe("chat.*", "loggers", StringValue.class, (m, c) -> { });
    Envelope sub = broker.expect(Command.SUBSCRIBE).envelope();
    assertEquals("chat.*", sub.getSubscribe().getPattern());
    assertEquals("loggers", sub.getSubscribe().getGroup());
    assertEquals("google.protobuf.StringValue", sub.getSubscribe().getMessageType());
    assertEquals("google/protobuf/wrappers.proto",
        sub.getSubscribe().getDescriptors().getFile(0).getName());
    assertEquals(100, sub.getSubscribe().getBudgetMessages());
    assertEquals(65_536, sub.getSubscribe().getBudgetBytes());
    assertFalse(s.ready().isDone());

    broker.send(peer, granted(sub.getId(), 100, 65_536));
    await(s);
    assertEquals("chat.*", s.pattern());
    assertEquals("loggers", s.group());

    Subscription any = client.subscribe("x.>", Any.class, (m, c) -> { });
    Envelope anySub = broker.expect(Command.SUBSCRIBE).envelope();
    assertEquals("", anySub.getSubscribe().getMessageType());
    assertEquals("", anySub.getSubscribe().getGroup());
    assertFalse(anySub.getSubscribe().hasDescriptors());
    assertTrue(anySub.getId() != sub.getId());
    assertEquals("", any.group());
  }

  @Test
  void messagesArriveInOrderWithTheirGapsAndAreCreditedInBatches() throws Exception {
    List<Seen> seen = new CopyOnWriteArrayList<>();
    Subscription s = client.subscribe("t.>", StringValue.class,
        (m, c) -> seen.add(new Seen(m.getValue(), c.topic(), c.dropped())));
    // A budget of 32 messages: credit goes back at least every 2 messages handled.
    long id = accept(s, 32);

    int n = 200;
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      byte[] body = Wire.encode(message(id, "t." + (i % 3), StringValue.of("m" + i),
          i == 50 ? 7 : 0));
      bytes += body.length;
      broker.sendBytes(peer, body);
    }
    List<Envelope> credits = credits(id, n);
    assertEquals(bytes, credits.stream().mapToLong(c -> c.getCredit().getBytes()).sum());
    // Handed back every 2 messages (1/16 of the budget) and gathered per pass of the I/O
    // thread: never one CREDIT per message.
    assertTrue(credits.size() <= n / 2, credits.size() + " CREDITs for " + n + " messages");
    assertEquals(n, credits.stream().mapToLong(c -> c.getCredit().getMessages()).sum());
    assertEquals(n, seen.size());
    for (int i = 0; i < n; i++) {
      assertEquals(new Seen("m" + i, "t." + (i % 3), i == 50 ? 7 : 0), seen.get(i));
    }
    assertEquals(n, s.delivered());
    assertEquals(7, s.dropped());
  }

  @Test
  void aLargeBudgetIsCreditedOnceTheQueueRunsEmpty() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    Subscription s = client.subscribe("t", StringValue.class, (m, c) -> {
      release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      handled.incrementAndGet();
    });
    long id = accept(s, 10_000);
    for (int i = 0; i < 100; i++) {
      broker.send(peer, message(id, "t", StringValue.of("m" + i), 0));
    }
    // A client answers a REQUEST with NO_WORKER; that answer shows it has read all before it.
    broker.send(peer, Envelope.newBuilder().setCommand(Command.REQUEST).setId(999)
        .setService("x").build());
    assertEquals(999, broker.expect(Command.ERROR).envelope().getId());
    assertNull(broker.poll(Duration.ofMillis(100)), "credit while the handler is blocked");

    release.countDown();
    List<Envelope> credits = credits(id, 100);
    assertEquals(1, credits.size(), "one CREDIT once the queue is empty: " + credits);
    assertEquals(100, handled.get());
  }

  @Test
  void aMessageOfAnotherTypeIsSkippedCountedAndCreditedAndItsGapCarriedOver() throws Exception {
    List<Seen> seen = new CopyOnWriteArrayList<>();
    Subscription s = client.subscribe("t", StringValue.class,
        (m, c) -> seen.add(new Seen(m.getValue(), c.topic(), c.dropped())));
    long id = accept(s);

    broker.send(peer, message(id, "t", Int32Value.of(1), 3));
    broker.send(peer, message(id, "t", StringValue.of("ok"), 2));
    credits(id, 2);
    assertEquals(List.of(new Seen("ok", "t", 5)), seen);
    assertEquals(5, s.dropped());
    assertEquals(1, s.delivered());
    assertEquals(1, ((TopicSubscription<?>) s).skipped());
  }

  @Test
  void aMessageWhosePayloadDoesNotDecodeIsSkippedAndStillCredited() throws Exception {
    List<Seen> seen = new CopyOnWriteArrayList<>();
    Subscription s = client.subscribe("t", StringValue.class,
        (m, c) -> seen.add(new Seen(m.getValue(), c.topic(), c.dropped())));
    long id = accept(s);
    // The broker forwards payload bytes as published; these end inside the Any's type URL.
    byte[] head = Wire.encode(Envelope.newBuilder().setCommand(Command.MESSAGE).setId(id)
        .setService("t").build());
    byte[] bad = java.util.Arrays.copyOf(head, head.length + 4);
    bad[head.length] = (byte) (Envelope.PAYLOAD_FIELD_NUMBER << 3 | 2);
    bad[head.length + 1] = 2;
    bad[head.length + 2] = (byte) (Any.TYPE_URL_FIELD_NUMBER << 3 | 2);
    bad[head.length + 3] = 100;
    broker.sendBytes(peer, bad);
    broker.send(peer, message(id, "t", StringValue.of("fine"), 0));
    List<Envelope> credits = credits(id, 2);
    long bytes = credits.stream().mapToLong(c -> c.getCredit().getBytes()).sum();
    assertEquals(bad.length + Wire.encode(message(id, "t", StringValue.of("fine"), 0)).length,
        bytes);
    assertEquals(List.of(new Seen("fine", "t", 0)), seen);
    assertEquals(1, ((TopicSubscription<?>) s).skipped());
  }

  @Test
  void messagesAsTheBrokerForwardsThemReachAnyAndTypedHandlersAlike() throws Exception {
    List<Any> raw = new CopyOnWriteArrayList<>();
    List<Seen> typed = new CopyOnWriteArrayList<>();
    Subscription any = client.subscribe("t", Any.class, (m, c) -> raw.add(m));
    long anyId = accept(any);
    Subscription s = client.subscribe("t", StringValue.class,
        (m, c) -> typed.add(new Seen(m.getValue(), c.topic(), c.dropped())));
    long id = accept(s);
    Envelope published = Envelope.newBuilder().setCommand(Command.PUBLISH).setService("t")
        .setPayload(Any.pack(StringValue.of("forwarded"))).build();
    broker.sendBytes(peer, Wire.toMessage(Wire.encode(published), anyId, 0));
    broker.sendBytes(peer, Wire.toMessage(Wire.encode(published), id, 4));
    // A publisher that sent a delivery body of its own: the broker's, appended, wins.
    broker.sendBytes(peer, Wire.toMessage(Wire.encode(published.toBuilder()
        .setDelivery(Delivery.newBuilder().setDropped(99)).build()), id, 0));
    credits(anyId, 1);
    credits(id, 2);
    assertEquals(List.of(Any.pack(StringValue.of("forwarded"))), raw);
    assertEquals(List.of(new Seen("forwarded", "t", 4), new Seen("forwarded", "t", 0)), typed);
  }

  @Test
  void aHandlerThatThrowsDoesNotStopTheNextMessage() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Subscription s = client.subscribe("t", StringValue.class, (m, c) -> {
      seen.add(m.getValue());
      if (m.getValue().equals("bad")) {
        throw new IllegalStateException("handler failure on purpose");
      }
    });
    long id = accept(s);
    broker.send(peer, message(id, "t", StringValue.of("bad"), 0));
    broker.send(peer, message(id, "t", StringValue.of("good"), 0));
    credits(id, 2);
    assertEquals(List.of("bad", "good"), seen);
    assertEquals(2, s.delivered());
  }

  @Test
  void closeUnsubscribesAndNoHandlerCallStartsAfterIt() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    Subscription s = client.subscribe("t", StringValue.class, (m, c) -> calls.incrementAndGet());
    long id = accept(s);
    broker.send(peer, message(id, "t", StringValue.of("before"), 0));
    credits(id, 1);
    assertEquals(1, calls.get());

    s.close();
    s.close();
    assertEquals(id, broker.expect(Command.UNSUBSCRIBE).envelope().getId());
    // Messages the broker sent before it saw the UNSUBSCRIBE are dropped, not handled.
    for (int i = 0; i < 10; i++) {
      broker.send(peer, message(id, "t", StringValue.of("after"), 0));
    }
    broker.send(peer, Envelope.newBuilder().setCommand(Command.REQUEST).setId(999).build());
    assertEquals(999, broker.expect(Command.ERROR).envelope().getId());
    assertEquals(1, calls.get());

    // A subscription closed before the broker accepted it fails its ready future.
    Subscription early = client.subscribe("u", StringValue.class, (m, c) -> { });
    early.close();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> early.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals(Code.CANCELLED, ((MeshException) e.getCause()).code());
  }

  @Test
  void closingFromInsideTheHandlerStopsTheRest() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Subscription s = client.subscribe("t", StringValue.class, (m, c) -> {
      seen.add(m.getValue());
      c.subscription().close();
    });
    long id = accept(s);
    for (int i = 0; i < 5; i++) {
      broker.send(peer, message(id, "t", StringValue.of("m" + i), 0));
    }
    assertEquals(id, broker.expect(Command.UNSUBSCRIBE).envelope().getId());
    assertEquals(List.of("m0"), seen);
  }

  @Test
  void everyOpenSubscriptionIsRenewedAfterANewWelcome() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Subscription a = client.subscribe("a.*", StringValue.class, (m, c) -> seen.add(m.getValue()));
    Subscription b = client.subscribe("b.*", "g", StringValue.class, (m, c) -> { });
    Subscription gone = client.subscribe("c.*", StringValue.class, (m, c) -> { });
    Map<String, Long> ids = new TreeMap<>();
    for (int i = 0; i < 3; i++) {
      Envelope sub = broker.expect(Command.SUBSCRIBE).envelope();
      ids.put(sub.getSubscribe().getPattern(), sub.getId());
      broker.send(peer, granted(sub.getId(), 0, 0));
    }
    await(a);
    await(b);
    await(gone);
    gone.close();
    broker.expect(Command.UNSUBSCRIBE);

    // The broker forgets this connection, as after a restart.
    broker.send(peer, Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
    byte[] again = broker.accept();
    Map<String, Long> renewed = new TreeMap<>();
    for (int i = 0; i < 2; i++) {
      Envelope sub = broker.expect(Command.SUBSCRIBE).envelope();
      renewed.put(sub.getSubscribe().getPattern(), sub.getId());
    }
    ids.remove("c.*");
    assertEquals(ids, renewed, "the open subscriptions, under the same ids");
    long idA = ids.get("a.*");
    assertNull(broker.poll(Duration.ofMillis(100)), "only the open subscriptions are renewed");
    broker.send(again, granted(idA, 0, 0));
    broker.send(again, message(idA, "a.x", StringValue.of("after restart"), 0));
    credits(idA, 1);
    assertEquals(List.of("after restart"), seen);
  }

  @Test
  void aRefusedSubscriptionFailsReadyAndIsNotRenewed() throws Exception {
    Subscription s = client.subscribe("t", StringValue.class, (m, c) -> { });
    long id = broker.expect(Command.SUBSCRIBE).envelope().getId();
    broker.send(peer, StatusCodec.error(id, Code.INVALID_ARGUMENT, "no thanks"));
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> s.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    MeshException cause = (MeshException) e.getCause();
    assertEquals(Code.INVALID_ARGUMENT, cause.code());
    assertEquals("no thanks", cause.status().description());

    broker.send(peer, Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
    broker.accept();
    assertNull(broker.poll(Duration.ofMillis(200)), "a refused subscription is not renewed");
  }

  @Test
  void invalidPatternsAndGroupsAreRefusedSynchronously() {
    for (String pattern : new String[] {"", "a..b", "a*", "a.>.b", "a b", ".a", "a."}) {
      MeshException e = assertThrows(MeshException.class,
          () -> client.subscribe(pattern, StringValue.class, (m, c) -> { }), pattern);
      assertEquals(Code.INVALID_ARGUMENT, e.code(), pattern);
    }
    MeshException e = assertThrows(MeshException.class,
        () -> client.subscribe("a", "has space", StringValue.class, (m, c) -> { }));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
    assertTrue(e.getMessage().contains("group name"), e.getMessage());
    assertThrows(NullPointerException.class,
        () -> client.subscribe("a", StringValue.class, null));
    assertNull(broker.poll(Duration.ofMillis(100)), "nothing refused was sent");
  }

  @Test
  void closingTheClientEndsItsSubscriptions() throws Exception {
    Subscription s = client.subscribe("t", StringValue.class, (m, c) -> { });
    broker.expect(Command.SUBSCRIBE);
    client.close();
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> s.ready().get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    assertEquals(Code.CANCELLED, ((MeshException) e.getCause()).code());
    MeshException after = assertThrows(MeshException.class,
        () -> client.subscribe("t", StringValue.class, (m, c) -> { }));
    assertEquals(Code.CANCELLED, after.code());
  }
}
