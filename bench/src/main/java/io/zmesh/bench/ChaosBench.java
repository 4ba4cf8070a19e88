package io.zmesh.bench;

import com.google.protobuf.StringValue;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Chaos: steady load on a worker of several instances, each in a process of its own, while one
 * of them, at random, is killed with SIGKILL at every interval and a new one started in its
 * place (as a supervisor would). Every request must resolve exactly once, none after its
 * deadline, and idempotent ones must all succeed.
 */
public final class ChaosBench {
  private ChaosBench() {}

  /** What a run saw. */
  public record Report(int kills, Outcomes outcomes, String text) {
    /** Whether every property held. */
    public boolean passed() {
      return outcomes.issued.get() == outcomes.resolved.get() && outcomes.twice.get() == 0
          && outcomes.late.get() == 0 && outcomes.failures("idempotent") == 0;
    }
  }

  public static Report run(Duration duration, int instances, Duration killEvery, int inFlight,
      Duration timeout, long seed, PrintWriter progress) throws IOException, InterruptedException {
    Random random = new Random(seed);
    Outcomes outcomes = new Outcomes();
    int kills = 0;
    int skipped = 0;
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build())) {
      String endpoint = broker.endpoint();
      List<Child> workers = new ArrayList<>();
      List<AtomicBoolean> registered = new ArrayList<>();
      int started = 0;
      for (int i = 0; i < instances; i++) {
        workers.add(startWorker(endpoint, "chaos-" + started++));
        registered.add(watch(workers.get(i)));
      }
      for (AtomicBoolean r : registered) {
        while (!r.get()) {
          Thread.sleep(10);
        }
      }
      Semaphore permits = new Semaphore(inFlight);
      AtomicBoolean stop = new AtomicBoolean();
      try (MeshClient client = MeshClient.connect(MeshOptions.builder().broker(endpoint)
          .callbackExecutor(Runnable::run).build())) {
        client.awaitConnected(Duration.ofSeconds(10));
        Thread load = new Thread(() -> load(client, permits, stop, outcomes, timeout), "chaos-load");
        load.start();
        long end = System.nanoTime() + duration.toNanos();
        long nextKill = System.nanoTime() + killEvery.toNanos();
        while (System.nanoTime() < end) {
          long wait = Math.min(end, nextKill) - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          if (System.nanoTime() >= nextKill && System.nanoTime() < end) {
            // A random instance that is up: one still starting is not yet an instance.
            List<Integer> up = new ArrayList<>();
            for (int i = 0; i < workers.size(); i++) {
              if (registered.get(i).get()) {
                up.add(i);
              }
            }
            nextKill += killEvery.toNanos();
            if (up.isEmpty()) {
              skipped++;
              continue;
            }
            int victim = up.get(random.nextInt(up.size()));
            workers.get(victim).kill();
            kills++;
            workers.set(victim, startWorker(endpoint, "chaos-" + started++));
            registered.set(victim, watch(workers.get(victim)));
            progress.printf("  %d s: killed an instance, %d requests resolved%n",
                kills * killEvery.toSeconds(), outcomes.resolved.get());
            progress.flush();
          }
        }
        stop.set(true);
        load.join();
        // Every request in flight ends by its deadline.
        permits.tryAcquire(inFlight, timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } finally {
        for (Child w : workers) {
          w.close();
        }
      }
    }
    String text = "chaos: " + duration.toSeconds() + " s, " + instances + " instances, "
        + kills + " SIGKILLs (one every " + killEvery.toMillis() + " ms; " + skipped
        + " skipped with no instance up), " + inFlight
        + " requests in flight, timeout " + timeout.toMillis() + " ms\n" + outcomes.describe();
    return new Report(kills, outcomes, text);
  }

  static Child startWorker(String endpoint, String id) throws IOException {
    // Quick to start, as a restarted instance should be: C1 only, serial GC, a small heap.
    return Child.start(ChaosWorkerMain.class, List.of("-Xmx128m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1"), endpoint, "chaos", id, "1");
  }

  /** Becomes true once {@code worker} says it is registered. */
  private static AtomicBoolean watch(Child worker) {
    AtomicBoolean up = new AtomicBoolean();
    Thread t = new Thread(() -> {
      try {
        worker.expect("registered");
        up.set(true);
      } catch (IOException e) {
        // killed before it registered
      }
    }, "chaos-watch");
    t.setDaemon(true);
    t.start();
    return up;
  }

  /** Keeps {@code permits} requests in flight, half of them idempotent, until {@code stop}. */
  static void load(MeshClient client, Semaphore permits, AtomicBoolean stop, Outcomes outcomes,
      Duration timeout) {
    long n = 0;
    CallOptions plain = CallOptions.DEFAULT.withTimeout(timeout);
    CallOptions idempotent = plain.withIdempotent(true);
    long timeoutNanos = timeout.toNanos();
    while (!stop.get()) {
      try {
        if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      boolean idem = (n++ & 1) == 0;
      String kind = idem ? "idempotent" : "plain";
      long issuedAt = System.nanoTime();
      outcomes.issued.incrementAndGet();
      AtomicBoolean done = new AtomicBoolean();
      CompletableFuture<StringValue> f = client.request("chaos", StringValue.of("r" + n),
          StringValue.class, idem ? idempotent : plain);
      f.whenComplete((r, e) -> {
        if (!done.compareAndSet(false, true)) {
          outcomes.twice.incrementAndGet();
          return;
        }
        // The SDK's own timer gives the broker 50 ms to answer first; beyond 100 ms is late.
        long overMs = (System.nanoTime() - issuedAt - timeoutNanos) / 1_000_000L - 100;
        outcomes.record(kind, e, Math.max(0, overMs));
        permits.release();
      });
    }
  }
}
