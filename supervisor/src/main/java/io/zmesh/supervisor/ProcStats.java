package io.zmesh.supervisor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Optional;

/**
 * CPU time and resident memory of a process: CPU from {@link ProcessHandle.Info} (the JDK reads
 * {@code /proc/<pid>/stat}), memory from {@code VmRSS} in {@code /proc/<pid>/status}, which the
 * JDK does not expose. Off Linux the memory reads as unknown (-1) and memory limits do nothing.
 */
final class ProcStats {
  private ProcStats() {}

  /** Total CPU time used, in nanoseconds, or -1 when unknown. */
  static long cpuNanos(Process process) {
    Optional<Duration> cpu = process.toHandle().info().totalCpuDuration();
    return cpu.map(Duration::toNanos).orElse(-1L);
  }

  /** Resident set size in bytes, or -1 when unknown. */
  static long rssBytes(long pid) {
    Path status = Paths.get("/proc", Long.toString(pid), "status");
    try {
      for (String line : Files.readAllLines(status, StandardCharsets.ISO_8859_1)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or not Linux
    }
    return -1;
  }
}
