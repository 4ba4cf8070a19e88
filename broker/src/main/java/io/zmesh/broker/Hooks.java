package io.zmesh.broker;

import io.zmesh.Code;
import io.zmesh.proto.Ready;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the broker loop tells the embedding application and does for it: the {@link
 * WorkerListener} and {@link RequestListener} calls, and draining an instance by its id.
 * Broker-loop thread only.
 */
final class Hooks {
  private static final Logger log = LoggerFactory.getLogger(Hooks.class);

  private final WorkerListener listener;
  private final RequestListener requests;

  Hooks(WorkerListener listener, RequestListener requests) {
    this.listener = listener;
    this.requests = requests;
  }

  void requestDone(String worker, Code code, long nanos) {
    if (requests != null) {
      try {
        requests.onRequestDone(worker, code, nanos);
      } catch (RuntimeException e) {
        log.warn("request listener failed", e);
      }
    }
  }

  void ready(WorkerInstance instance) {
    if (listener != null) {
      try {
        listener.onReady(event(instance));
      } catch (RuntimeException e) {
        log.warn("worker listener failed on ready", e);
      }
    }
  }

  void left(WorkerInstance instance) {
    if (listener != null) {
      try {
        listener.onLeft(event(instance));
      } catch (RuntimeException e) {
        log.warn("worker listener failed on left", e);
      }
    }
  }

  private static WorkerEvent event(WorkerInstance instance) {
    Ready r = instance.ready;
    return new WorkerEvent(instance.group.name, instance.instanceId, r.getPid(), r.getHost());
  }

  /**
   * Takes the instance with id {@code instanceId} out of its balancer, as its own DRAIN would:
   * nothing new is routed to it, what it holds stays. Returns whether one was found.
   */
  static boolean drain(RequestRouter router, String instanceId) {
    for (WorkerGroup group : router.groups.values()) {
      for (WorkerInstance w : group.instances) {
        if (w.instanceId.equals(instanceId)) {
          w.draining = true;
          group.balancer.removed(w);
          return true;
        }
      }
    }
    return false;
  }
}
