package io.zmesh.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by an experiment on this process's class path: a broker or a worker that the
 * experiment kills, restarts and asks questions on its standard input. It exits when that input
 * closes, so nothing outlives the experiment.
 */
final class Child implements AutoCloseable {
  final Process process;
  private final BufferedReader out;
  private final PrintWriter in;

  private Child(Process process) {
    this.process = process;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8));
    this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  static Child start(Class<?> main, List<String> jvmArgs, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new Child(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
        .start());
  }

  /** The next line the child prints, or null once it has exited. */
  String readLine() throws IOException {
    return out.readLine();
  }

  /** The next line starting with {@code prefix}, skipping others; fails if the child exits. */
  String expect(String prefix) throws IOException {
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    throw new IOException("child " + process.pid() + " exited before saying '" + prefix + "'");
  }

  void send(String command) {
    in.println(command);
  }

  /** SIGKILL: no drain, no goodbye. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    in.close();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
    }
  }

  /** Resident set size of a process, from /proc; -1 where there is no /proc. */
  static long rssBytes(long pid) {
    try {
      for (String line : java.nio.file.Files.readAllLines(
          Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
