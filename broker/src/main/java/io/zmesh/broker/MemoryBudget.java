package io.zmesh.broker;

/**
 * The bytes of packets the broker holds, against one limit for the whole broker ({@link
 * BrokerOptions#memoryBudget()}): requests waiting in a queue or kept for a retry, and packets
 * sent to peers that have not read them yet. Beyond the limit new work is refused with
 * OVERLOADED at once, so that no mix of peers can grow the heap until it runs out. Broker-loop
 * thread only.
 */
final class MemoryBudget {
  final long limit;
  private long used;
  /** Requests refused because the budget was used up. */
  long refused;

  MemoryBudget(long limit) {
    this.limit = limit;
  }

  /** Takes {@code bytes} if they fit; false (and nothing taken) otherwise. */
  boolean tryAcquire(long bytes) {
    if (used + bytes > limit) {
      refused++;
      return false;
    }
    used += bytes;
    return true;
  }

  /** Takes {@code bytes} whether or not they fit: what is already held must be counted. */
  void acquire(long bytes) {
    used += bytes;
  }

  void release(long bytes) {
    used -= bytes;
  }

  long used() {
    return used;
  }

  String describe() {
    return "the broker's memory budget of " + limit + " bytes is in use";
  }
}
