package io.zmesh.broker;

import static io.zmesh.core.internal.Ticker.MS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Hello;
import io.zmesh.proto.Ready;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The balancers' choices, driven directly: no sockets, every step deterministic. */
class BalancerTest {

  private static WorkerInstance instance(WorkerGroup group, String id, int concurrency) {
    Peer peer = new Peer(new Identity(id.getBytes()), Hello.getDefaultInstance(), 0);
    WorkerInstance w = new WorkerInstance(peer, group,
        Ready.newBuilder().setName(group.name).setInstanceId(id).setConcurrency(concurrency).build(),
        0);
    peer.worker = w;
    group.instances.add(w);
    group.balancer.changed(w);
    return w;
  }

  /** What the router does when it sends a request: take credit, tell the balancer. */
  private static WorkerInstance dispatch(WorkerGroup group) {
    WorkerInstance w = group.balancer.next();
    if (w == null) {
      return null;
    }
    PendingRequest p = new PendingRequest(0, w.peer, 0, false, new byte[0], group, 0);
    p.instance = w;
    w.lastDispatch = ++group.dispatchSeq;
    w.dispatchedSinceReweigh++;
    w.inFlight.addLast(p);
    group.balancer.dispatched(w);
    return w;
  }

  /** What the router does on a reply: release credit, record latency, tell the balancer. */
  private static void complete(WorkerInstance w, long latencyNanos) {
    w.inFlight.remove(w.inFlight.peekFirst());
    w.recordLatency(latencyNanos);
    w.group.balancer.changed(w);
  }

  /** The instance served requests at this latency during the current period. */
  private static void served(WorkerInstance w, long latencyNanos) {
    w.recordLatency(latencyNanos);
    w.dispatchedSinceReweigh++;
  }

  @Test
  void neverExceedsCredit() {
    for (Policy policy : Policy.values()) {
      WorkerGroup g = new WorkerGroup("g", policy);
      WorkerInstance a = instance(g, "a", 2);
      WorkerInstance b = instance(g, "b", 3);
      for (int i = 0; i < 5; i++) {
        assertTrue(dispatch(g) != null, policy + ": dispatch " + i);
      }
      assertNull(dispatch(g), policy + ": all credit is used");
      assertEquals(2, a.outstanding());
      assertEquals(3, b.outstanding());
      complete(b, MS);
      assertSame(b, dispatch(g), policy + ": returned credit is used again");
    }
  }

