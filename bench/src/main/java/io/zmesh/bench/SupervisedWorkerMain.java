package io.zmesh.bench;

import com.google.protobuf.StringValue;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker {@code zmesh bench reload} and the supervisor's tests run under a supervisor: it
 * answers a {@code StringValue} with its own value after {@code --work} ms, and can be made to
 * start slowly, leak memory or crash, to exercise readiness, memory limits and restarts.
 *
 * <p>Arguments: {@code --broker URL} (default {@code $ZMESH_BROKER}), {@code --name NAME}
 * (default {@code $ZMESH_APP}, else {@code echo}), {@code --start-delay MS} (before READY),
 * {@code --work MS} (per request), {@code --concurrency N}, {@code --leak-kb N} (kept per
 * request), {@code --exit-after MS} (exit with status 3 that long after start, before or after
 * READY), {@code --drain-timeout MS}, {@code --log-requests true} (print "handling VALUE" as each
 * handler starts). SIGTERM drains.
 */
public final class SupervisedWorkerMain {
  private SupervisedWorkerMain() {}

  /** Runs the worker until SIGTERM; the arguments are those above. */
  public static void main(String[] args) throws Exception {
    String broker = MeshOptions.defaultBroker();
    String env = System.getenv("ZMESH_APP");
    String name = env != null && !env.isEmpty() ? env : "echo";
    long startDelay = 0;
    long work = 0;
    int concurrency = 8;
    int leakKb = 0;
    long exitAfter = -1;
    long drainTimeout = 30_000;
    boolean logRequests = false;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--broker":
          broker = v;
          break;
        case "--name":
          name = v;
          break;
        case "--start-delay":
          startDelay = Long.parseLong(v);
          break;
        case "--work":
          work = Long.parseLong(v);
          break;
        case "--concurrency":
          concurrency = Integer.parseInt(v);
          break;
        case "--leak-kb":
          leakKb = Integer.parseInt(v);
          break;
        case "--exit-after":
          exitAfter = Long.parseLong(v);
          break;
        case "--drain-timeout":
          drainTimeout = Long.parseLong(v);
          break;
        case "--log-requests":
          logRequests = Boolean.parseBoolean(v);
          break;
        default:
          throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (exitAfter >= 0) {
      long at = exitAfter;
      Thread crash = new Thread(() -> {
        try {
          Thread.sleep(at);
        } catch (InterruptedException e) {
          return;
        }
        System.err.println("exiting with status 3 as asked (--exit-after " + at + ")");
        Runtime.getRuntime().halt(3);
      }, "crash");
      crash.setDaemon(true);
      crash.start();
    }
    long delay = startDelay;
    long perRequest = work;
    int leak = leakKb;
    boolean announce = logRequests;
    List<byte[]> kept = new ArrayList<>();
    Worker worker = Worker.builder()
        .name(name)
        .broker(broker)
        .concurrency(concurrency)
        .drainTimeout(Duration.ofMillis(drainTimeout))
        .onStart(w -> Thread.sleep(delay))
        .handle(StringValue.class, (s, ctx) -> {
          if (announce) {
            System.out.println("handling " + s.getValue());
            System.out.flush();
          }
          if (perRequest > 0) {
            Thread.sleep(perRequest);
          }
          if (leak > 0) {
            byte[] b = new byte[leak * 1024];
            for (int i = 0; i < b.length; i += 4096) {
              b[i] = 1; // touched, so it counts in the resident set
            }
            synchronized (kept) {
              kept.add(b);
            }
          }
          return s;
        })
        .build()
        .start();
    System.out.println("worker " + name + " ready as " + worker.instanceId());
    System.out.flush();
    worker.awaitTermination();
  }
}
