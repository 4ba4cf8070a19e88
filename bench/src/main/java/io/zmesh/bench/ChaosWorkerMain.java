package io.zmesh.bench;

import com.google.protobuf.StringValue;
import io.zmesh.worker.MeshOptions;
import io.zmesh.worker.Worker;
import java.time.Duration;

/**
 * A worker for the chaos and restart experiments, in a process of its own so it can be killed.
 * Args: broker name instance-id [work-ms]. Answers a StringValue with itself after work-ms,
 * prints {@code registered} once accepted, and exits when its standard input closes.
 */
public final class ChaosWorkerMain {
  private ChaosWorkerMain() {}

  public static void main(String[] args) throws Exception {
    long workMs = args.length > 3 ? Long.parseLong(args[3]) : 1;
    Worker worker = Worker.builder()
        .name(args[1])
        .instanceId(args[2])
        .concurrency(8)
        .closeOnShutdown(false)
        .options(MeshOptions.builder().broker(args[0])
            .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
            .handshakeTimeout(Duration.ofSeconds(1)).build())
        .handle(StringValue.class, (s, ctx) -> {
          if (workMs > 0) {
            Thread.sleep(workMs);
          }
          return s;
        })
        .build()
        .start();
    System.out.println("registered");
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the experiment closes our input
    }
    worker.close();
  }
}
