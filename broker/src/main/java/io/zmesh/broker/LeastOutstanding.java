package io.zmesh.broker;

/**
 * An indexed binary min-heap of the instances with credit, ordered by latency-weighted load
 * ({@code (outstanding + 1) x weight}) and then by the time of their last request. Choosing is
 * O(1); every change is O(log n).
 */
final class LeastOutstanding implements Balancer {
  private final IndexedHeap<WorkerInstance> heap = new IndexedHeap<>() {
    @Override
    boolean less(WorkerInstance a, WorkerInstance b) {
      long la = (long) (a.outstanding() + 1) * a.weight;
      long lb = (long) (b.outstanding() + 1) * b.weight;
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

  @Override
  public WorkerInstance next() {
    return heap.peek();
  }

  @Override
  public void dispatched(WorkerInstance w) {
    changed(w);
  }

  @Override
  public void changed(WorkerInstance w) {
    if (!w.hasCredit()) {
      heap.remove(w);
    } else if (heap.contains(w)) {
      heap.update(w);
    } else {
      heap.add(w);
    }
  }

  @Override
  public void removed(WorkerInstance w) {
    heap.remove(w);
  }

  int size() {
    return heap.size();
  }
}
