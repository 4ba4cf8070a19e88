package io.zmesh.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.zmesh.MeshException;
import io.zmesh.bench.proto.InstanceShare;
import io.zmesh.bench.proto.Run;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.broker.Policy;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Asynchronous request/reply through a broker: {@code clients} clients each keep {@code window}
 * requests outstanding to a worker name served by {@code workers} instances that echo the
 * payload, optionally after a service time (some instances {@code slowFactor} times slower).
 */
public final class ReqRepBench {
  private static final AtomicInteger RUNS = new AtomicInteger();

  /** What to run. {@code broker} null starts one in this process. */
  public record Config(
      String broker,
      int clients,
      int workers,
      int size,
      int window,
      double warmupSeconds,
      double seconds,
      long requests,
      int concurrency,
      Duration serviceTime,
      int slow,
      int slowFactor,
      boolean inline,
      Policy policy,
      int idleInstances,
      Duration heartbeat) {

    public Config {
      if (clients < 1 || workers < 1 || window < 1 || concurrency < 1 || size < 0) {
        throw new IllegalArgumentException(
            "clients, workers, window and concurrency must be at least 1; size at least 0");
      }
      if (slow > workers) {
        throw new IllegalArgumentException("--slow " + slow + " is more than --workers " + workers);
      }
      if (inline && !serviceTime.isZero()) {
        throw new IllegalArgumentException(
            "inline handlers run on the I/O thread and cannot wait out a service time; use"
                + " --executor pool with --service-time");
      }
    }

    public Config withPolicy(Policy p) {
      return new Config(broker, clients, workers, size, window, warmupSeconds, seconds, requests,
          concurrency, serviceTime, slow, slowFactor, inline, p, idleInstances, heartbeat);
    }

    public Config withRequests(long n) {
      return new Config(broker, clients, workers, size, window, warmupSeconds, seconds, n,
          concurrency, serviceTime, slow, slowFactor, inline, policy, idleInstances, heartbeat);
    }

    public Config withIdleInstances(int n) {
      return new Config(broker, clients, workers, size, window, warmupSeconds, seconds, requests,
          concurrency, serviceTime, slow, slowFactor, inline, policy, n, heartbeat);
    }
  }

  private ReqRepBench() {}

  public static Run.Builder run(Config c) throws Exception {
    Broker broker = c.broker() == null
        ? Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").policy(c.policy())
            .heartbeatInterval(c.heartbeat()).build())
        : null;
    String endpoint = broker != null ? broker.endpoint() : c.broker();
    String service = "bench-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
    List<Worker> workers = new ArrayList<>();
    List<MeshClient> clients = new ArrayList<>();
    LongAdder[] handled = new LongAdder[c.workers()];
    Measurement m = new Measurement(c.requests());
    try (IdleFleet fleet = IdleFleet.start(endpoint, c.idleInstances(), c.heartbeat())) {
      for (int i = 0; i < c.workers(); i++) {
        handled[i] = new LongAdder();
        workers.add(worker(c, endpoint, service, i, handled[i], m).start());
      }
      BytesValue payload = BytesValue.of(ByteString.copyFrom(new byte[c.size()]));
      CallOptions options = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));
      for (int i = 0; i < c.clients(); i++) {
        MeshOptions.Builder o = MeshOptions.builder().broker(endpoint).clientName("bench");
        if (c.inline()) {
          o.callbackExecutor(Runnable::run);
        }
        MeshClient client = MeshClient.connect(o.build());
        clients.add(client);
        client.awaitConnected(Duration.ofSeconds(10));
        for (int w = 0; w < c.window(); w++) {
          fire(client, service, payload, options, m);
        }
      }
      TimeUnit.MILLISECONDS.sleep((long) (c.warmupSeconds() * 1000));
      for (LongAdder h : handled) {
        h.reset();
      }
      m.startMeasuring();
      m.measureFor(c.seconds());
      long[] counts = new long[c.workers()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = handled[i].sum();
      }
      Run.Builder run = m.result("zmesh " + c.policy().label())
          .setPolicy(c.policy().label())
          .setIdleInstances(c.idleInstances());
      shares(c, counts, run);
      return run;
    } finally {
      m.stop();
      for (MeshClient client : clients) {
        client.close();
      }
      for (Worker w : workers) {
        w.close();
      }
      if (broker != null) {
        broker.close();
      }
    }
  }

  private static Worker worker(Config c, String endpoint, String service, int index,
      LongAdder handled, Measurement m) {
    int slowness = index < c.slow() ? c.slowFactor() : 1;
    long serviceNanos = c.serviceTime().toNanos() * slowness;
    Worker.Builder b = Worker.builder()
        .name(service)
        .broker(endpoint)
        .instanceId(service + "-" + index)
        .concurrency(c.concurrency())
        .closeOnShutdown(false)
        .drainTimeout(Duration.ofSeconds(5))
        .handle(BytesValue.class, (req, ctx) -> {
          if (serviceNanos > 0) {
            LockSupport.parkNanos(serviceNanos);
          }
          if (m.measuring()) {
            handled.increment();
          }
          return req;
        });
    if (c.inline()) {
      Executor direct = Runnable::run;
      b.executor(direct);
    }
    return b.build();
  }

  /** Sends one request and, when it ends, the next: a window slot that refills itself. */
  static void fire(MeshClient client, String service, BytesValue payload,
      CallOptions options, Measurement m) {
    if (!m.running()) {
      return;
    }
    long start = System.nanoTime();
    client.request(service, payload, BytesValue.class, options).whenComplete((reply, failure) -> {
      if (failure == null) {
        m.reply(System.nanoTime() - start);
      } else {
        m.error(MeshException.statusOf(failure).code());
      }
      fire(client, service, payload, options, m);
    });
  }

  private static void shares(Config c, long[] counts, Run.Builder run) {
    long total = 0;
    for (long n : counts) {
      total += n;
    }
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < counts.length; i++) {
      int slowness = i < c.slow() ? c.slowFactor() : 1;
      run.addInstances(InstanceShare.newBuilder()
          .setInstanceId("instance-" + i)
          .setSlowness(slowness)
          .setHandled(counts[i])
          .setShare(total == 0 ? 0 : (double) counts[i] / total));
      if (slowness == 1) {
        min = Math.min(min, counts[i]);
        max = Math.max(max, counts[i]);
      }
    }
    run.setSpread(max == 0 ? 0 : (double) (max - min) / max);
  }
}
