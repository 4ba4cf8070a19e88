package io.zmesh.testing;

import com.google.protobuf.StringValue;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A worker process for {@link WorkerLossTest}: registers, prints "handling VALUE" when a
 * request arrives and then blocks, so the test can kill it with the request in flight.
 *
 * <p>Arguments: broker endpoint, worker name, instance id. It exits by itself when its standard
 * input closes (the test JVM is gone), so a failed run leaves no process behind.
 */
public final class BlockingWorkerMain {
  private BlockingWorkerMain() {}

  public static void main(String[] args) throws IOException {
    CountDownLatch never = new CountDownLatch(1);
    Worker worker = Worker.builder()
        .name(args[1])
        .broker(args[0])
        .instanceId(args[2])
        .concurrency(4)
        .closeOnShutdown(false)
        .drainTimeout(Duration.ofSeconds(1))
        .handle(StringValue.class, (s, ctx) -> {
          System.out.println("handling " + s.getValue());
          System.out.flush();
          never.await(60, TimeUnit.SECONDS);
          return s;
        })
        .build()
        .start();
    System.out.println("registered " + worker.instanceId());
    System.out.flush();
    while (System.in.read() >= 0) {
      // wait for the parent to go away
    }
    System.exit(0);
  }
}
