package io.zmesh.broker;

import java.util.Locale;

/** How the broker chooses among the instances of one worker name that have credit left. */
public enum Policy {
  /**
   * The instance with the fewest requests outstanding, weighted by latency: each instance's
   * moving average of reply latency is compared with its group's median once per heartbeat
   * interval, and an instance k times slower (rounded) counts its outstanding requests plus one
   * k times; ties go to the one that has waited longest. Instances of the same weight take
   * turns while each holds fewer than twice the others' mean outstanding requests, so equal
   * instances share requests evenly at any load and a stalled one stops taking turns, while a
   * much slower instance is used only when the faster ones are busy.
   */
  LEAST_OUTSTANDING("least-outstanding"),
  /** Each instance in turn, skipping those without credit. */
  ROUND_ROBIN("round-robin");

  private final String label;

  Policy(String label) {
    this.label = label;
  }

  /** The name used in configuration and on the command line. */
  public String label() {
    return label;
  }

  /**
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Policy parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (Policy p : values()) {
      if (p.label.equals(t)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown policy '" + text + "'; use least-outstanding or round-robin");
  }

  @Override
  public String toString() {
    return label;
  }
}
