package io.zmesh.bench;

import io.zmesh.bench.proto.ProcessCost;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One role of a benchmark in a JVM of its own ({@link BenchChild}), started and stopped by the
 * bench: the broker, the subscribers, the publisher, the workers or the clients. The parent
 * talks to it by lines: it reads what the child prints and writes commands to its standard
 * input; the child exits when that closes, so a bench that dies leaves no process behind.
 *
 * <p>Besides what the child counts, the parent reads what the kernel counts for it, which a
 * busy shared machine disturbs far less than rates: CPU time and context switches (every
 * thread's, from /proc), and the child reports the bytes its threads allocated.
 */
final class ChildProcess implements AutoCloseable {
  /**
   * JVM options of every child; {@code ZMESH_BENCH_CHILD_OPTS} replaces them, {@code {role}} in
   * it replaced by the child's role (a flight recording per process, say).
   */
  private static final String DEFAULT_OPTS = "-Xms256m -Xmx1g -XX:+UseParallelGC";
  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux
  private static final long WAIT_SECONDS = 60;

  final String role;
  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private Sample start;

  private ChildProcess(String role, Process process) {
    this.role = role;
    this.process = process;
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the child is gone
      }
      lines.add("");
    }, "bench-child-" + role);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@link BenchChild} in role {@code role} with {@code args}. */
  static ChildProcess start(String role, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getenv("ZMESH_BENCH_CHILD_OPTS");
    for (String o : (opts != null ? opts : DEFAULT_OPTS).trim().split("\\s+")) {
      if (!o.isEmpty()) {
        command.add(o.replace("{role}", role));
      }
    }
    // The broker logs every peer that leaves; a bench run says enough by itself.
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        BenchChild.class.getName(), role));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      return new ChildProcess(role, p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + role + " process", e);
    }
  }

  long pid() {
    return process.pid();
  }

  /** The next line the child prints that starts with {@code word}; earlier lines are skipped. */
  String expect(String word) throws InterruptedException {
    return expect(word, WAIT_SECONDS);
  }

  /** {@link #expect(String)}, waiting up to {@code seconds}. */
  String expect(String word, long seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      String line = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new IllegalStateException("the " + role + " process printed no '" + word
            + "' within " + seconds + " s");
      }
      if (line.isEmpty() && !process.isAlive()) {
        throw new IllegalStateException("the " + role + " process exited ("
            + process.exitValue() + ") before printing '" + word + "'");
      }
      if (line.equals(word) || line.startsWith(word + " ")) {
        return line.substring(Math.min(line.length(), word.length() + 1));
      }
    }
  }

  /** Sends {@code command} to the child. */
  void send(String command) {
    try {
      in.write(command + "\n");
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("the " + role + " process is gone", e);
    }
  }

  /** The child starts counting (command {@code start}); the kernel's counts are sampled. */
  void startMeasuring() throws InterruptedException {
    send("start");
    expect("started");
    start = Sample.of(process.pid());
  }

  /**
   * The child stops counting (command {@code end}) and prints {@code result ...}; returns what
   * follows {@code result}, and fills {@code cost} with the kernel's counts and the child's
   * allocation over the measurement.
   */
  String stopMeasuring(ProcessCost.Builder cost) throws InterruptedException {
    Sample end = Sample.of(process.pid());
    send("end");
    String allocated = expect("allocated");
    String result = expect("result");
    cost.setRole(role)
        .setCpuMs((end.cpuTicks - start.cpuTicks) * 1000.0 / TICKS_PER_SECOND)
        .setVoluntarySwitches(end.voluntary - start.voluntary)
        .setInvoluntarySwitches(end.involuntary - start.involuntary)
        .setAllocatedBytes(Long.parseLong(allocated.trim()));
    return result;
  }

  /** Asks the child to stop, waits for it, and kills it if it does not. */
  @Override
  public void close() throws InterruptedException {
    try {
      send("stop");
      in.close();
    } catch (IOException | UncheckedIOException e) {
      // already gone
    }
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** What the kernel counted for every thread of a process so far. */
  private record Sample(long cpuTicks, long voluntary, long involuntary) {
    static Sample of(long pid) {
      Path proc = Path.of("/proc", Long.toString(pid));
      long ticks = 0;
      try {
        // utime and stime of the whole process, dead threads included: fields 14 and 15,
        // counted after the command name, which may hold spaces.
        String stat = Files.readString(proc.resolve("stat"), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException e) {
        return new Sample(0, 0, 0); // not Linux: no kernel counts
      }
      long voluntary = 0;
      long involuntary = 0;
      try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
        for (Path task : tasks) {
          for (String line : Files.readAllLines(task.resolve("status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              voluntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              involuntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        // a thread ended while being read: its switches are left out
      }
      return new Sample(ticks, voluntary, involuntary);
    }
  }
}
