package io.zmesh.bench;

import com.google.protobuf.InvalidProtocolBufferException;
import io.zmesh.bench.proto.ProcessCost;
import io.zmesh.bench.proto.PubSubRun;
import io.zmesh.bench.proto.Run;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListTopicsRequest;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.worker.MeshClient;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code zmesh bench pubsub --procs} and {@code zmesh bench reqrep --procs}: the topology users
 * run, one process per part, for zmesh and for the raw baseline alike. Pub/sub: the broker (or
 * the raw proxy), one process holding every subscriber, one publisher. Request/reply: the broker
 * (or the raw forwarder), one process holding the workers (or echoes), one holding the clients.
 * Each run starts its processes afresh and stops them after.
 */
public final class ProcsBench {
  private static final long SYNC_WAIT_SECONDS = 3_600;

  private ProcsBench() {}

  /** One pub/sub run: zmesh, or the raw baseline when {@code raw}. */
  public static PubSubRun.Builder pubsub(PubSubBench.Config c, boolean raw) throws Exception {
    List<ChildProcess> children = new ArrayList<>();
    try {
      ChildProcess hub = start(children, raw ? "proxy" : "broker");
      String[] ep = hub.expect("ready").split(" ");
      ChildProcess subs = raw
          ? start(children, "rsubs", ep[1], Integer.toString(c.subscribers()))
          : start(children, "zsubs", ep[0], Integer.toString(c.subscribers()),
              Integer.toString(c.stalled()), Boolean.toString(c.inline()),
              Integer.toString(c.size()));
      subs.expect("ready");
      ChildProcess pub = raw
          ? start(children, "rpub", ep[0], Integer.toString(c.size()),
              Integer.toString(c.subscribers()))
          : start(children, "zpub", ep[0], Integer.toString(c.size()));
      pub.expect("ready");
      subs.expect("flowing");
      TimeUnit.MILLISECONDS.sleep((long) (c.warmupSeconds() * 1000));
      for (ChildProcess p : children) {
        p.startMeasuring();
      }
      TimeUnit.NANOSECONDS.sleep((long) (c.seconds() * 1e9));
      List<ProcessCost.Builder> costs = new ArrayList<>();
      PubSubRun.Builder run = null;
      PubSubRun published = null;
      long heap = 0;
      for (ChildProcess p : children) {
        ProcessCost.Builder cost = ProcessCost.newBuilder();
        PubSubRun r = PubSubRun.parseFrom(decode(p.stopMeasuring(cost)));
        costs.add(cost);
        if (p == subs) {
          run = r.toBuilder();
        } else if (p == pub) {
          published = r;
        } else {
          heap = r.getBrokerHeapBytes();
        }
      }
      run.setPublished(published.getPublished())
          .setPublishedPerSecond(published.getPublishedPerSecond())
          .setDeliveredShare(published.getPublished() > 0
              ? (double) run.getDelivered() / (published.getPublished() * c.subscribers()) : 0)
          .setBrokerHeapBytes(heap);
      if (!raw && c.stalled() > 0) {
        stalled(ep[0], run);
      }
      for (ProcessCost.Builder cost : costs) {
        run.addCosts(perMessage(cost, run.getDelivered()));
      }
      return run;
    } finally {
      close(children);
    }
  }

  /** What the broker dropped and holds for the stalled subscriptions, from zmesh.topics. */
  private static void stalled(String endpoint, PubSubRun.Builder run) {
    try (MeshClient admin = MeshClient.connect(endpoint)) {
      ListTopicsReply topics = admin.call("zmesh.topics",
          ListTopicsRequest.newBuilder().setTopic(PubSubBench.TOPIC).build(),
          ListTopicsReply.class);
      for (SubscriptionInfo s : topics.getSubscriptionsList()) {
        if (s.getClientName().startsWith("bench-stalled-")) {
          run.setStalledDropped(run.getStalledDropped() + s.getDropped());
          run.setStalledOutstandingBytes(run.getStalledOutstandingBytes()
              + s.getOutstandingBytes());
        }
      }
    }
  }

  /** One request/reply run: zmesh, or the raw baseline when {@code raw}. */
  public static Run.Builder reqrep(ReqRepBench.Config c, boolean sync, long warmupRequests,
      boolean raw) throws Exception {
    List<ChildProcess> children = new ArrayList<>();
    String service = "bench";
    try {
      ChildProcess hub = raw
          ? start(children, "forwarder", Integer.toString(c.workers()))
          : start(children, "broker");
      String[] ep = hub.expect("ready").split(" ");
      ChildProcess workers = raw
          ? start(children, "recho", ep[1], Integer.toString(c.workers()))
          : start(children, "zworkers", ep[0], service, Integer.toString(c.workers()),
              Boolean.toString(c.inline()), Integer.toString(c.concurrency()));
      workers.expect("ready");
      ChildProcess clients = start(children, raw ? "rclients" : "zclients", ep[0], service,
          Integer.toString(c.clients()), Integer.toString(c.window()),
          Boolean.toString(c.inline()), Integer.toString(c.size()), Boolean.toString(sync),
          Long.toString(warmupRequests), Long.toString(c.requests()));
      // Sequential calls of a warm-up take as long as they take on a busy machine.
      clients.expect("ready", sync ? SYNC_WAIT_SECONDS : 60);
      if (!sync) {
        TimeUnit.MILLISECONDS.sleep((long) (c.warmupSeconds() * 1000));
      }
      for (ChildProcess p : children) {
        p.startMeasuring();
      }
      if (sync) {
        clients.expect("measured", SYNC_WAIT_SECONDS);
      } else {
        TimeUnit.NANOSECONDS.sleep((long) (c.seconds() * 1e9));
      }
      List<ProcessCost.Builder> costs = new ArrayList<>();
      Run.Builder run = null;
      for (ChildProcess p : children) {
        ProcessCost.Builder cost = ProcessCost.newBuilder();
        String result = p.stopMeasuring(cost);
        costs.add(cost);
        if (p == clients) {
          run = Run.parseFrom(decode(result)).toBuilder();
        }
      }
      for (ProcessCost.Builder cost : costs) {
        run.addCosts(perMessage(cost, run.getReplies()));
      }
      return run;
    } finally {
      close(children);
    }
  }

  private static ChildProcess start(List<ChildProcess> children, String role, String... args) {
    ChildProcess p = ChildProcess.start(role, args);
    children.add(p);
    return p;
  }

  private static byte[] decode(String base64) throws InvalidProtocolBufferException {
    return Base64.getDecoder().decode(base64.trim());
  }

  private static ProcessCost perMessage(ProcessCost.Builder cost, long messages) {
    if (messages > 0) {
      cost.setCpuUsPerMessage(cost.getCpuMs() * 1000 / messages)
          .setSwitchesPerMessage(
              (double) (cost.getVoluntarySwitches() + cost.getInvoluntarySwitches()) / messages)
          .setBytesPerMessage((double) cost.getAllocatedBytes() / messages);
    }
    return cost.build();
  }

  /** Clients first, the broker last, so that nobody reconnects to a broker that left. */
  private static void close(List<ChildProcess> children) throws InterruptedException {
    for (int i = children.size() - 1; i >= 0; i--) {
      children.get(i).close();
    }
  }
}
