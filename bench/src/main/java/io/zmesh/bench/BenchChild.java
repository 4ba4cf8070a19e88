package io.zmesh.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.MessageLite;
import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.core.transport.Sockets;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Worker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * The main of one process of a {@code --procs} bench ({@link ChildProcess} starts it): {@code
 * ROLE ARGS...}. It sets its role up, prints {@code ready [what the parent needs]}, then obeys
 * lines on its standard input: {@code start} (count from now; answered {@code started}), {@code
 * end} (stop counting; answered {@code allocated BYTES} and {@code result BASE64}, a serialized
 * result), {@code stop} or end of input (close and exit).
 */
public final class BenchChild {
  /** One role: counts between start and end. */
  private interface Role {
    void start();

    /** Stops counting and returns the result, serialized. */
    MessageLite end() throws Exception;

    void close() throws Exception;
  }

  private BenchChild() {}

  public static void main(String[] args) throws Exception {
    Role role = role(args[0], args);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long allocatedAtStart = 0;
    try {
      String line;
      while ((line = in.readLine()) != null && !line.equals("stop")) {
        if (line.equals("start")) {
          allocatedAtStart = allocated(threads);
          role.start();
          say("started");
        } else if (line.equals("end")) {
          MessageLite result = role.end();
          say("allocated " + (allocated(threads) - allocatedAtStart));
          say("result " + Base64.getEncoder().encodeToString(result.toByteArray()));
        }
      }
    } finally {
      role.close();
    }
    System.exit(0);
  }

  /** Bytes allocated so far by the threads alive now. */
  private static long allocated(com.sun.management.ThreadMXBean threads) {
    long sum = 0;
    for (long n : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      sum += Math.max(0, n);
    }
    return sum;
  }

