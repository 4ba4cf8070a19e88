package io.zmesh.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Label values up to a number of distinct ones, then one shared value. Thread-safe. */
final class BoundedLabels {
  private final int max;
  private final String other;
  private final Set<String> seen = ConcurrentHashMap.newKeySet();

  BoundedLabels(int max, String other) {
    this.max = max;
    this.other = other;
  }

  String of(String value) {
    if (seen.contains(value)) {
      return value;
    }
    // Racing adders may pass the bound by a few; the bound is on memory, not an exact count.
    if (seen.size() < max) {
      seen.add(value);
      return value;
    }
    return other;
  }
}
