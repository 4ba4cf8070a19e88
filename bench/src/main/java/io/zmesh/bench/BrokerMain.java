package io.zmesh.bench;

import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A broker in a process of its own, for experiments that kill it or measure its memory. Args:
 * endpoint [heartbeat-ms liveness]. Prints {@code listening ENDPOINT}; on the line {@code gc} on
 * its standard input it collects garbage and prints {@code heap BYTES rss BYTES}; it stops when
 * the input closes. Default settings otherwise: the experiments measure the defaults.
 */
public final class BrokerMain {
  /** The JVM options bin/zmesh runs with, so that the experiments measure what operators run. */
  static final java.util.List<String> JVM = java.util.List.of(
      "-XX:+ExitOnOutOfMemoryError", "-Xms32m", "-XX:G1PeriodicGCInterval=15000",
      "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30");

  private BrokerMain() {}

  public static void main(String[] args) throws Exception {
    BrokerOptions.Builder b = BrokerOptions.builder().bind(args[0]);
    if (args.length >= 3) {
      b.heartbeatInterval(Duration.ofMillis(Long.parseLong(args[1])))
          .liveness(Integer.parseInt(args[2]));
    }
    try (Broker broker = Broker.start(b.build())) {
      System.out.println("listening " + broker.endpoint());
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
          StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        if (line.equals("gc")) {
          System.gc();
          System.gc();
          long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
          System.out.println("heap " + heap + " rss " + Child.rssBytes(ProcessHandle.current()
              .pid()) + " max " + Runtime.getRuntime().maxMemory());
          System.out.flush();
        }
      }
    }
  }
}
