package io.zmesh.broker;

/**
 * An intrusive FIFO of requests: O(1) add, poll and removal from the middle, nothing allocated.
 * A request is in at most one list at a time: its group's queue while waiting, or its
 * instance's in-flight list once dispatched.
 */
final class RequestList {
  private PendingRequest head;
  private PendingRequest tail;
  private int size;

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  PendingRequest peekFirst() {
    return head;
  }

  void addLast(PendingRequest p) {
    link(p);
    p.listPrev = tail;
    if (tail != null) {
      tail.listNext = p;
    } else {
      head = p;
    }
    tail = p;
  }

  void addFirst(PendingRequest p) {
    link(p);
    p.listNext = head;
    if (head != null) {
      head.listPrev = p;
    } else {
      tail = p;
    }
    head = p;
  }

  PendingRequest pollFirst() {
    PendingRequest p = head;
    if (p != null) {
      remove(p);
    }
    return p;
  }

  void remove(PendingRequest p) {
    if (p.list != this) {
      throw new IllegalStateException("request is not in this list");
    }
    if (p.listPrev != null) {
      p.listPrev.listNext = p.listNext;
    } else {
      head = p.listNext;
    }
    if (p.listNext != null) {
      p.listNext.listPrev = p.listPrev;
    } else {
      tail = p.listPrev;
    }
    p.listPrev = null;
    p.listNext = null;
    p.list = null;
    size--;
  }

  private void link(PendingRequest p) {
    if (p.list != null) {
      throw new IllegalStateException("request is already in a list");
    }
    p.list = this;
    size++;
  }
}
