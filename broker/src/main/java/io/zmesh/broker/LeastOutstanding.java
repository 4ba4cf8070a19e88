package io.zmesh.broker;

import java.util.Arrays;

/**
 * An indexed binary min-heap of the instances with credit, ordered by latency-weighted load
 * ({@code (outstanding + 1) x weight}) and then by the time of their last request. Choosing is
 * O(1); every change is O(log n).
 */
final class LeastOutstanding implements Balancer {
  private WorkerInstance[] heap = new WorkerInstance[8];
  private int size;

  @Override
  public WorkerInstance next() {
    return size == 0 ? null : heap[0];
  }

  @Override
  public void dispatched(WorkerInstance w) {
    changed(w);
  }

  @Override
  public void changed(WorkerInstance w) {
    boolean present = w.heapIndex >= 0;
    if (!w.hasCredit()) {
      if (present) {
        removeAt(w.heapIndex);
      }
      return;
    }
    if (!present) {
      if (size == heap.length) {
        heap = Arrays.copyOf(heap, size * 2);
      }
      heap[size] = w;
      w.heapIndex = size;
      size++;
      siftUp(w.heapIndex);
    } else {
      siftDown(siftUp(w.heapIndex));
    }
  }

  @Override
  public void removed(WorkerInstance w) {
    if (w.heapIndex >= 0) {
      removeAt(w.heapIndex);
    }
  }

  int size() {
    return size;
  }

  private void removeAt(int i) {
    WorkerInstance gone = heap[i];
    size--;
    if (i != size) {
      heap[i] = heap[size];
      heap[i].heapIndex = i;
      heap[size] = null;
      siftDown(siftUp(i));
    } else {
      heap[size] = null;
    }
    gone.heapIndex = -1;
  }

  private static boolean less(WorkerInstance a, WorkerInstance b) {
    long la = (long) (a.outstanding() + 1) * a.weight;
    long lb = (long) (b.outstanding() + 1) * b.weight;
    return la != lb ? la < lb : a.lastDispatch < b.lastDispatch;
  }

  private int siftUp(int i) {
    WorkerInstance w = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!less(w, heap[parent])) {
        break;
      }
      heap[i] = heap[parent];
      heap[i].heapIndex = i;
      i = parent;
    }
    heap[i] = w;
    w.heapIndex = i;
    return i;
  }

  private void siftDown(int i) {
    WorkerInstance w = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < size && less(heap[right], heap[child])) {
        child = right;
      }
      if (!less(heap[child], w)) {
        break;
      }
      heap[i] = heap[child];
      heap[i].heapIndex = i;
      i = child;
    }
    heap[i] = w;
    w.heapIndex = i;
  }
}
