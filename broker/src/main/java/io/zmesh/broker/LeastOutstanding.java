package io.zmesh.broker;

import java.util.ArrayDeque;

/**
 * Least outstanding requests, weighted by latency, with a tolerance band in which instances
 * take turns.
 *
 * <p>An indexed binary min-heap orders the instances with credit by latency-weighted load
 * ({@code (outstanding + 1) x weight}), then by the time of their last request. Strict
 * least-outstanding follows every difference in how fast instances drain, and equal instances
 * on a busy machine drain unequally: the one the OS scheduler favours for a moment has the
 * fewest outstanding and gets the next request, and the next (shares of 8 equal instances up to
 * 30% apart at saturation). So a ring of the same instances is walked in turn, and the next
 * instance in it is chosen when it weighs the same as the least loaded one and has either no
 * more outstanding requests or fewer than twice the mean of the others with credit ({@link
 * #inTurn}). An instance that falls behind beyond that (a pause, a stuck handler) waits at the
 * tail, and a slower instance (a larger weight) is never taken from the ring, except when it
 * is itself the least loaded. At light load (the others
 * holding half a request each or less on average) only an idle instance is in turn. At most
 * {@link #MAX_SKIPS} ring entries are looked at per choice, then the heap's minimum is taken:
 * choosing is O(1); every change is O(log n).
 */
final class LeastOutstanding implements Balancer {
  /** Ring entries looked at before falling back to the least loaded instance. */
  static final int MAX_SKIPS = 8;

  private final IndexedHeap<WorkerInstance> heap = new IndexedHeap<>() {
    @Override
    boolean less(WorkerInstance a, WorkerInstance b) {
      long la = load(a);
      long lb = load(b);
      return la != lb ? la < lb : a.lastDispatch < b.lastDispatch;
    }

    @Override
    int indexOf(WorkerInstance w) {
      return w.heapIndex;
    }

    @Override
    void setIndex(WorkerInstance w, int index) {
      w.heapIndex = index;
    }
  };

  /** Instances in turn; those without credit are dropped lazily when they reach the head. */
  private final ArrayDeque<WorkerInstance> ring = new ArrayDeque<>();
  /** Sum of the outstanding requests of the instances in the heap, as last seen. */
  private long outstanding;

  private static long load(WorkerInstance w) {
    return (long) (w.outstanding() + 1) * w.weight;
  }

  /** Whether {@code w} may be chosen in turn instead of the least loaded {@code least}. */
  boolean inTurn(WorkerInstance w, WorkerInstance least) {
    if (w.weight != least.weight) {
      return false;
    }
    int o = w.outstanding();
    // o < 2 x (mean of the others) is o (n - 1) < 2 (sum - o), so o (n + 1) < 2 sum.
    return o <= least.outstanding() || (long) o * (heap.size() + 1) < 2L * outstanding;
  }

  @Override
  public WorkerInstance next() {
    WorkerInstance least = heap.peek();
    if (least == null) {
      return null;
    }
    for (int i = 0; i < MAX_SKIPS; i++) {
      WorkerInstance w = ring.peekFirst();
      if (w == null) {
        break;
      }
      if (!w.hasCredit()) {
        ring.pollFirst();
        w.inRing = false;
      } else if (inTurn(w, least)) {
        return w;
      } else {
        // Too loaded for its turn now: it waits at the tail.
        ring.addLast(ring.pollFirst());
      }
    }
    return least;
  }

  @Override
  public void dispatched(WorkerInstance w) {
    if (w.inRing && ring.peekFirst() == w) {
      ring.addLast(ring.pollFirst());
    }
    changed(w);
  }

  @Override
  public void changed(WorkerInstance w) {
    if (!w.hasCredit()) {
      removed(w);
      return;
    }
    outstanding += w.outstanding() - w.seenOutstanding;
    w.seenOutstanding = w.outstanding();
    if (heap.contains(w)) {
      heap.update(w);
    } else {
      heap.add(w);
    }
    if (!w.inRing) {
      ring.addLast(w);
      w.inRing = true;
    }
  }

  @Override
  public void removed(WorkerInstance w) {
    if (heap.contains(w)) {
      heap.remove(w);
      outstanding -= w.seenOutstanding;
      w.seenOutstanding = 0;
    }
  }

  int size() {
    return heap.size();
  }
}
