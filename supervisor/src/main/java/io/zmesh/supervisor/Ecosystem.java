package io.zmesh.supervisor;

import io.zmesh.CurveKeys;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.proto.Names;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.representer.Representer;

/**
 * An ecosystem file ({@code mesh.yaml}), read and validated: the broker's settings, the
 * supervisor's, and the apps it runs. {@link #load} reports every mistake at once, each with
 * its line and field, and nothing is started from a file that has any. docs/supervisor.md
 * describes every field.
 *
 * <p>Relative paths in the file are taken from the file's directory.
 */
public final class Ecosystem {
  /** The file {@code zmesh up} reads when given none. */
  public static final String DEFAULT_FILE = "mesh.yaml";

  static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(35);
  static final int DEFAULT_MAX_RESTARTS = 10;
  static final Duration DEFAULT_RESTART_WINDOW = Duration.ofSeconds(60);
  static final Duration DEFAULT_MIN_UPTIME = Duration.ofSeconds(5);
  static final Duration DEFAULT_RESTART_DELAY = Duration.ofMillis(100);
  static final Duration DEFAULT_MAX_RESTART_DELAY = Duration.ofSeconds(15);
  static final long DEFAULT_LOG_MAX_SIZE = 10L << 20;
  static final int DEFAULT_LOG_KEEP = 5;
  static final int DEFAULT_LOG_LINES = 1000;
  /** Variables that args, env, command, jvm_args and log paths may use. */
  static final List<String> VARIABLES = List.of("broker", "name", "instance");

  private static final List<String> TOP = List.of("broker", "supervisor", "apps");
  private static final List<String> SUPERVISOR = List.of("pid_file", "log_file", "log_lines");
  private static final List<String> APP = List.of("name", "worker", "main", "classpath", "jar",
      "command", "java", "jvm_args", "args", "env", "cwd", "instances", "wait_ready",
      "ready_timeout", "stop_timeout", "autorestart", "max_restarts", "restart_window",
      "min_uptime", "restart_delay", "max_restart_delay", "memory_limit", "logs");
  private static final List<String> LOGS = List.of("out", "err", "max_size", "keep");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern LINE = Pattern.compile("line (\\d+):");

  private final Path file;
  private final List<String> binds;
  private final List<Consumer<BrokerOptions.Builder>> broker;
  private final Path pidFile;
  private final Path logFile;
  private final int logLines;
  private final List<AppSpec> apps;

  private Ecosystem(Path file, List<String> binds, List<Consumer<BrokerOptions.Builder>> broker,
      Path pidFile, Path logFile, int logLines, List<AppSpec> apps) {
    this.file = file;
    this.binds = List.copyOf(binds);
    this.broker = List.copyOf(broker);
    this.pidFile = pidFile;
    this.logFile = logFile;
    this.logLines = logLines;
    this.apps = List.copyOf(apps);
  }

