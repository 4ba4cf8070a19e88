package io.zmesh.bench;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Names;
import io.zmesh.proto.Wire;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Memory attacks on a broker at its default settings, in a process of its own with the JVM's
 * default heap: requests that wait for a worker nobody runs, replies requested and never read,
 * connections that declare large frames and stall, and a flood of worker names. For each, the
 * broker's heap after a collection and RSS while the attack holds, whether a new client is
 * still answered, and what the attacker got.
 */
public final class AttackBench {
  private AttackBench() {}

  /** The attacks, by the name {@code zmesh bench attack --only} takes. */
  public static final List<String> ATTACKS = List.of("waiting", "unread", "declared", "names");

  public static String run(List<String> attacks, double scale, PrintWriter progress)
      throws IOException, InterruptedException {
    StringBuilder out = new StringBuilder();
    for (String attack : attacks) {
      Child broker = Child.start(BrokerMain.class, BrokerMain.JVM, "tcp://127.0.0.1:*");
      String endpoint = broker.expect("listening").substring("listening ".length());
      ZMQ.Context context = Sockets.newContext(0);
      try {
        out.append(attack).append(": ").append(FuzzBench.memory(broker)).append(" at rest\n");
        String what;
        switch (attack) {
          case "waiting":
            what = waiting(context, endpoint, (int) (1_500 * scale));
            break;
          case "unread":
            what = unread(context, endpoint, (int) (2_000 * scale));
            break;
          case "declared":
            what = declared(endpoint, (int) Math.max(1, 250 * scale));
            break;
          case "names":
            what = names(context, endpoint, (int) (20_000 * scale));
            break;
          default:
            throw new IllegalArgumentException("no attack named '" + attack + "'; there are "
                + ATTACKS);
        }
        out.append("  ").append(what).append('\n');
        out.append("  while it holds: ").append(FuzzBench.memory(broker)).append('\n');
        out.append("  a new client: ").append(newClient(endpoint)).append('\n');
        out.append("  broker up: ").append(broker.process.isAlive()).append('\n');
        progress.println("  " + attack + " done");
        progress.flush();
      } catch (Exception e) {
        out.append("  failed: ").append(e).append('\n');
      } finally {
        for (AutoCloseable c : lastHeld) {
          try {
            c.close();
          } catch (Exception ignored) {
            // closing anyway
          }
        }
        lastHeld.clear();
        context.term();
        broker.close();
      }
    }
    return out.toString();
  }

  /** What the current attack keeps open until it has been measured. */
  private static final List<AutoCloseable> lastHeld = new ArrayList<>();

  private static ZMQ.Socket attacker(ZMQ.Context context, String endpoint) {
    return attacker(context, endpoint, 0);
  }

  /** A raw DEALER that has said HELLO; {@code rcvHwm} 1 makes it read (almost) nothing. */
  private static ZMQ.Socket attacker(ZMQ.Context context, String endpoint, int rcvHwm) {
    ZMQ.Socket s = Sockets.newSocket(context, SocketType.DEALER);
    s.setLinger(0);
    s.setSndHWM(0);
    s.setRcvHWM(rcvHwm);
    s.connect(endpoint);
    s.send(Wire.encode(Envelope.newBuilder().setCommand(Command.HELLO)
        .setHello(Hello.newBuilder().setClientName("attacker").setProtocol(Wire.PROTOCOL))
        .build()), 0);
    return s;
  }

