package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Ready;
import io.zmesh.proto.Scan;
import io.zmesh.proto.Wire;
import java.nio.charset.StandardCharsets;

/**
 * The broker's routing alone, without sockets: requests and replies pushed through a {@link
 * RequestRouter} whose outbox answers each forwarded request, with a given number of other
 * instances registered. What it measures is the cost that grows, or not, with the number of
 * instances: the balancer, the group and pending tables, the deadline wheel and the periodic
 * re-weighing; the transport's own costs are the same for any number and are left out.
 */
public final class DispatchBench {
  /** Idle instances share a name ten at a time, as in {@code zmesh bench scale}. */
  private static final int IDLE_PER_NAME = 10;

  /** One run's outcome. */
  public record Result(String label, int activeInstances, int idleInstances, long requests,
      double seconds) {
    public double rate() {
      return requests / seconds;
    }
  }

  private DispatchBench() {}

  /**
   * Keeps {@code window} requests outstanding to one name served by {@code active} instances
   * (credit {@code credit} each), with {@code idle} more instances registered under other names,
   * for {@code seconds} after {@code warmupSeconds}.
   */
  public static Result run(String label, int active, int credit, int idle, int window,
      double warmupSeconds, double seconds) {
    if (active < 1 || credit < 1 || window < 1 || (long) active * credit < window) {
      throw new IllegalArgumentException("need active x credit >= window >= 1");
    }
    Sink sink = new Sink(window);
    long start = System.nanoTime();
    BrokerOptions options = BrokerOptions.builder()
        .maxWorkerNames(Integer.MAX_VALUE)
        .connectionRequests(Integer.MAX_VALUE)
        .build();
    RequestRouter router = new RequestRouter(options, sink, new Counters(), new TypeRegistry(),
        new MemoryBudget(options.memoryBudget()), start);
    for (int i = 0; i < idle; i++) {
      register(router, "idle-" + i / IDLE_PER_NAME, "idle-" + i, 1, start);
    }
    for (int i = 0; i < active; i++) {
      register(router, "bench", "bench-" + i, credit, start);
    }
    sink.forwarded = 0;
    Peer client = new Peer(new Identity(new byte[] {1, 'c'}),
        Hello.newBuilder().setClientName("bench").build(), start);
    byte[] body = Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST).setId(1)
        .setService("bench").setTimeoutMs(30_000)
        .setPayload(Any.newBuilder().setTypeUrl("type.googleapis.com/google.protobuf.BytesValue")
            .setValue(ByteString.copyFrom(new byte[100])))
        .build());
    Scan.Request request = (Scan.Request) Scan.read(body);
    byte[] replyBody = Wire.encode(Envelope.newBuilder().setCommand(Command.REPLY).build());
    // Timed from here: registering thousands of instances is not part of routing.
    long now = System.nanoTime();
    long measureFrom = now + (long) (warmupSeconds * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    long nextTick = now + 500 * MS;
    long measuredFrom = -1;
    long answered = 0;
    long countedFrom = 0;
    long brokerId = 0;
    while (true) {
      // One request in, and once the window is full the oldest out: what the broker loop sees.
      router.onRequest(client, request, body, now);
      brokerId++;
      if (brokerId > window) {
        long id = brokerId - window;
        Envelope reply = Envelope.newBuilder().setCommand(Command.REPLY).setId(id).build();
        router.onAnswer(sink.peerOf(id), reply, replyBody, now);
        answered++;
      }
      if ((brokerId & 255) == 0) {
        now = System.nanoTime();
        if (now >= nextTick) {
          router.tick(System.nanoTime());
          nextTick = now + 500 * MS;
        }
        if (measuredFrom < 0 && now >= measureFrom) {
          measuredFrom = now;
          countedFrom = answered;
        }
        if (now >= end && answered > countedFrom) {
          return new Result(label, active, idle, answered - countedFrom,
              (now - measuredFrom) / 1e9);
        }
      }
    }
  }

  private static void register(RequestRouter router, String name, String id, int credit,
      long now) {
    Peer peer = new Peer(new Identity(id.getBytes(StandardCharsets.UTF_8)),
        Hello.newBuilder().setClientName(id).build(), now);
    router.onReady(peer, Envelope.newBuilder().setCommand(Command.READY).setId(1)
        .setReady(Ready.newBuilder().setName(name).setInstanceId(id).setConcurrency(credit))
        .build(), now);
  }

  /** Remembers which instance each forwarded request went to, in the order the ids run. */
  private static final class Sink implements RequestRouter.Outbox {
    private final Peer[] sentTo;
    long forwarded;

    Sink(int window) {
      sentTo = new Peer[Integer.highestOneBit(window) * 4];
    }

    Peer peerOf(long id) {
      return sentTo[(int) (id & (sentTo.length - 1))];
    }

    @Override
    public boolean send(Peer to, Envelope packet) {
      return true;
    }

    @Override
    public boolean send(Peer to, byte[] body) {
      if (to.worker != null && to.worker.group.name.equals("bench")) {
        // With credit for the whole window nothing queues, so forwards run in id order.
        forwarded++;
        sentTo[(int) (forwarded & (sentTo.length - 1))] = to;
      }
      return true;
    }

    @Override
    public void disconnect(Peer peer, io.zmesh.Status why) {
      throw new IllegalStateException("the bench never disconnects a peer: " + why);
    }
  }
}
