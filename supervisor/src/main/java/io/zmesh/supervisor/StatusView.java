package io.zmesh.supervisor;

import io.zmesh.core.internal.Ticker;
import io.zmesh.proto.AppStatus;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.WorkerInfo;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** The supervisor's tables as {@code zmesh.supervisor.status} answers them. Control thread. */
final class StatusView {
  private StatusView() {}

  static AppStatus app(App app, ListWorkersReply workers, long now) {
    Map<String, WorkerInfo> byId = new HashMap<>();
    for (WorkerInfo w : workers.getWorkersList()) {
      byId.put(w.getInstanceId(), w);
    }
    AppStatus.Builder a = AppStatus.newBuilder()
        .setName(app.spec.name)
        .setWorker(app.spec.worker)
        .setInstances(app.desired)
        .setOnline(app.online())
        .setStatus(app.status());
    for (Slot s : app.slots) {
      boolean any = false;
      for (Instance inst : new Instance[] {s.current, s.replacement}) {
        if (inst != null) {
          a.addInstance(instance(s, inst, byId, now));
          any = true;
        }
      }
      if (!any) {
        a.addInstance(InstanceStatus.newBuilder()
            .setApp(app.spec.name)
            .setSlot(s.index)
            .setStatus(s.state.name().toLowerCase(Locale.ROOT))
            .setRestarts(s.restarts)
            .setLastExit(s.lastExit)
            .setRestartInMs(s.state == Slot.State.WAITING
                ? Math.max(0, (s.restartAt - now) / Ticker.MS) : 0));
      }
    }
    return a.build();
  }

  private static InstanceStatus instance(Slot s, Instance inst, Map<String, WorkerInfo> byId,
      long now) {
    InstanceStatus.Builder b = InstanceStatus.newBuilder()
        .setApp(s.app.spec.name)
        .setSlot(s.index)
        .setPid(inst.pid)
        .setStatus(inst.state.name().toLowerCase(Locale.ROOT))
        .setRestarts(s.restarts)
        .setUptimeMs(inst.uptimeNanos(now) / Ticker.MS)
        .setCpuPercent(inst.cpuPercent)
        .setMemoryBytes(Math.max(0, inst.rssBytes))
        .setLastExit(s.lastExit);
    WorkerInfo w = inst.instanceId == null ? null : byId.get(inst.instanceId);
    if (inst.instanceId != null) {
      b.setInstanceId(inst.instanceId);
    }
    if (w != null) {
      b.setInFlight(w.getInFlight())
          .setHandled(w.getHandled())
          .setErrors(w.getErrors())
          .setBrokerState(w.getState());
    }
    return b.build();
  }
}
