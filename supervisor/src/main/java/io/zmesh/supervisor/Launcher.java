package io.zmesh.supervisor;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts an instance's process and copies its output to its log files and the {@link LogBook}.
 *
 * <p>A child never outlives the supervisor: on Linux each is started through {@code setpriv
 * --pdeathsig KILL} (util-linux), so the kernel kills it when the supervisor's thread that
 * started it ends, also when the supervisor is killed with SIGKILL. The kernel ties that signal
 * to the starting thread, not the process, which is why every child is started on the
 * supervisor's one long-lived control thread. The program must be the worker itself (a script
 * should {@code exec} it); its own children are killed by the supervisor on stop, not by the
 * kernel. Each child also runs in a session of its own ({@code setsid}), so signals from the
 * supervisor's terminal reach the supervisor alone.
 */
final class Launcher {
  private static final Logger log = LoggerFactory.getLogger(Launcher.class);
  private static final int MAX_LINE = 16 * 1024;
  private static final boolean LINUX =
      System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
  private static final String SETPRIV = find("setpriv");
  private static final String SETSID = find("setsid");

  /** The broker's CURVE public key, as the SDK reads it (MeshOptions). */
  static final String BROKER_KEY_ENV = "ZMESH_BROKER_KEY";
  /** The process's own CURVE secret key file, as the SDK reads it. */
  static final String KEY_ENV = "ZMESH_KEY";

  private final String broker;
  private final String brokerKey;
  private final LogBook book;
  private final BiFunction<Path, AppSpec, RotatingLog> files;
  /** Threads copying output; each ends at its process's end of output. */
  private final java.util.Set<Thread> pumps = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param brokerKey the broker's CURVE public key in Z85, or null for a plain broker
   */
  Launcher(String broker, String brokerKey, LogBook book,
      BiFunction<Path, AppSpec, RotatingLog> files) {
    this.broker = broker;
    this.brokerKey = brokerKey;
    this.book = book;
    this.files = files;
    if (SETPRIV == null) {
      log.warn("setpriv (util-linux) not found: instances may outlive a supervisor that is"
          + " killed with SIGKILL");
    }
  }

  private static String find(String program) {
    if (!LINUX) {
      return null;
    }
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
      Path p = Paths.get(dir, program);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    return null;
  }

  /** The program and arguments of slot {@code slot} of {@code spec}, variables filled in. */
  List<String> command(AppSpec spec, int slot) {
    List<String> cmd = new ArrayList<>();
    switch (spec.kind) {
      case MAIN:
        cmd.add(spec.java);
        cmd.addAll(expand(spec.jvmArgs, spec, slot));
        cmd.add("-cp");
        cmd.add(spec.classpath.isEmpty() ? System.getProperty("java.class.path")
            : String.join(File.pathSeparator, spec.classpath));
        cmd.add(spec.command.get(0));
        break;
      case JAR:
        cmd.add(spec.java);
        cmd.addAll(expand(spec.jvmArgs, spec, slot));
        cmd.add("-jar");
        cmd.add(spec.command.get(0));
        break;
      default:
        cmd.addAll(expand(spec.command, spec, slot));
    }
    cmd.addAll(expand(spec.args, spec, slot));
    return cmd;
  }

  private List<String> expand(List<String> values, AppSpec spec, int slot) {
    List<String> out = new ArrayList<>(values.size());
    for (String v : values) {
      out.add(Ecosystem.expand(v, broker, spec.name, slot));
    }
    return out;
  }

  /** Starts the process of {@code instance}; the caller is the control thread. */
  Process start(Instance instance) throws IOException {
    AppSpec spec = instance.slot.app.spec;
    int slot = instance.slot.index;
    List<String> cmd = new ArrayList<>();
    if (SETPRIV != null) {
      cmd.addAll(List.of(SETPRIV, "--pdeathsig", "KILL", "--"));
    }
    if (SETSID != null) {
      // A session of its own: Ctrl-C in the supervisor's terminal reaches the supervisor
      // only, which then stops the instances in order instead of all of them at once. The
      // child is no group leader, so setsid execs in place and the pid stays the worker's.
      cmd.addAll(List.of(SETSID, "--"));
    }
    cmd.addAll(command(spec, slot));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(spec.cwd.toFile());
    Map<String, String> env = pb.environment();
    env.put("ZMESH_BROKER", broker);
    // The keys describe this broker, like its address: a key pair inherited from the shell is
    // for another broker when this one is plain. The app's env may set either.
    if (brokerKey != null) {
      env.put(BROKER_KEY_ENV, brokerKey);
    } else {
      env.remove(BROKER_KEY_ENV);
      env.remove(KEY_ENV);
    }
    env.put("ZMESH_APP", spec.name);
    env.put("ZMESH_INSTANCE", Integer.toString(slot));
    for (Map.Entry<String, String> e : spec.env.entrySet()) {
      env.put(e.getKey(), Ecosystem.expand(e.getValue(), broker, spec.name, slot));
    }
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    RotatingLog out =
        files.apply(Paths.get(Ecosystem.expand(spec.outFile, broker, spec.name, slot)), spec);
    RotatingLog err =
        files.apply(Paths.get(Ecosystem.expand(spec.errFile, broker, spec.name, slot)), spec);
    pump(p.getInputStream(), out, spec.name, slot, "out", p.pid());
    pump(p.getErrorStream(), err, spec.name, slot, "err", p.pid());
    return p;
  }

  private void pump(InputStream in, RotatingLog file, String app, int slot, String stream,
      long pid) {
    Thread t = new Thread(() -> {
      byte[] line = new byte[MAX_LINE];
      int len = 0;
      byte[] buf = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          for (int i = 0; i < n; i++) {
            line[len++] = buf[i];
            if (buf[i] == '\n' || len == MAX_LINE) {
              file.write(line, 0, len);
              book.add(app, slot, stream, LogBook.text(line, len));
              len = 0;
            }
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
      if (len > 0) {
        file.write(line, 0, len);
        file.write(new byte[] {'\n'}, 0, 1);
        book.add(app, slot, stream, LogBook.text(line, len));
      }
      pumps.remove(Thread.currentThread());
    }, "zmesh-log-" + app + "-" + slot + "-" + stream + "-" + pid);
    t.setDaemon(true);
    pumps.add(t);
    t.start();
  }

  /** Waits up to {@code millis} for the output of exited processes to be copied. */
  void awaitPumps(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000L;
    for (Thread t : pumps) {
      long left = (end - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return;
      }
      t.join(left);
    }
  }
}