  @Test
  void equalInstancesShareEvenlyAtAnyLoad() {
    for (Policy policy : Policy.values()) {
      WorkerGroup g = new WorkerGroup("g", policy);
      List<WorkerInstance> all = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(instance(g, "w" + i, 16));
      }
      Map<WorkerInstance, Integer> counts = new HashMap<>();
      // One request at a time: every choice is a tie on load, latencies differ slightly.
      for (int i = 0; i < 8_000; i++) {
        WorkerInstance w = dispatch(g);
        counts.merge(w, 1, Integer::sum);
        complete(w, MS + (all.indexOf(w) * MS / 100));
        if (i % 1000 == 0) {
          g.reweigh();
        }
      }
      for (WorkerInstance w : all) {
        assertEquals(1_000, counts.get(w), policy + " " + w.instanceId);
      }
    }
  }

  @Test
  void leastOutstandingPrefersTheLeastLoaded() {
    WorkerGroup g = new WorkerGroup("g", Policy.LEAST_OUTSTANDING);
    WorkerInstance a = instance(g, "a", 10);
    WorkerInstance b = instance(g, "b", 10);
    WorkerInstance first = dispatch(g);
    WorkerInstance second = dispatch(g);
    assertTrue(first != second, "a tie goes to the one that waited longest");
    dispatch(g);
    dispatch(g);
    complete(a, MS);
    complete(a, MS);
    // a: 0 outstanding, b: 2
    assertSame(a, dispatch(g));
    assertSame(a, dispatch(g));
    assertEquals(2, b.outstanding());
  }

  @Test
  void leastOutstandingTakesTurnsBelowTwiceTheOthersMean() {
    WorkerGroup g = new WorkerGroup("g", Policy.LEAST_OUTSTANDING);
    WorkerInstance a = instance(g, "a", 64);
    WorkerInstance b = instance(g, "b", 64);
    WorkerInstance c = instance(g, "c", 64);
    for (int i = 0; i < 3 * 20; i++) {
      dispatch(g);
    }
    assertEquals(List.of(20, 20, 20), List.of(a.outstanding(), b.outstanding(), c.outstanding()));
    // b and c drain faster for a moment: a (20 against 17 and 17) keeps its turn, so the
    // three keep sharing evenly where strict least-outstanding would skip a.
    for (int i = 0; i < 3; i++) {
      complete(b, MS);
      complete(c, MS);
    }
    List<WorkerInstance> order = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      order.add(dispatch(g));
    }
    assertEquals(List.of(a, b, c), order);
    // a: 21, b and c: 3. a waits until the others hold more than 21 / 2 on average: 16 more
    // requests between them.
    for (int i = 0; i < 15; i++) {
      complete(b, MS);
      complete(c, MS);
    }
    for (int i = 0; i < 16; i++) {
      assertTrue(dispatch(g) != a, "request " + i);
    }
    assertEquals(List.of(21, 11, 11), List.of(a.outstanding(), b.outstanding(), c.outstanding()));
    order.clear();
    for (int i = 0; i < 3; i++) {
      order.add(dispatch(g));
    }
    assertTrue(order.contains(a), order.toString());
  }

  @Test
  void leastOutstandingNeverFeedsAStuckInstanceBeyondTwiceTheOthers() {
    WorkerGroup g = new WorkerGroup("g", Policy.LEAST_OUTSTANDING);
    WorkerInstance stuck = instance(g, "stuck", 1_000);
    WorkerInstance live = instance(g, "live", 1_000);
    // The live instance answers every request at once; the stuck one answers nothing.
    for (int i = 0; i < 10_000; i++) {
      WorkerInstance w = dispatch(g);
      if (w == live && live.outstanding() > 5) {
        complete(live, MS);
      }
    }
    assertTrue(stuck.outstanding() <= 2 * 6, "stuck holds " + stuck.outstanding());
  }

  @Test
  void leastOutstandingPrefersAnIdleInstanceAtLightLoad() {
    WorkerGroup g = new WorkerGroup("g", Policy.LEAST_OUTSTANDING);
    WorkerInstance a = instance(g, "a", 8);
    WorkerInstance b = instance(g, "b", 8);
    assertSame(a, dispatch(g));
    // b is idle: a, with one outstanding, is not within the band of an idle instance.
    assertSame(b, dispatch(g));
    complete(b, MS);
    assertSame(b, dispatch(g));
  }

  @Test
  void roundRobinTakesTurnsRegardlessOfLoad() {
    WorkerGroup g = new WorkerGroup("g", Policy.ROUND_ROBIN);
    WorkerInstance a = instance(g, "a", 10);
    WorkerInstance b = instance(g, "b", 10);
    WorkerInstance c = instance(g, "c", 10);
    List<WorkerInstance> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      order.add(dispatch(g));
    }
    assertEquals(List.of(a, b, c, a, b, c), order);
  }

  @Test
  void aMuchSlowerInstanceIsUsedOnlyWhenTheOthersAreBusy() {
    WorkerGroup g = new WorkerGroup("g", Policy.LEAST_OUTSTANDING);
    WorkerInstance slow = instance(g, "slow", 16);
    List<WorkerInstance> fast = List.of(instance(g, "f1", 16), instance(g, "f2", 16),
        instance(g, "f3", 16));
    for (WorkerInstance f : fast) {
      served(f, MS);
    }
    served(slow, 10 * MS);
    g.reweigh();
    assertEquals(10, slow.weight);
    assertEquals(1, fast.get(0).weight);
    // Light load: requests go to the fast instances only.
    for (int i = 0; i < 27; i++) {
      assertTrue(dispatch(g) != slow, "request " + i);
    }
    // Each fast instance now has 9 outstanding: (9 + 1) x 1 = (0 + 1) x 10, a tie; the slow
    // one has waited longest.
    assertSame(slow, dispatch(g));
  }

  @Test
  void anInstanceThatWasSlowIsTriedAgain() {
    WorkerGroup g = new WorkerGroup("g", Policy.LEAST_OUTSTANDING);
    WorkerInstance a = instance(g, "a", 4);
    WorkerInstance b = instance(g, "b", 4);
    WorkerInstance c = instance(g, "c", 4);
    served(a, MS);
    served(b, MS);
    served(c, 64 * MS);
    g.reweigh();
    assertEquals(64, c.weight);
    // c gets nothing; each round without requests halves its excess over the median.
    for (int round = 0; round < 10 && c.weight > 1; round++) {
      g.reweigh();
    }
    assertEquals(1, c.weight);
  }

  @Test
  void drainingAndLostInstancesAreNeverChosen() {
    for (Policy policy : Policy.values()) {
      WorkerGroup g = new WorkerGroup("g", policy);
      WorkerInstance a = instance(g, "a", 4);
      WorkerInstance b = instance(g, "b", 4);
      a.draining = true;
      g.balancer.removed(a);
      b.peer.gone = true;
      g.balancer.removed(b);
      assertNull(dispatch(g), policy.toString());
    }
  }
}