  /**
   * Reads and validates {@code file}.
   *
   * @throws EcosystemException listing every problem, when there is any
   * @throws IOException if the file cannot be read
   */
  public static Ecosystem load(Path file) throws IOException, EcosystemException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file);
  }

  /** Validates {@code yaml} as if read from {@code file} (which need not exist). */
  public static Ecosystem parse(String yaml, Path file) throws EcosystemException {
    Path abs = file.toAbsolutePath().normalize();
    Path dir = abs.getParent() != null ? abs.getParent() : Paths.get("").toAbsolutePath();
    List<String> problems = new ArrayList<>();
    Node root;
    try {
      root = yaml(yaml);
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String line = mark != null ? "line " + (mark.getLine() + 1) + ": " : "";
      throw new EcosystemException(file.toString(), List.of(line + "not valid YAML: "
          + (e.getProblem() != null ? e.getProblem() : e.getMessage())));
    } catch (YAMLException e) {
      throw new EcosystemException(file.toString(), List.of("not valid YAML: " + e.getMessage()));
    }
    if (root == null) {
      throw new EcosystemException(file.toString(), List.of("line 1: the file is empty; it needs"
          + " at least 'apps:' with one app"));
    }
    ConfigNode top = new ConfigNode(root, "", problems);
    if (!top.expectMapping()) {
      throw new EcosystemException(file.toString(), problems);
    }
    List<String> binds = new ArrayList<>();
    List<Consumer<BrokerOptions.Builder>> broker = new ArrayList<>();
    ConfigNode b = top.get("broker");
    if (b != null) {
      BrokerSection.read(b, dir, binds, broker);
    }
    Path pidFile = dir.resolve("zmesh.pid");
    Path logFile = dir.resolve("logs/zmesh.log");
    int logLines = DEFAULT_LOG_LINES;
    ConfigNode s = top.get("supervisor");
    if (s != null && s.expectMapping()) {
      ConfigNode v;
      if ((v = s.get("pid_file")) != null && v.string() != null) {
        pidFile = dir.resolve(v.string());
      }
      if ((v = s.get("log_file")) != null && v.string() != null) {
        logFile = dir.resolve(v.string());
      }
      if ((v = s.get("log_lines")) != null) {
        Integer n = v.integer(10, 1_000_000);
        logLines = n != null ? n : logLines;
      }
      s.finish(SUPERVISOR);
    }
    List<AppSpec> apps = new ArrayList<>();
    ConfigNode a = top.get("apps");
    if (a == null) {
      top.problem("'apps' is missing: list at least one app to run");
    } else {
      Set<String> names = new HashSet<>();
      Set<String> workers = new HashSet<>();
      for (ConfigNode item : a.items()) {
        String name = item.isMapping() ? item.scalar("name") : null;
        if (name != null && !names.add(name)) {
          item.get("name").problem("two apps are named '" + name + "'");
        }
        AppSpec app = readApp(item, dir);
        if (app != null && !workers.add(app.worker)) {
          item.problem("two apps register the worker name '" + app.worker + "'");
        }
        if (app != null) {
          apps.add(app);
        }
      }
    }
    top.finish(TOP);
    problems.sort(java.util.Comparator.comparingInt(Ecosystem::lineOf));
    if (!problems.isEmpty()) {
      throw new EcosystemException(file.toString(), problems);
    }
    return new Ecosystem(abs, binds, broker, pidFile, logFile, logLines, apps);
  }

  private static int lineOf(String problem) {
    Matcher m = LINE.matcher(problem);
    return m.lookingAt() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static Node yaml(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true); // reported with their line by ConfigNode
    options.setMaxAliasesForCollections(50);
    options.setCodePointLimit(4 << 20);
    DumperOptions dump = new DumperOptions();
    Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(dump), dump, options);
    return yaml.compose(new StringReader(text));
  }

  private static AppSpec readApp(ConfigNode n, Path dir) {
    if (!n.expectMapping()) {
      return null;
    }
    int before = problemsSize(n);
    String name = null;
    ConfigNode v = n.get("name");
    if (v == null) {
      n.problem("'name' is missing");
    } else if ((name = v.string()) != null) {
      String problem = Names.checkWorkerName(name);
      if (problem == null && Names.isReserved(name)) {
        problem = "names starting with '" + Names.RESERVED_PREFIX + "' are reserved";
      }
      if (problem != null) {
        v.problem(problem.replace("worker name", "app name"));
        name = null;
      }
    }
    String worker = name;
    if ((v = n.get("worker")) != null && (worker = v.string()) != null) {
      String problem = Names.checkWorkerName(worker);
      if (problem == null && Names.isReserved(worker)) {
        problem = "names starting with '" + Names.RESERVED_PREFIX + "' are reserved";
      }
      if (problem != null) {
        v.problem(problem);
      }
    }
    List<String> how = new ArrayList<>();
    for (String k : List.of("main", "jar", "command")) {
      if (n.has(k)) {
        how.add(k);
      }
    }
    AppSpec.Kind kind = null;
    List<String> command = new ArrayList<>();
    if (how.isEmpty()) {
      n.problem("how to start the app is missing: give one of 'main' (a class, with"
          + " 'classpath'), 'jar' or 'command'");
    } else if (how.size() > 1) {
      how.forEach(n::get);
      n.get(how.get(1)).problem("give only one of 'main', 'jar' and 'command', not "
          + String.join(" and ", how));
    } else {
      kind = AppSpec.Kind.valueOf(how.get(0).toUpperCase(java.util.Locale.ROOT));
      v = n.get(how.get(0));
      if (kind == AppSpec.Kind.COMMAND) {
        List<String> parts = v.strings();
        if (parts.size() == 1) {
          parts = List.of(parts.get(0).trim().split("\\s+"));
        }
        if (parts.isEmpty() || parts.get(0).isEmpty()) {
          v.problem("the command is empty");
        }
        checkVariables(v, parts);
        command.addAll(parts);
      } else {
        String t = v.string();
        if (t != null && t.isBlank()) {
          v.problem("must not be empty");
        } else if (t != null) {
          command.add(kind == AppSpec.Kind.JAR ? dir.resolve(t).toString() : t);
        }
      }
    }
    List<String> classpath = new ArrayList<>();
    if ((v = n.get("classpath")) != null) {
      if (kind != AppSpec.Kind.MAIN) {
        v.problem("'classpath' goes with 'main' only");
      }
      for (String entry : v.strings()) {
        classpath.add(dir.resolve(entry).toString());
      }
    }
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    if ((v = n.get("java")) != null && v.string() != null) {
      if (kind == AppSpec.Kind.COMMAND) {
        v.problem("'java' goes with 'main' or 'jar' only");
      }
      java = v.string();
    }
    List<String> jvmArgs = list(n, "jvm_args");
    if (kind == AppSpec.Kind.COMMAND && n.has("jvm_args")) {
      n.get("jvm_args").problem("'jvm_args' goes with 'main' or 'jar' only");
    }
    List<String> args = list(n, "args");
    Map<String, String> env = new LinkedHashMap<>();
    if ((v = n.get("env")) != null) {
      env = v.stringMap();
      checkVariables(v, env.values());
    }
    Path cwd = dir;
    if ((v = n.get("cwd")) != null && v.string() != null) {
      cwd = dir.resolve(v.string()).normalize();
      if (!Files.isDirectory(cwd)) {
        v.problem("no such directory: " + cwd);
      }
    }
    // The instance's CURVE key, read as the SDK will read it (from the instance's directory),
    // so a key that does not read starts nothing rather than failing every start.
    String key = env.get(Launcher.KEY_ENV);
    if (key != null && !key.isBlank() && !key.contains("${")) {
      try {
        CurveKeys.readPair(cwd.resolve(key.trim()));
      } catch (IllegalArgumentException e) {
        n.get("env").get(Launcher.KEY_ENV).problem(e.getMessage());
      }
    }
    int instances = 1;
    if ((v = n.get("instances")) != null) {
      String t = v.text();
      if ("max".equals(t)) {
        instances = Runtime.getRuntime().availableProcessors();
      } else if (t != null) {
        if (t.trim().matches("-?\\d+")) {
          Integer i = v.integer(0, 1000);
          instances = i != null ? i : 1;
        } else {
          v.problem("expected a whole number or 'max', got '" + t + "'");
        }
      }
    }
    boolean waitReady = bool(n, "wait_ready", true);
    Duration readyTimeout = duration(n, "ready_timeout", DEFAULT_READY_TIMEOUT, 1);
    Duration stopTimeout = duration(n, "stop_timeout", DEFAULT_STOP_TIMEOUT, 1);
    boolean autorestart = bool(n, "autorestart", true);
    int maxRestarts = DEFAULT_MAX_RESTARTS;
    if ((v = n.get("max_restarts")) != null) {
      Integer i = v.integer(0, 1_000_000);
      maxRestarts = i != null ? i : maxRestarts;
    }
    Duration restartWindow = duration(n, "restart_window", DEFAULT_RESTART_WINDOW, 1);
    Duration minUptime = duration(n, "min_uptime", DEFAULT_MIN_UPTIME, 0);
    Duration restartDelay = duration(n, "restart_delay", DEFAULT_RESTART_DELAY, 1);
    Duration maxRestartDelay = duration(n, "max_restart_delay", DEFAULT_MAX_RESTART_DELAY, 1);
    if (maxRestartDelay.compareTo(restartDelay) < 0) {
      n.get("max_restart_delay").problem("must not be below restart_delay ("
          + restartDelay.toMillis() + "ms)");
    }
    long memoryLimit = 0;
    if ((v = n.get("memory_limit")) != null) {
      Long l = v.size(1 << 20);
      memoryLimit = l != null ? l : 0;
    }
    String out = dir.resolve("logs/${name}-${instance}.out.log").toString();
    String err = dir.resolve("logs/${name}-${instance}.err.log").toString();
    long maxSize = DEFAULT_LOG_MAX_SIZE;
    int keep = DEFAULT_LOG_KEEP;
    if ((v = n.get("logs")) != null && v.expectMapping()) {
      ConfigNode l;
      if ((l = v.get("out")) != null && l.string() != null) {
        out = dir.resolve(l.string()).toString();
        checkVariables(l, List.of(out));
      }
      if ((l = v.get("err")) != null && l.string() != null) {
        err = dir.resolve(l.string()).toString();
        checkVariables(l, List.of(err));
      }
      if ((l = v.get("max_size")) != null) {
        Long size = l.size(4096);
        maxSize = size != null ? size : maxSize;
      }
      if ((l = v.get("keep")) != null) {
        Integer k = l.integer(0, 100);
        keep = k != null ? k : keep;
      }
      v.finish(LOGS);
    }
    n.finish(APP);
    if (problemsSize(n) > before || name == null || kind == null || worker == null) {
      return null;
    }
    return new AppSpec(name, worker, kind, command, classpath, java, jvmArgs, args, env, cwd,
        instances, waitReady, readyTimeout, stopTimeout, autorestart, maxRestarts,
        restartWindow, minUptime, restartDelay, maxRestartDelay, memoryLimit, out, err, maxSize,
        keep);
  }

  private static int problemsSize(ConfigNode n) {
    return n.problemCount();
  }

  private static List<String> list(ConfigNode n, String key) {
    ConfigNode v = n.get(key);
    if (v == null) {
      return List.of();
    }
    List<String> values = v.strings();
    checkVariables(v, values);
    return values;
  }

  private static boolean bool(ConfigNode n, String key, boolean dflt) {
    ConfigNode v = n.get(key);
    if (v == null) {
      return dflt;
    }
    Boolean b = v.bool();
    return b != null ? b : dflt;
  }

  private static Duration duration(ConfigNode n, String key, Duration dflt, long minMillis) {
    ConfigNode v = n.get(key);
    if (v == null) {
      return dflt;
    }
    Duration d = v.duration(Duration.ofMillis(minMillis));
    return d != null ? d : dflt;
  }

  private static void checkVariables(ConfigNode at, Iterable<String> values) {
    for (String value : values) {
      Matcher m = VARIABLE.matcher(value);
      while (m.find()) {
        if (!VARIABLES.contains(m.group(1))) {
          at.problem("unknown variable ${" + m.group(1) + "} (known: ${"
              + String.join("}, ${", VARIABLES) + "})");
        }
      }
    }
  }

  /** {@code value} with {@code ${broker}}, {@code ${name}} and {@code ${instance}} filled in. */
  static String expand(String value, String broker, String name, int instance) {
    if (value.indexOf("${") < 0) {
      return value;
    }
    return value.replace("${broker}", broker).replace("${name}", name)
        .replace("${instance}", Integer.toString(instance));
  }

  // ------------------------------------------------------------ what the supervisor reads

  /** The file this was read from, absolute. */
  public Path file() {
    return file;
  }

  /** Where {@code zmesh up --detach} writes its process id. */
  public Path pidFile() {
    return pidFile;
  }

  /** Where a detached supervisor writes its own output. */
  public Path logFile() {
    return logFile;
  }

  /** The apps' names, in file order. */
  public List<String> appNames() {
    List<String> names = new ArrayList<>();
    for (AppSpec a : apps) {
      names.add(a.name);
    }
    return Collections.unmodifiableList(names);
  }

  /** The endpoints the file binds; empty for the broker's default. */
  public List<String> binds() {
    return binds;
  }

  /** The same file with the broker bound to {@code endpoints} instead. */
  public Ecosystem withBinds(List<String> endpoints) {
    return new Ecosystem(file, endpoints, broker, pidFile, logFile, logLines, apps);
  }

  /** A fresh builder with the file's broker settings. */
  BrokerOptions.Builder brokerOptions() {
    BrokerOptions.Builder b = BrokerOptions.builder();
    binds.forEach(b::bind);
    broker.forEach(c -> c.accept(b));
    return b;
  }

  int logLines() {
    return logLines;
  }

  List<AppSpec> apps() {
    return apps;
  }
}
