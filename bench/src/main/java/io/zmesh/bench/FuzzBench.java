package io.zmesh.bench;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Names;
import io.zmesh.proto.Ready;
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
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Random and mutated frames against a broker in a process of its own, while normal traffic
 * runs: corrupted fields, wrong frame counts, frames declared huge, unknown commands, replies to
 * unknown ids, HELLO and READY floods from many identities. Afterwards: the broker is up,
 * normal traffic saw no error, its heap after a collection and its RSS, and what is left in
 * its tables once the fuzzing connections are gone.
 */
public final class FuzzBench {
  private static final int SOCKETS = 64;

  private FuzzBench() {}

  public static String run(long frames, long seed, PrintWriter progress)
      throws IOException, InterruptedException {
    Random random = new Random(seed);
    Child broker = Child.start(BrokerMain.class, BrokerMain.JVM, "tcp://127.0.0.1:*", "500",
        "4");
    String endpoint = broker.expect("listening").substring("listening ".length());
    StringBuilder out = new StringBuilder();
    Outcomes normal = new Outcomes();
    long sent = 0;
    long declared = 0;
    MeshOptions options = MeshOptions.builder().broker(endpoint).build();
    ZMQ.Context context = Sockets.newContext(0);
    String memoryBefore = memory(broker);
    try (Worker echo = Worker.builder().name("echo").options(options).closeOnShutdown(false)
            .handle(StringValue.class, (s, ctx) -> s).build().start();
        MeshClient client = MeshClient.connect(options.toBuilder()
            .callbackExecutor(Runnable::run).build());
        MeshClient admin = MeshClient.connect(options)) {
      client.awaitConnected(Duration.ofSeconds(10));
      Semaphore permits = new Semaphore(16);
      AtomicBoolean stop = new AtomicBoolean();
      Thread load = new Thread(() -> {
        CallOptions call = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));
        while (!stop.get()) {
          try {
            if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
              continue;
            }
          } catch (InterruptedException e) {
            return;
          }
          normal.issued.incrementAndGet();
          long at = System.nanoTime();
          client.request("echo", StringValue.of("normal"), StringValue.class, call)
              .whenComplete((r, e) -> {
                normal.record("normal", e,
                    Math.max(0, (System.nanoTime() - at) / 1_000_000L - 10_100));
                permits.release();
              });
        }
      }, "fuzz-normal-traffic");
      load.start();

      List<ZMQ.Socket> sockets = new ArrayList<>();
      for (int i = 0; i < SOCKETS; i++) {
        sockets.add(fuzzSocket(context, endpoint));
      }
      long reportEvery = Math.max(1, frames / 10);
      while (sent < frames) {
        int which = random.nextInt(SOCKETS);
        ZMQ.Socket s = sockets.get(which);
        int kind = random.nextInt(100);
        if (kind == 0 && random.nextInt(100) == 0) {
          // A frame declared huge, over a connection of its own: closed before any allocation.
          try (RawZmtp raw = new RawZmtp(endpoint)) {
            raw.declare(1L << (30 + random.nextInt(10)), 1);
            declared++;
          }
        } else if (kind < 3) {
          // A new identity: this socket's connection is replaced (HELLO and READY floods).
          s.close();
          s = fuzzSocket(context, endpoint);
          sockets.set(which, s);
        }
        byte[][] packet = packet(random);
        boolean ok = true;
        for (int f = 0; f < packet.length && ok; f++) {
          ok = s.send(packet[f], (f < packet.length - 1 ? ZMQ.SNDMORE : 0) | ZMQ.DONTWAIT);
        }
        sent++;
        while (s.recv(ZMQ.DONTWAIT) != null) {
          // drop whatever the broker answers
        }
        if (sent % reportEvery == 0) {
          progress.printf("  %d frames sent, normal traffic: %d resolved, %d failed%n", sent,
              normal.resolved.get(), normal.failures("normal"));
          progress.flush();
        }
      }
      for (ZMQ.Socket s : sockets) {
        s.close();
      }
      stop.set(true);
      load.join();
      permits.tryAcquire(16, 15, TimeUnit.SECONDS);
      String memoryAfter = memory(broker);
      // The fuzzing connections are gone: after a liveness window nothing of theirs is left.
      Thread.sleep(3_000);
      BrokerStats stats = admin.call(Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
          BrokerStats.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10)));
      String memoryLater = memory(broker);
      out.append("fuzz: ").append(sent).append(" frames from ").append(SOCKETS)
          .append("+ connections (").append(declared).append(" declared 1 GiB or more), seed ")
          .append(seed).append('\n');
      out.append("  broker up: ").append(broker.process.isAlive()).append('\n');
      out.append("  normal traffic: ").append(normal.describe());
      out.append("  broker memory before: ").append(memoryBefore).append('\n');
      out.append("  broker memory right after: ").append(memoryAfter).append('\n');
      out.append("  broker memory once the fuzzers were forgotten: ").append(memoryLater)
          .append('\n');
      out.append("  left over: peers ").append(stats.getPeers()).append(" (worker, client,")
          .append(" admin), workers ").append(stats.getWorkers())
          .append(", worker names ").append(stats.getCountersOrDefault("worker_names", -1))
          .append(", requests pending ").append(stats.getCountersOrDefault("requests_pending", -1))
          .append(", type files ").append(stats.getCountersOrDefault("known_type_files", -1))
          .append(", subscriptions ").append(stats.getCountersOrDefault("subscriptions", -1))
          .append('\n');
      out.append("  counted: malformed ").append(stats.getCountersOrDefault("malformed_packets", 0))
          .append(", unknown-peer ").append(stats.getCountersOrDefault("unknown_peer_packets", 0))
          .append(", late replies ").append(stats.getCountersOrDefault("late_replies_dropped", 0))
          .append(", internal errors ").append(stats.getCountersOrDefault("internal_errors", 0))
          .append('\n');
    } finally {
      context.term();
      broker.close();
    }
    return out.toString();
  }

  static String memory(Child broker) throws IOException {
    broker.send("gc");
    String[] f = broker.expect("heap ").split(" ");
    return "heap after GC " + mib(Long.parseLong(f[1])) + ", RSS " + mib(Long.parseLong(f[3]))
        + " (max heap " + mib(Long.parseLong(f[5])) + ")";
  }

  static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }

  private static ZMQ.Socket fuzzSocket(ZMQ.Context context, String endpoint) {
    ZMQ.Socket s = Sockets.newSocket(context, SocketType.DEALER);
    s.setLinger(0);
    s.setSndHWM(1_000);
    s.setHandshakeIvl(1_000);
    s.connect(endpoint);
    return s;
  }

  /** One packet: valid, mutated, random, or of the wrong frame count. */
  private static byte[][] packet(Random r) {
    int kind = r.nextInt(10);
    Envelope.Builder e = Envelope.newBuilder().setId(r.nextInt(1 << 20));
    switch (kind) {
      case 0:
        e.setCommand(Command.HELLO).setHello(Hello.newBuilder().setClientName("fuzz")
            .setProtocol(r.nextBoolean() ? Wire.PROTOCOL : "zmesh/" + r.nextInt(9)));
        break;
      case 1:
        e.setCommand(Command.READY).setReady(Ready.newBuilder().setName("fuzz-" + r.nextInt(50_000))
            .setConcurrency(r.nextInt(3)).setInstanceId("i" + r.nextInt()));
        break;
      case 2:
        e.setCommand(r.nextBoolean() ? Command.REPLY : Command.ERROR);
        break;
      case 3:
        e.setCommandValue(16 + r.nextInt(1000));
        break;
      case 4:
        e.setCommand(Command.REQUEST).setService(r.nextBoolean() ? "echo" : "nobody-" + r.nextInt(100))
            .setTimeoutMs(r.nextInt(2_000)).setWaitForWorker(r.nextBoolean())
            .setPayload(Any.pack(StringValue.of("fuzz")));
        break;
      case 5:
        e.setCommand(Command.PUBLISH).setService("fuzz." + r.nextInt(100))
            .setPayload(Any.pack(StringValue.of("fuzz")));
        break;
      case 6:
        e.setCommand(Command.SUBSCRIBE).setSubscribe(io.zmesh.proto.Subscribe.newBuilder()
            .setPattern(r.nextBoolean() ? "fuzz.>" : "bad..pattern"));
        break;
      default:
        break;
    }
    byte[] body = Wire.encode(e.build());
    if (kind >= 7) {
      // Mutated: bytes flipped, cut short, or random altogether.
      if (kind == 9) {
        body = new byte[r.nextInt(300)];
        r.nextBytes(body);
      } else {
        for (int i = 0, n = 1 + r.nextInt(4); i < n && body.length > 0; i++) {
          body[r.nextInt(body.length)] = (byte) r.nextInt(256);
        }
        if (kind == 8 && body.length > 1) {
          body = java.util.Arrays.copyOf(body, r.nextInt(body.length));
        }
      }
    }
    if (r.nextInt(20) == 0) {
      return new byte[][] {body, body}; // the wrong number of frames
    }
    return new byte[][] {body};
  }
}
