package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.BytesValue;
import com.google.protobuf.ByteString;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.testing.Await;
import io.zmesh.testing.RawPeer;
import io.zmesh.testing.TestMesh;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every table a peer can fill is bounded, in bytes where bytes matter, and what is beyond a
 * bound is answered OVERLOADED at once; what a peer that left was waiting for goes with it.
 */
@Timeout(60)
class BudgetTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** A request waiting (up to a minute) for a worker nobody runs, with a payload of {@code size}. */
  private static Envelope waiting(long id, String name, int size) {
    return Envelope.newBuilder()
        .setCommand(Command.REQUEST)
        .setId(id)
        .setService(name)
        .setTimeoutMs(60_000)
        .setWaitForWorker(true)
        .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(new byte[size]))))
        .build();
  }

  private static void expectOverloaded(RawPeer raw, long id, String part) {
    Envelope e = raw.receive(WAIT);
    assertEquals(Command.ERROR, e.getCommand(), e.toString());
    assertEquals(id, e.getId(), e.toString());
    assertEquals(StatusCode.OVERLOADED, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getMessage().contains(part), e.getStatus().getMessage());
  }

  /** Nothing comes back for {@code ms}: the requests were accepted and wait. */
  private static void expectSilence(RawPeer raw, long ms) {
    Envelope e = raw.poll(Duration.ofMillis(ms));
    while (e != null && e.getCommand() == Command.HEARTBEAT) {
      e = raw.poll(Duration.ofMillis(ms));
    }
    assertEquals(null, e, "expected no answer");
  }

  @Test
  void waitingRequestsOfAPeerThatLeftAreDroppedAtOnce() {
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions());
        RawPeer raw = new RawPeer(mesh.endpoint())) {
      raw.hello(WAIT);
      for (int i = 1; i <= 50; i++) {
        raw.send(waiting(i, "nobody-" + (i % 5), 10_000));
      }
      Await.until("50 requests pending", WAIT, () -> mesh.counter("requests_pending") == 50);
      assertTrue(mesh.counter("memory_used_bytes") >= 500_000);
      raw.send(Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
      Await.until("requests of the peer that left dropped", WAIT,
          () -> mesh.counter("requests_pending") == 0);
      // What is left is what other connections have not yet acknowledged reading.
      assertTrue(mesh.counter("memory_used_bytes") < 100_000, "request bytes released");
      // Their names held nothing else: the empty groups are gone too.
      assertEquals(0, mesh.workers("").getGroupsCount());
      assertEquals(0, mesh.counter("worker_names"));
    }
  }

  @Test
  void aWorkerNamesQueueIsBoundedInBytes() {
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().queueBytes(64 << 10));
        RawPeer raw = new RawPeer(mesh.endpoint())) {
      raw.hello(WAIT);
      for (int i = 1; i <= 6; i++) {
        raw.send(waiting(i, "nobody", 10_000));
      }
      expectSilence(raw, 300);
      raw.send(waiting(7, "nobody", 10_000));
      expectOverloaded(raw, 7, "bytes) queued");
      // Another name has its own queue.
      raw.send(waiting(8, "other", 10_000));
      expectSilence(raw, 300);
    }
  }

  @Test
  void aConnectionsWaitingRequestsAreBounded() {
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().connectionRequests(5));
        RawPeer raw = new RawPeer(mesh.endpoint());
        RawPeer other = new RawPeer(mesh.endpoint())) {
      raw.hello(WAIT);
      for (int i = 1; i <= 5; i++) {
        raw.send(waiting(i, "nobody", 10));
      }
      raw.send(waiting(6, "nobody", 10));
      expectOverloaded(raw, 6, "this connection has 5 requests waiting");
      // Another connection is not held back.
      other.hello(WAIT);
      other.send(waiting(1, "nobody", 10));
      expectSilence(other, 300);
    }
  }

  @Test
  void workerNamesAreBounded() {
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().maxWorkerNames(3));
        RawPeer raw = new RawPeer(mesh.endpoint())) {
      raw.hello(WAIT);
      for (int i = 1; i <= 3; i++) {
        raw.send(waiting(i, "name-" + i, 10));
      }
      raw.send(waiting(4, "name-4", 10));
      expectOverloaded(raw, 4, "3 worker names, its limit");
      raw.send(waiting(5, "name-1", 10)); // a name held already
      expectSilence(raw, 300);
    }
  }

  @Test
  void connectionsAreBounded() {
    // The mesh's own admin client is the first connection.
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().maxConnections(2));
        RawPeer first = new RawPeer(mesh.endpoint());
        RawPeer second = new RawPeer(mesh.endpoint())) {
      mesh.stats();
      first.hello(WAIT);
      second.send(Envelope.newBuilder().setCommand(Command.HELLO)
          .setHello(io.zmesh.proto.Hello.newBuilder().setClientName("one-too-many")
              .setProtocol(io.zmesh.proto.Wire.PROTOCOL))
          .build());
      expectOverloaded(second, 0, "2 connections, its limit");
    }
  }

  @Test
  void theWholeBrokerIsBoundedByOneMemoryBudget() {
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().memoryBudget(1 << 20));
        RawPeer raw = new RawPeer(mesh.endpoint())) {
      raw.hello(WAIT);
      // Spread over names, so that no queue bound bites first.
      int accepted = 0;
      for (int i = 1; i <= 12; i++) {
        raw.send(waiting(i, "name-" + i, 100_000));
      }
      Envelope e = raw.receive(WAIT);
      assertEquals(StatusCode.OVERLOADED, e.getStatus().getCode(), e.toString());
      assertTrue(e.getStatus().getMessage().contains("memory budget of 1048576 bytes"),
          e.getStatus().getMessage());
      accepted = (int) mesh.counter("requests_pending");
      assertEquals(10, accepted);
      assertTrue(mesh.counter("memory_used_bytes") <= 1 << 20);
    }
  }

  @Test
  void aPeerThatDoesNotReadGetsOverloadedInsteadOfMoreReplies() throws Exception {
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().maxMessageBytes(128 << 10)
        .connectionBudget(1_000, 256 << 10));
        RawPeer raw = new RawPeer(mesh.endpoint())) {
      mesh.startWorker("big", b -> b.handle(BytesValue.class,
          (v, ctx) -> BytesValue.of(ByteString.copyFrom(new byte[64 << 10]))));
      raw.hello(WAIT);
      // The raw peer never acknowledges what it reads: to the broker it reads nothing.
      int replies = 0;
      int overloaded = 0;
      for (int i = 1; i <= 6; i++) {
        Envelope request = waiting(i, "big", 10).toBuilder().setWaitForWorker(false).build();
        raw.send(request);
        Envelope answer = raw.receive(WAIT);
        if (answer.getCommand() == Command.REPLY) {
          replies++;
        } else {
          assertEquals(StatusCode.OVERLOADED, answer.getStatus().getCode(), answer.toString());
          assertTrue(answer.getStatus().getMessage().contains("not read"), answer.toString());
          overloaded++;
        }
      }
      assertEquals(3, replies, "64 KiB replies within 256 KiB unread");
      assertEquals(3, overloaded);
      // A client that acknowledges what it reads gets far more than the budget.
      io.zmesh.worker.MeshClient client = mesh.client();
      for (int i = 0; i < 40; i++) {
        assertEquals(64 << 10, client.call("big", BytesValue.of(ByteString.EMPTY),
            BytesValue.class).getValue().size());
      }
    }
  }
}
