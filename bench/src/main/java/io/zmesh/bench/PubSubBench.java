package io.zmesh.bench;

/** {@code zmesh bench pubsub}: one publisher fanned out to subscribers through a broker. */
public final class PubSubBench {
  /** The topic published and subscribed to. */
  static final String TOPIC = "bench.ticks";
  /** The unrelated subscriptions of the run that {@code --unrelated N} compares against. */
  public static final int FEW_UNRELATED = 10;

  /** What to run. */
  public record Config(int subscribers, int size, double warmupSeconds, double seconds,
      int unrelated, boolean inline, int stalled) {
    public Config {
      if (subscribers < 1 || size < 0 || seconds <= 0 || warmupSeconds < 0 || unrelated < 0
          || stalled < 0) {
        throw new IllegalArgumentException("subscribers must be at least 1, duration positive;"
            + " size, warm-up, stalled and unrelated subscriptions not negative");
      }
    }

    public Config withStalled(int n) {
      return new Config(subscribers, size, warmupSeconds, seconds, unrelated, inline, n);
    }

    public Config withUnrelated(int n) {
      return new Config(subscribers, size, warmupSeconds, seconds, n, inline, stalled);
    }

    /**
     * A run as long as this one's warm-up, without unrelated subscriptions: done once before
     * the measured runs and thrown away, so that the first of them does not pay for compiling
     * the code paths they share.
     */
    public Config jitWarmup() {
      return new Config(subscribers, size, 0, Math.max(1, warmupSeconds), 0, inline, 0);
    }
  }

  private PubSubBench() {}
}
