package io.zmesh.samples;

import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.worker.MeshClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A mesh of local processes, started as a user would start them from a shell: the broker is
 * the {@code zmesh broker} command ({@value #CLI_MAIN}, on this class path) and each sample a
 * JVM running {@link Samples}. {@link #close()} stops the samples with SIGTERM (each drains),
 * newest first, then the broker.
 */
final class LocalMesh implements AutoCloseable {
  /** The {@code zmesh} command's main class, on the class path of {@code bin/zmesh}. */
  static final String CLI_MAIN = "io.zmesh.cli.Main";
  private static final String BROKER_LISTENING = "zmesh broker listening on ";

  /** A started process and the first line it printed containing the text watched for. */
  record Started(String label, Process process, CompletableFuture<String> watched) {}

  private final Consumer<String> out;
  private final boolean relay;
  private final List<String> jvmOptions;
  private final List<Started> samples = Collections.synchronizedList(new ArrayList<>());
  private final List<Thread> readers = new ArrayList<>();
  private Started broker;

  /**
   * @param relay copy each process's output to {@code out}, after its label
   * @param quickStart start the JVMs for a short life (serial GC, no optimizing compiler): five
   *     JVMs starting at once on two cores are ready sooner, and run slower later
   */
  LocalMesh(Consumer<String> out, boolean relay, boolean quickStart) {
    this.out = out;
    this.relay = relay;
    this.jvmOptions = quickStart ? List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
        : List.of();
  }

  /** Starts {@code zmesh broker --bind bind ARGS} and returns its endpoint once it listens. */
  String startBroker(String bind, Duration within, String... args) throws Exception {
    try {
      Class.forName(CLI_MAIN, false, LocalMesh.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("the broker is started as `zmesh broker`, and " + CLI_MAIN
          + " is not on this class path: run bin/zmesh demo, or put dist/target/lib/* on it", e);
    }
    List<String> command = new ArrayList<>(List.of("broker", "--bind", bind));
    command.addAll(List.of(args));
    broker = start("broker", CLI_MAIN, BROKER_LISTENING, command);
    String line = await(broker, within);
    return line.substring(line.indexOf(BROKER_LISTENING) + BROKER_LISTENING.length())
        .split(",")[0].trim();
  }

  /** Starts {@code Samples ARGS} under {@code label}, watching its output for {@code watch}. */
  Started startSample(String label, String watch, String... args) throws IOException {
    Started s = start(label, Samples.class.getName(), watch, List.of(args));
    samples.add(s);
    return s;
  }

  /** The watched line of {@code s}; fails if the process ends or {@code within} passes first. */
  static String await(Started s, Duration within) throws InterruptedException {
    try {
      return s.watched().get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(s.label() + " did not print what was awaited within "
          + within.toSeconds() + " s" + (s.process().isAlive() ? "" : " (it exited with "
          + s.process().exitValue() + ")"), e);
    }
  }

  /** Runs {@code zmesh ARGS} to its end, each line of its output to {@code out} indented. */
  void runCommand(String indent, String... args) throws IOException, InterruptedException {
    Started s = start(null, CLI_MAIN, null, List.of(args), line -> out.accept(indent + line));
    if (!s.process().waitFor(30, TimeUnit.SECONDS)) {
      s.process().destroyForcibly();
    }
    s.watched().exceptionally(e -> null).join();
  }

  /**
   * Waits until the broker has at least the instances counted by name in {@code wanted}.
   *
   * @return the instances by name
   */
  static Map<String, Long> awaitWorkers(MeshClient client, Map<String, Integer> wanted,
      Duration within) throws InterruptedException {
    long end = System.nanoTime() + within.toNanos();
    while (true) {
      ListWorkersReply reply = client.call(Names.SERVICE_WORKERS,
          ListWorkersRequest.getDefaultInstance(), ListWorkersReply.class);
      Map<String, Long> counts = new TreeMap<>();
      for (WorkerInfo w : reply.getWorkersList()) {
        counts.merge(w.getName(), 1L, Long::sum);
      }
      boolean all = wanted.entrySet().stream()
          .allMatch(e -> counts.getOrDefault(e.getKey(), 0L) >= e.getValue());
      if (all) {
        return counts;
      }
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("workers did not register within " + within.toSeconds()
            + " s: registered " + counts + ", wanted " + wanted);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  private Started start(String label, String main, String watch, List<String> args)
      throws IOException {
    Consumer<String> lines = relay && label != null
        ? line -> out.accept("   [" + label + "] " + line) : line -> { };
    return start(label, main, watch, args, lines);
  }

  private Started start(String label, String main, String watch, List<String> args,
      Consumer<String> lines) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.showDateTime=false"));
    command.addAll(jvmOptions);
    command.add(main);
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> watched = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (watch != null && !watched.isDone() && line.contains(watch)) {
            watched.complete(line);
          }
          lines.accept(line);
        }
      } catch (IOException e) {
        // the process is gone
      }
      watched.completeExceptionally(new IllegalStateException("output ended"));
    }, "mesh-output-" + (label == null ? main : label));
    reader.setDaemon(true);
    reader.start();
    synchronized (readers) {
      readers.add(reader);
    }
    return new Started(label, process, watched);
  }

  /** Labels and pids of what runs, in start order. */
  List<String> running() {
    List<String> list = new ArrayList<>();
    if (broker != null) {
      list.add("broker (pid " + broker.process().pid() + ")");
    }
    synchronized (samples) {
      for (Started s : samples) {
        list.add(s.label() + " (pid " + s.process().pid() + ")");
      }
    }
    return list;
  }

  /** Stops the samples, newest first, with SIGTERM (each drains), then the broker. */
  @Override
  public void close() {
    List<Started> stopping;
    synchronized (samples) {
      stopping = new ArrayList<>(samples);
      samples.clear();
    }
    Collections.reverse(stopping);
    for (Started s : stopping) {
      s.process().destroy();
    }
    for (Started s : stopping) {
      awaitExit(s.process());
    }
    if (broker != null) {
      broker.process().destroy();
      awaitExit(broker.process());
      broker = null;
    }
    synchronized (readers) {
      for (Thread t : readers) {
        try {
          t.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static void awaitExit(Process p) {
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }
}
