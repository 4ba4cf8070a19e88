package io.zmesh.broker;

import java.util.ArrayDeque;

/**
 * A ring of the instances with credit: each request takes the head, which goes back to the tail
 * while it still has credit. Removed instances are dropped lazily when they reach the head.
 */
final class RoundRobin implements Balancer {
  private final ArrayDeque<WorkerInstance> ring = new ArrayDeque<>();

  @Override
  public WorkerInstance next() {
    WorkerInstance w;
    while ((w = ring.peekFirst()) != null) {
      if (w.hasCredit()) {
        return w;
      }
      ring.pollFirst();
      w.inRing = false;
    }
    return null;
  }

  @Override
  public void dispatched(WorkerInstance w) {
    if (w.inRing && ring.peekFirst() == w) {
      // Its turn is over.
      ring.pollFirst();
      w.inRing = false;
    }
    changed(w);
  }

  @Override
  public void changed(WorkerInstance w) {
    if (!w.inRing && w.hasCredit()) {
      ring.addLast(w);
      w.inRing = true;
    }
  }

  @Override
  public void removed(WorkerInstance w) {
    // Dropped when it reaches the head: hasCredit() is false from now on.
  }
}
