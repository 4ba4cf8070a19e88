package io.zmesh.broker;

import java.util.Arrays;

/**
 * A binary min-heap whose elements remember their position, so the least element is read in
 * O(1), and an element whose key changed moves, or any element leaves, in O(log n). Broker-loop
 * thread only.
 */
abstract class IndexedHeap<T> {
  private Object[] heap = new Object[8];
  private int size;

  /** Whether {@code a} comes before {@code b}. */
  abstract boolean less(T a, T b);

  /** Where {@link #setIndex} last put {@code element}, -1 when it is not in the heap. */
  abstract int indexOf(T element);

  abstract void setIndex(T element, int index);

  final int size() {
    return size;
  }

  /** The least element, or null when empty. */
  final T peek() {
    return size == 0 ? null : at(0);
  }

  /** The element at array position {@code i} (0 is the least; the rest in no useful order). */
  @SuppressWarnings("unchecked")
  final T at(int i) {
    return (T) heap[i];
  }

  final boolean contains(T element) {
    return indexOf(element) >= 0;
  }

  final void add(T element) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    heap[size] = element;
    setIndex(element, size);
    size++;
    siftUp(size - 1);
  }

  /** {@code element}'s key changed. */
  final void update(T element) {
    siftDown(siftUp(indexOf(element)));
  }

  /** Removes {@code element} if present. */
  final void remove(T element) {
    int i = indexOf(element);
    if (i < 0) {
      return;
    }
    size--;
    if (i != size) {
      heap[i] = heap[size];
      setIndex(at(i), i);
      heap[size] = null;
      siftDown(siftUp(i));
    } else {
      heap[size] = null;
    }
    setIndex(element, -1);
    if (heap.length > 64 && size < heap.length / 4) {
      // Give memory back after a crowd has left.
      heap = Arrays.copyOf(heap, heap.length / 2);
    }
  }

  private int siftUp(int i) {
    T e = at(i);
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (!less(e, at(parent))) {
        break;
      }
      move(parent, i);
      i = parent;
    }
    heap[i] = e;
    setIndex(e, i);
    return i;
  }

  private void siftDown(int i) {
    T e = at(i);
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < size && less(at(right), at(child))) {
        child = right;
      }
      if (!less(at(child), e)) {
        break;
      }
      move(child, i);
      i = child;
    }
    heap[i] = e;
    setIndex(e, i);
  }

  private void move(int from, int to) {
    heap[to] = heap[from];
    setIndex(at(to), to);
  }
}
