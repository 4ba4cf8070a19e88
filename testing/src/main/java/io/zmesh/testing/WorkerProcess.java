package io.zmesh.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test main ({@link BlockingWorkerMain}, {@link SubscriberMain}) in a JVM of its own; killed
 * (not asked) to stop.
 */
public final class WorkerProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private WorkerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static WorkerProcess start(String endpoint, String name, String instanceId, Path dir) {
    return start(dir.resolve(instanceId + ".log"), BlockingWorkerMain.class, endpoint, name,
        instanceId);
  }

  /** Runs {@code main} with {@code args}, its output going to {@code log}. */
  public static WorkerProcess start(Path log, Class<?> main, String... args) {
    List<String> command = new ArrayList<>();
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    command.addAll(List.of(java,
        "-cp", System.getProperty("java.class.path"),
        // Start fast and small: this JVM only runs one worker.
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xss512k",
        main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    try {
      return new WorkerProcess(pb.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + java, e);
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  /** Everything the process printed so far (stdout and stderr). */
  public String output() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "<cannot read " + log + ": " + e + ">";
    }
  }

  /** SIGKILL: no shutdown hook, no DISCONNECT; the broker must notice by itself. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("worker process " + process.pid() + " did not die");
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