  private static byte[] request(long id, String name, int size, boolean wait) {
    return Wire.encode(Envelope.newBuilder().setCommand(Command.REQUEST).setId(id)
        .setService(name).setTimeoutMs(600_000).setWaitForWorker(wait)
        .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(new byte[size])))).build());
  }

  /** Counts the attacker's answers by command and code for up to {@code ms}. */
  private static String answers(ZMQ.Socket s, long ms) {
    Map<String, Integer> seen = new TreeMap<>();
    long end = System.nanoTime() + ms * 1_000_000L;
    s.setReceiveTimeOut(100);
    byte[] beat = Wire.encode(Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
    while (System.nanoTime() < end) {
      s.send(beat, ZMQ.DONTWAIT);
      byte[] b = s.recv(0);
      if (b == null) {
        continue;
      }
      try {
        Envelope e = Wire.decode(b);
        String k = e.getCommand() == Command.ERROR ? e.getStatus().getCode().name()
            : e.getCommand().name();
        seen.merge(k, 1, Integer::sum);
      } catch (Exception e) {
        seen.merge("undecodable", 1, Integer::sum);
      }
    }
    return seen.toString();
  }

  /** Sends heartbeats for {@code ms}, so the broker does not forget the attacker. */
  private static void keepAlive(ZMQ.Socket s, long ms) {
    byte[] beat = Wire.encode(Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
    long end = System.nanoTime() + ms * 1_000_000L;
    while (System.nanoTime() < end) {
      s.send(beat, ZMQ.DONTWAIT);
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static String waiting(ZMQ.Context context, String endpoint, int n) {
    ZMQ.Socket s = attacker(context, endpoint);
    lastHeld.add(s::close);
    for (int i = 1; i <= n; i++) {
      // As large as the broker takes: 1 MiB with the envelope.
      s.send(request(i, "nobody", (1 << 20) - 256, true), 0);
    }
    String got = answers(s, 3_000);
    keepAlive(s, 1_000);
    return n + " requests of 1 MiB waiting for 'nobody'; the attacker (connected, sending"
        + " heartbeats) got " + got;
  }

  private static String unread(ZMQ.Context context, String endpoint, int n) throws IOException {
    Worker big = Worker.builder().name("big").options(MeshOptions.builder().broker(endpoint)
            .build()).closeOnShutdown(false)
        .handle(BytesValue.class,
            (v, ctx) -> BytesValue.of(ByteString.copyFrom(new byte[512 << 10])))
        .build().start();
    lastHeld.add(big::close);
    // Never read: a receive queue of one packet, so the replies stay in the broker.
    ZMQ.Socket s = attacker(context, endpoint, 1);
    lastHeld.add(s::close);
    for (int i = 1; i <= n; i++) {
      s.send(request(i, "big", 16, false), 0);
    }
    keepAlive(s, 5_000);
    return n + " requests for 512 KiB replies, never read (the attacker reads nothing and"
        + " sends heartbeats, so it stays connected)";
  }

  private static String declared(String endpoint, int n) throws IOException {
    List<RawZmtp> huge = new ArrayList<>();
    int closed = 0;
    for (int i = 0; i < n; i++) {
      RawZmtp r = new RawZmtp(endpoint);
      r.declare(4L << 20, 1);
      huge.add(r);
    }
    for (RawZmtp r : huge) {
      if (r.closedWithin(50)) {
        closed++;
      }
      r.close();
    }
    // Within the limit: allocated, then closed once a liveness window passes without a frame.
    List<RawZmtp> big = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RawZmtp r = new RawZmtp(endpoint);
      r.declare(1L << 20, 1);
      big.add(r);
      lastHeld.add(r::close);
    }
    int dropped = 0;
    long end = System.nanoTime() + 10_000_000_000L;
    for (RawZmtp r : big) {
      if (r.closedWithin(Math.max(1, (end - System.nanoTime()) / 1_000_000L))) {
        dropped++;
      }
    }
    return n + " connections declaring a 4 MiB frame and sending 1 byte: " + closed
        + " closed by the broker at once; " + n + " declaring 1 MiB (within the limit): "
        + dropped + " closed within 10 s by the ZMTP heartbeat";
  }

  private static String names(ZMQ.Context context, String endpoint, int n) {
    ZMQ.Socket s = attacker(context, endpoint);
    lastHeld.add(s::close);
    for (int i = 1; i <= n; i++) {
      s.send(request(i, "name-" + i, 16, true), 0);
    }
    String got = answers(s, 3_000);
    keepAlive(s, 1_000);
    return n + " requests waiting for as many names; the attacker got " + got;
  }

  private static String newClient(String endpoint) {
    long start = System.nanoTime();
    try (MeshClient c = MeshClient.connect(MeshOptions.builder().broker(endpoint).build())) {
      BrokerStats stats = c.call(Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
          BrokerStats.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10)));
      return "answered in " + (System.nanoTime() - start) / 1_000_000L + " ms (memory budget "
          + FuzzBench.mib(stats.getCountersOrDefault("memory_budget_bytes", 0)) + ", used "
          + FuzzBench.mib(stats.getCountersOrDefault("memory_used_bytes", 0)) + ", pending "
          + stats.getCountersOrDefault("requests_pending", 0) + ", unread-budget holds "
          + stats.getCountersOrDefault("sends_held_unread_budget", 0) + ")";
    } catch (RuntimeException e) {
      return "NOT answered: " + e;
    }
  }
}
