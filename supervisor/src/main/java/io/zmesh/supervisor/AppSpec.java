package io.zmesh.supervisor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One app of the ecosystem file, validated; see docs/supervisor.md for each field. */
final class AppSpec {
  /** How the app is started. */
  enum Kind { MAIN, JAR, COMMAND }

  final String name;
  final String worker;
  final Kind kind;
  /** The main class (MAIN), the jar (JAR), or the program and its first arguments (COMMAND). */
  final List<String> command;
  final List<String> classpath;
  final String java;
  final List<String> jvmArgs;
  final List<String> args;
  final Map<String, String> env;
  final Path cwd;
  final int instances;
  final boolean waitReady;
  final Duration readyTimeout;
  final Duration stopTimeout;
  final boolean autorestart;
  final int maxRestarts;
  final Duration restartWindow;
  final Duration minUptime;
  final Duration restartDelay;
  final Duration maxRestartDelay;
  /** Resident memory in bytes past which an instance is restarted gracefully; 0 for none. */
  final long memoryLimit;
  final String outFile;
  final String errFile;
  final long logMaxSize;
  final int logKeep;

  AppSpec(String name, String worker, Kind kind, List<String> command, List<String> classpath,
      String java, List<String> jvmArgs, List<String> args, Map<String, String> env, Path cwd,
      int instances, boolean waitReady, Duration readyTimeout, Duration stopTimeout,
      boolean autorestart, int maxRestarts, Duration restartWindow, Duration minUptime,
      Duration restartDelay, Duration maxRestartDelay, long memoryLimit, String outFile,
      String errFile, long logMaxSize, int logKeep) {
    this.name = name;
    this.worker = worker;
    this.kind = kind;
    this.command = List.copyOf(command);
    this.classpath = List.copyOf(classpath);
    this.java = java;
    this.jvmArgs = List.copyOf(jvmArgs);
    this.args = List.copyOf(args);
    this.env = Map.copyOf(env);
    this.cwd = cwd;
    this.instances = instances;
    this.waitReady = waitReady;
    this.readyTimeout = readyTimeout;
    this.stopTimeout = stopTimeout;
    this.autorestart = autorestart;
    this.maxRestarts = maxRestarts;
    this.restartWindow = restartWindow;
    this.minUptime = minUptime;
    this.restartDelay = restartDelay;
    this.maxRestartDelay = maxRestartDelay;
    this.memoryLimit = memoryLimit;
    this.outFile = outFile;
    this.errFile = errFile;
    this.logMaxSize = logMaxSize;
    this.logKeep = logKeep;
  }
}
