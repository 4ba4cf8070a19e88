package io.zmesh.bench;

import io.zmesh.Code;
import io.zmesh.MeshException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * How the requests of an experiment ended, counted by kind (e.g. idempotent or not) and code,
 * with those answered after their deadline and any answered twice.
 */
final class Outcomes {
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  final AtomicLong issued = new AtomicLong();
  final AtomicLong resolved = new AtomicLong();
  final AtomicLong late = new AtomicLong();
  final AtomicLong twice = new AtomicLong();
  final AtomicLong maxLateMs = new AtomicLong();

  /** One request's end: {@code error} null for a reply; {@code overMs} past its deadline. */
  void record(String kind, Throwable error, long overMs) {
    resolved.incrementAndGet();
    Code code = Code.OK;
    if (error != null) {
      Throwable e = error;
      while (e.getCause() != null && !(e instanceof MeshException)) {
        e = e.getCause();
      }
      code = e instanceof MeshException ? ((MeshException) e).code() : Code.INTERNAL;
    }
    counts.computeIfAbsent(kind + " " + code, k -> new LongAdder()).increment();
    if (overMs > 0) {
      late.incrementAndGet();
      maxLateMs.accumulateAndGet(overMs, Math::max);
    }
  }

  long count(String kind, Code code) {
    LongAdder a = counts.get(kind + " " + code);
    return a == null ? 0 : a.sum();
  }

  /** Resolutions of {@code kind} that were not OK. */
  long failures(String kind) {
    long n = 0;
    for (Map.Entry<String, LongAdder> e : counts.entrySet()) {
      if (e.getKey().startsWith(kind + " ") && !e.getKey().endsWith(" OK")) {
        n += e.getValue().sum();
      }
    }
    return n;
  }

  String describe() {
    StringBuilder b = new StringBuilder();
    b.append("issued ").append(issued.get()).append(", resolved ").append(resolved.get())
        .append(" (unresolved ").append(issued.get() - resolved.get()).append(", twice ")
        .append(twice.get()).append("), past deadline ").append(late.get())
        .append(" (worst ").append(maxLateMs.get()).append(" ms)\n");
    new TreeMap<>(counts).forEach((k, v) ->
        b.append("  ").append(k).append(": ").append(v.sum()).append('\n'));
    return b.toString();
  }
}
