package io.zmesh.broker;

import java.util.ArrayList;
import java.util.List;

/** The instances registered under one worker name, their balancer and their waiting queue. */
final class WorkerGroup {
  final String name;
  final Policy policy;
  final Balancer balancer;
  /** Requests waiting for credit, or for a first instance. */
  final RequestList queue = new RequestList();
  final List<WorkerInstance> instances = new ArrayList<>();

  WorkerGroup(String name, Policy policy) {
    this.name = name;
    this.policy = policy;
    this.balancer = Balancer.create(policy);
  }

  /** Instances that take new requests. */
  int activeInstances() {
    int n = 0;
    for (WorkerInstance w : instances) {
      if (!w.draining) {
        n++;
      }
    }
    return n;
  }

  boolean isEmpty() {
    return instances.isEmpty() && queue.isEmpty();
  }
}
