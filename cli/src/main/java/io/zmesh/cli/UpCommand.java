package io.zmesh.cli;

import io.zmesh.supervisor.Ecosystem;
import io.zmesh.supervisor.EcosystemException;
import io.zmesh.supervisor.Supervisor;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zmesh up [FILE]}: the broker and every app of an ecosystem file, in one process. */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
        "Run the broker and supervise every app of an ecosystem file (default ./mesh.yaml):"
            + " each instance a child process, online once it registered READY, restarted"
            + " with backoff when it dies.",
        "In the foreground until Ctrl-C, SIGTERM or 'zmesh down', which drain and stop every"
            + " instance, then the broker. --detach runs it in the background and returns once"
            + " every instance is online or failed.",
        "docs/supervisor.md describes the file."})
final class UpCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
      description = "The ecosystem file (default: ./" + Ecosystem.DEFAULT_FILE + ").")
  Path file;

  @Option(names = "--detach", description = "Run in the background; write the pid file.")
  boolean detach;

  @Option(names = "--bind", paramLabel = "ENDPOINT",
      description = "Listen here instead of the file's broker.bind; repeat for several.")
  List<String> binds;

  @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "5m",
      converter = DurationConverter.class,
      description = "With --detach: longest wait for the instances (default: ${DEFAULT-VALUE}).")
  Duration wait;

  @Option(names = "--metrics-bind", paramLabel = "HOST:PORT",
      description = "Serve the broker's Prometheus metrics at http://HOST:PORT/metrics.")
  String metricsBind;

  /** Set by the parent of a detached supervisor: where to say that the start is over. */
  @Option(names = "--started-file", hidden = true)
  Path startedFile;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path path = file != null ? file : Paths.get(Ecosystem.DEFAULT_FILE);
    if (!Files.exists(path)) {
      throw new Main.UsageException("no ecosystem file " + path.toAbsolutePath()
          + (file == null ? " (zmesh up reads ./" + Ecosystem.DEFAULT_FILE + " unless given a"
              + " file; samples/mesh.yaml runs the samples)" : ""));
    }
    Ecosystem eco;
    try {
      eco = Ecosystem.load(path);
    } catch (EcosystemException e) {
      err.println("error: " + e.getMessage());
      err.println("nothing was started");
      return 2;
    }
    if (binds != null && !binds.isEmpty()) {
      eco = eco.withBinds(binds);
    }
    Optional<ProcessHandle> running = running(eco.pidFile());
    if (running.isPresent()) {
      err.println("error: a supervisor of " + eco.file() + " already runs as pid "
          + running.get().pid() + " (" + eco.pidFile() + "); 'zmesh down' stops it");
      return 1;
    }
    return detach ? detach(eco, out, err) : foreground(eco, out, err);
  }

  private static Optional<ProcessHandle> running(Path pidFile) {
    try {
      long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private int foreground(Ecosystem eco, PrintWriter out, PrintWriter err) throws Exception {
    Supervisor supervisor;
    Metrics metrics = metricsBind == null ? null : new Metrics(metricsBind);
    try {
      supervisor = metrics == null ? Supervisor.start(eco)
          : Supervisor.start(eco, b -> b.requestListener(metrics.listener()));
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 1;
    }
    if (metrics != null) {
      try {
        out.println("zmesh up: metrics at " + metrics.serve(supervisor.broker()));
      } catch (UncheckedIOException e) {
        supervisor.close();
        err.println("error: " + e.getMessage());
        return 2;
      }
    }
    // On SIGTERM the JVM halts once its hooks are done, maybe before the main thread prints,
    // so the hook says "stopped" itself; whichever comes first prints it.
    AtomicBoolean stoppedSaid = new AtomicBoolean();
    Runnable sayStopped = () -> {
      if (stoppedSaid.compareAndSet(false, true)) {
        out.println("zmesh up: stopped");
        out.flush();
      }
    };
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (metrics != null) {
        metrics.close();
      }
      supervisor.close();
      sayStopped.run();
    }, "zmesh-up-shutdown"));
    writeAtomically(eco.pidFile(), Long.toString(ProcessHandle.current().pid()) + "\n");
    eco.pidFile().toFile().deleteOnExit();
    out.println("zmesh up: broker on " + String.join(", ", supervisor.endpoints())
        + (supervisor.brokerKey() != null ? " with CURVE (public key " + supervisor.brokerKey()
            + ")" : "")
        + ", supervising " + String.join(", ", eco.appNames()) + " from " + eco.file());
    out.flush();
    Supervisor.Startup up = supervisor.started().get();
    String summary = up.online() + " instances online" + (up.failed() > 0
        ? ", " + up.failed() + " failed to start (zmesh logs shows why)" : "");
    out.println("zmesh up: " + summary);
    out.flush();
    if (startedFile != null) {
      writeAtomically(startedFile, up.online() + " " + up.failed() + " "
          + supervisor.endpoints().get(0) + "\n");
    }
    supervisor.awaitTermination();
    sayStopped.run();
    return 0;
  }

  private int detach(Ecosystem eco, PrintWriter out, PrintWriter err) throws Exception {
    Path started = Files.createTempFile("zmesh-up-", ".started");
    Files.delete(started);
    List<String> cmd = new ArrayList<>();
    if (new File("/usr/bin/setsid").canExecute()) {
      cmd.add("/usr/bin/setsid"); // no controlling terminal: a closed terminal does not stop it
    }
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "up", eco.file().toString(), "--started-file", started.toString()));
    for (String b : eco.binds()) {
      cmd.addAll(List.of("--bind", b));
    }
    if (metricsBind != null) {
      cmd.addAll(List.of("--metrics-bind", metricsBind));
    }
    Files.createDirectories(eco.logFile().toAbsolutePath().getParent());
    Process child = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(eco.logFile().toFile()))
        .start();
    long end = System.nanoTime() + wait.toNanos();
    while (!Files.exists(started)) {
      if (!child.isAlive()) {
        err.println("error: the supervisor exited with status " + child.exitValue()
            + " before its instances started; its output is in " + eco.logFile());
        return 1;
      }
      if (System.nanoTime() - end > 0) {
        err.println("error: the instances did not all start within " + wait.toSeconds()
            + " s; the supervisor runs as pid " + child.pid() + ", output in " + eco.logFile());
        return 1;
      }
      child.waitFor(100, TimeUnit.MILLISECONDS);
    }
    String[] counts = Files.readString(started, StandardCharsets.UTF_8).trim().split(" ");
    Files.deleteIfExists(started);
    out.println("zmesh up: supervisor pid " + child.pid() + " (" + eco.pidFile() + "), broker on "
        + counts[2] + ": " + counts[0] + " instances online" + (!counts[1].equals("0")
            ? ", " + counts[1] + " failed to start" : "") + "; output in " + eco.logFile());
    out.flush();
    return counts[1].equals("0") ? 0 : 1;
  }

  private static void writeAtomically(Path target, String text) throws IOException {
    Path abs = target.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
