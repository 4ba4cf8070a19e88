package io.zmesh.bench;

import com.google.protobuf.StringValue;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Subscription;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The broker, in a process of its own, is killed with SIGKILL under load and started again on
 * the same port after an outage. Measured: how long until every worker instance is registered
 * again and the subscriber receives again, and how the requests issued before, during and after
 * the outage ended (those issued during it must all succeed, as must idempotent ones).
 */
public final class RestartBench {
  private RestartBench() {}

  /**
   * @param rate requests a second, issued whatever the answers (so requests are made during
   *     the outage too), at most {@code inFlight} unanswered at once
   */
  public static String run(int instances, Duration outage, Duration after, int inFlight,
      int rate, Duration timeout, PrintWriter progress) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String endpoint = "tcp://127.0.0.1:" + port;
    Child broker = startBroker(endpoint);
    List<Child> workers = new ArrayList<>();
    Outcomes before = new Outcomes();
    Outcomes during = new Outcomes();
    Outcomes afterwards = new Outcomes();
    AtomicLong phase = new AtomicLong();
    StringBuilder out = new StringBuilder();
    MeshOptions options = MeshOptions.builder().broker(endpoint)
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
        .handshakeTimeout(Duration.ofSeconds(1)).build();
    try {
      for (int i = 0; i < instances; i++) {
        workers.add(ChaosBench.startWorker(endpoint, "restart-" + i));
      }
      for (Child w : workers) {
        w.expect("registered");
      }
      try (MeshClient client = MeshClient.connect(options.toBuilder()
              .callbackExecutor(Runnable::run).build());
          MeshClient admin = MeshClient.connect(options);
          MeshClient subscriber = MeshClient.connect(options);
          MeshClient publisher = MeshClient.connect(options)) {
        AtomicLong lastMessage = new AtomicLong();
        Subscription sub = subscriber.subscribe("restart.tick", StringValue.class,
            (m, ctx) -> lastMessage.set(System.nanoTime()));
        sub.ready().get(10, TimeUnit.SECONDS);
        AtomicBoolean stop = new AtomicBoolean();
        Thread ticks = new Thread(() -> {
          while (!stop.get()) {
            try {
              publisher.publish("restart.tick", StringValue.of("tick"));
              Thread.sleep(20);
            } catch (RuntimeException | InterruptedException e) {
              return;
            }
          }
        }, "restart-publisher");
        ticks.start();
        Semaphore permits = new Semaphore(inFlight);
        Thread load = new Thread(() -> {
          Outcomes[] byPhase = {before, during, afterwards};
          CallOptions plain = CallOptions.DEFAULT.withTimeout(timeout);
          long n = 0;
          long interval = 1_000_000_000L / Math.max(1, rate);
          long next = System.nanoTime();
          while (!stop.get()) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
              java.util.concurrent.locks.LockSupport.parkNanos(wait);
              continue;
            }
            next += interval;
            if (!permits.tryAcquire()) {
              continue; // at the bound: this one is skipped, counted below
            }
            Outcomes o = byPhase[(int) phase.get()];
            boolean idem = (n++ & 1) == 0;
            String kind = idem ? "idempotent" : "plain";
            long issuedAt = System.nanoTime();
            o.issued.incrementAndGet();
            CompletableFuture<StringValue> f = client.request("chaos", StringValue.of("r"),
                StringValue.class, plain.withIdempotent(idem));
            f.whenComplete((r, e) -> {
              long overMs = (System.nanoTime() - issuedAt - timeout.toNanos()) / 1_000_000L - 100;
              o.record(kind, e, Math.max(0, overMs));
              permits.release();
            });
          }
        }, "restart-load");
        load.start();
        Thread.sleep(2_000);

        broker.kill();
        long killedAt = System.nanoTime();
        phase.set(1);
        progress.println("  broker killed; restarting it in " + outage.toMillis() + " ms");
        progress.flush();
        Thread.sleep(outage.toMillis());
        broker = startBroker(endpoint);
        long restartedAt = System.nanoTime();
        phase.set(2);
        long registeredAt = -1;
        long receivingAt = -1;
        long giveUp = restartedAt + TimeUnit.SECONDS.toNanos(30);
        while ((registeredAt < 0 || receivingAt < 0) && System.nanoTime() < giveUp) {
          if (registeredAt < 0 && registered(admin) >= instances) {
            registeredAt = System.nanoTime();
          }
          if (receivingAt < 0 && lastMessage.get() > restartedAt) {
            receivingAt = lastMessage.get();
          }
          Thread.sleep(20);
        }
        Thread.sleep(after.toMillis());
        stop.set(true);
        load.join();
        ticks.join();
        permits.tryAcquire(inFlight, timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        out.append("restart: ").append(instances).append(" worker instances, outage ")
            .append(outage.toMillis()).append(" ms (kill to new start ")
            .append((restartedAt - killedAt) / 1_000_000L).append(" ms), ").append(rate)
            .append(" requests/s, at most ").append(inFlight).append(" in flight, timeout ")
            .append(timeout.toMillis()).append(" ms\n");
        out.append("  all ").append(instances).append(" instances registered again ")
            .append(ms(registeredAt, restartedAt)).append(" ms after the broker started (")
            .append(ms(registeredAt, killedAt)).append(" ms after the kill)\n");
        out.append("  subscriber received again ").append(ms(receivingAt, restartedAt))
            .append(" ms after the broker started\n");
        out.append("before the kill: ").append(before.describe());
        out.append("during the outage: ").append(during.describe());
        out.append("after the restart: ").append(afterwards.describe());
      }
    } finally {
      for (Child w : workers) {
        w.close();
      }
      broker.close();
    }
    return out.toString();
  }

  private static long ms(long at, long from) {
    return at < 0 ? -1 : (at - from) / 1_000_000L;
  }

  private static Child startBroker(String endpoint) throws IOException {
    Child b = Child.start(BrokerMain.class, BrokerMain.JVM, endpoint);
    b.expect("listening");
    return b;
  }

  private static int registered(MeshClient admin) {
    try {
      return admin.call(Names.SERVICE_WORKERS, ListWorkersRequest.newBuilder().setName("chaos")
          .build(), ListWorkersReply.class, CallOptions.DEFAULT.withTimeout(
              Duration.ofMillis(300))).getWorkersCount();
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