  static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }

  private static Role role(String name, String[] a) throws Exception {
    switch (name) {
      case "broker":
        return broker();
      case "proxy":
      case "forwarder":
        return rawHub(name, a.length > 1 ? Integer.parseInt(a[1]) : 0);
      case "zsubs":
        return zmeshSubscribers(a[1], Integer.parseInt(a[2]), Integer.parseInt(a[3]),
            Boolean.parseBoolean(a[4]), Integer.parseInt(a[5]));
      case "rsubs":
        return rawSubscribers(a[1], Integer.parseInt(a[2]));
      case "zpub":
        return zmeshPublisher(a[1], Integer.parseInt(a[2]));
      case "rpub":
        return rawPublisher(a[1], Integer.parseInt(a[2]), Integer.parseInt(a[3]));
      case "zworkers":
        return zmeshWorkers(a[1], a[2], Integer.parseInt(a[3]), Boolean.parseBoolean(a[4]),
            Integer.parseInt(a[5]));
      case "recho":
        return rawEchoes(a[1], Integer.parseInt(a[2]));
      case "zclients":
      case "rclients":
        return clients(name.equals("rclients"), a);
      default:
        throw new IllegalArgumentException("unknown role " + name);
    }
  }

  // ------------------------------------------------------------------ broker and raw hubs

  private static Role broker() {
    Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
    say("ready " + broker.endpoint());
    return new Role() {
      @Override
      public void start() {}

      @Override
      public MessageLite end() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return PubSubRun.newBuilder().setBrokerHeapBytes(r.totalMemory() - r.freeMemory()).build();
      }

      @Override
      public void close() {
        broker.close();
      }
    };
  }

  /** The raw pub/sub proxy, or with {@code workers} the raw request/reply forwarder. */
  private static Role rawHub(String name, int workers) throws Exception {
    ZMQ.Context context = Sockets.newContext(0);
    Measurement m = new Measurement(0);
    CompletableFuture<String[]> endpoints = new CompletableFuture<>();
    Thread t = RawBaseline.start("baseline-" + name, name.equals("proxy")
        ? () -> RawPubSub.proxy(m::running, context, endpoints)
        : () -> RawBaseline.forward(m, context, workers, endpoints));
    String[] ep = endpoints.get(10, TimeUnit.SECONDS);
    say("ready " + ep[0] + " " + ep[1]);
    return idle(() -> {
      m.stop();
      stopQuietly(List.of(t), context);
    });
  }

  // ------------------------------------------------------------------ pub/sub

  private static Role counting(PubSubCount count, String label, Runnable close) {
    return new Role() {
      @Override
      public void start() {
        count.startMeasuring();
      }

      @Override
      public MessageLite end() {
        count.stopMeasuring();
        return count.result(label).build();
      }

      @Override
      public void close() {
        count.stop();
        close.run();
      }
    };
  }

  /** Prints {@code flowing} once every subscriber of {@code count} has had a message. */
  private static void announceFlowing(PubSubCount count) {
    Thread t = new Thread(() -> {
      try {
        count.awaitFlowing();
        say("flowing");
      } catch (InterruptedException | IllegalStateException e) {
        say("not flowing: " + e.getMessage());
      }
    }, "bench-flowing");
    t.setDaemon(true);
    t.start();
  }

  private static Role zmeshSubscribers(String endpoint, int healthy, int stalled,
      boolean inline, int size) throws Exception {
    PubSubCount count = new PubSubCount(healthy);
    List<MeshClient> clients = new ArrayList<>();
    CountDownLatch release = new CountDownLatch(1);
    ZmeshPubSub.subscribe(endpoint,
        new PubSubBench.Config(healthy, size, 0, 1, 0, inline, stalled), count, clients, release);
    say("ready");
    announceFlowing(count);
    return counting(count, "zmesh", () -> {
      release.countDown();
      clients.forEach(MeshClient::close);
    });
  }

  private static Role rawSubscribers(String endpoint, int n) {
    ZMQ.Context context = Sockets.newContext(0);
    PubSubCount count = new PubSubCount(n);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      threads.add(RawBaseline.start("baseline-sub-" + i,
          () -> RawPubSub.subscriber(count, context, endpoint, index)));
    }
    say("ready");
    announceFlowing(count);
    return counting(count, RawPubSub.LABEL, () -> stopQuietly(threads, context));
  }

  private static Role zmeshPublisher(String endpoint, int size) throws Exception {
    PubSubCount count = new PubSubCount(1);
    MeshClient pub = ZmeshPubSub.connect(endpoint, "bench-pub", false);
    Thread t = RawBaseline.start("bench-publisher", () -> ZmeshPubSub.publish(pub, size, count));
    say("ready");
    return counting(count, "zmesh", () -> {
      try {
        t.join(15_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      pub.close();
    });
  }

  private static Role rawPublisher(String endpoint, int size, int subscribers) {
    ZMQ.Context context = Sockets.newContext(0);
    PubSubCount count = new PubSubCount(1);
    Thread t = RawBaseline.start("baseline-pub", () -> RawPubSub.publisher(count, context,
        endpoint, size, subscribers, () -> say("flowing")));
    say("ready");
    return counting(count, RawPubSub.LABEL, () -> stopQuietly(List.of(t), context));
  }

  private static void stopQuietly(List<Thread> threads, ZMQ.Context context) {
    try {
      RawBaseline.stop(threads, context);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ request/reply

  private static Role zmeshWorkers(String endpoint, String service, int n, boolean inline,
      int concurrency) {
    List<Worker> workers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Worker.Builder b = Worker.builder()
          .name(service)
          .broker(endpoint)
          .instanceId(service + "-" + i)
          .concurrency(concurrency)
          .closeOnShutdown(false)
          .drainTimeout(Duration.ofSeconds(5))
          .handle(BytesValue.class, (req, ctx) -> req);
      if (inline) {
        b.executor(Runnable::run);
      }
      workers.add(b.build().start());
    }
    say("ready");
    return idle(() -> workers.forEach(Worker::close));
  }

  private static Role rawEchoes(String endpoint, int n) {
    ZMQ.Context context = Sockets.newContext(0);
    Measurement m = new Measurement(0);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      threads.add(RawBaseline.start("baseline-echo-" + i, () -> RawBaseline.echo(m, context,
          endpoint)));
    }
    say("ready");
    return idle(() -> {
      m.stop();
      stopQuietly(threads, context);
    });
  }

  /** A role that counts nothing of its own: the kernel's counts are all it reports. */
  private static Role idle(Runnable close) {
    return new Role() {
      @Override
      public void start() {}

      @Override
      public MessageLite end() {
        return PubSubRun.getDefaultInstance();
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }

  /**
   * {@code [zr]clients ENDPOINT SERVICE N WINDOW INLINE SIZE SYNC WARMUP_REQUESTS REQUESTS}:
   * throughput (N clients keeping WINDOW requests out, from launch) or, with SYNC, one thread's
   * sequential calls: WARMUP_REQUESTS before {@code ready}, REQUESTS after {@code start}, then
   * {@code measured}.
   */
  private static Role clients(boolean raw, String[] a) throws Exception {
    String endpoint = a[1];
    String service = a[2];
    int n = Integer.parseInt(a[3]);
    int window = Integer.parseInt(a[4]);
    boolean inline = Boolean.parseBoolean(a[5]);
    int size = Integer.parseInt(a[6]);
    boolean sync = Boolean.parseBoolean(a[7]);
    long warmup = Long.parseLong(a[8]);
    long requests = Long.parseLong(a[9]);
    String label = raw ? RawBaseline.LABEL : "zmesh " + (inline ? "inline" : "default executor");
    Measurement m = new Measurement(0);
    List<Runnable> closers = new ArrayList<>();
    Runnable measured;
    if (raw) {
      ZMQ.Context context = Sockets.newContext(0);
      List<Thread> threads = new ArrayList<>();
      if (sync) {
        ZMQ.Socket s = RawBaseline.socket(context, SocketType.DEALER);
        s.connect(endpoint);
        rawCalls(s, size, warmup, null);
        measured = () -> {
          rawCalls(s, size, requests, m);
          s.close();
        };
      } else {
        for (int i = 0; i < n; i++) {
          threads.add(RawBaseline.start("baseline-client-" + i,
              () -> RawBaseline.client(m, context, endpoint, size, window)));
        }
        measured = null;
      }
      closers.add(() -> {
        m.stop();
        stopQuietly(threads, context);
      });
    } else {
      BytesValue payload = BytesValue.of(ByteString.copyFrom(new byte[size]));
      CallOptions options = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));
      List<MeshClient> clients = new ArrayList<>();
      for (int i = 0; i < (sync ? 1 : n); i++) {
        MeshOptions.Builder o = MeshOptions.builder().broker(endpoint).clientName("bench");
        if (inline) {
          o.callbackExecutor(Runnable::run);
        }
        MeshClient client = MeshClient.connect(o.build());
        client.awaitConnected(Duration.ofSeconds(10));
        clients.add(client);
      }
      if (sync) {
        MeshClient client = clients.get(0);
        Supplier<Object> call = () -> client.call(service, payload, BytesValue.class, options);
        calls(call, warmup, null);
        measured = () -> calls(call, requests, m);
      } else {
        for (MeshClient client : clients) {
          for (int w = 0; w < window; w++) {
            ReqRepBench.fire(client, service, payload, options, m);
          }
        }
        measured = null;
      }
      closers.add(() -> {
        m.stop();
        clients.forEach(MeshClient::close);
      });
    }
    say("ready");
    return new Role() {
      @Override
      public void start() {
        m.startMeasuring();
        if (measured != null) {
          Thread t = new Thread(() -> {
            measured.run();
            m.stopMeasuring();
            say("measured");
          }, "bench-sync");
          t.setDaemon(true);
          t.start();
        }
      }

      @Override
      public MessageLite end() {
        m.stopMeasuring();
        return m.result(label).build();
      }

      @Override
      public void close() {
        closers.forEach(Runnable::run);
      }
    };
  }

  /** {@code count} sequential calls, each recorded in {@code m} if not null. */
  private static void calls(Supplier<Object> call, long count, Measurement m) {
    for (long i = 0; i < count; i++) {
      long start = System.nanoTime();
      call.get();
      if (m != null) {
        m.reply(System.nanoTime() - start);
      }
    }
  }

  /** {@link #calls} through a raw DEALER to the forwarder. */
  private static void rawCalls(ZMQ.Socket s, int size, long count, Measurement m) {
    int length = Math.max(Long.BYTES, size);
    for (long i = 0; i < count; i++) {
      long start = System.nanoTime();
      RawBaseline.send(s, length);
      byte[] reply = s.recv(0);
      if (m != null && reply != null) {
        m.reply(System.nanoTime() - start);
      }
    }
  }
}
