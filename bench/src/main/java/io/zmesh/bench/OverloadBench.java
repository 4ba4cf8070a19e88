package io.zmesh.bench;

import com.google.protobuf.Int32Value;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.bench.proto.OverloadReport;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.proto.GroupInfo;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.proto.WorkerInfo;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A burst larger than credit plus queue: the excess must get OVERLOADED at once and the rest
 * replies, counted exactly. Handlers hold every request until the broker has settled the whole
 * burst, so nothing completes early and frees credit.
 */
public final class OverloadBench {
  private OverloadBench() {}

  public static OverloadReport run(int workers, int concurrency, int queueLimit, int burst)
      throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Worker> started = new ArrayList<>();
    try (Broker broker = Broker.start(BrokerOptions.builder()
            .bind("tcp://127.0.0.1:*").queueLimit(queueLimit).build());
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      // Workers go before the broker: closing drains them through it.
      try {
        return burst(broker, client, started, release, workers, concurrency, queueLimit, burst);
      } finally {
        release.countDown();
        for (Worker w : started) {
          w.close();
        }
      }
    }
  }

  private static OverloadReport burst(Broker broker, MeshClient client, List<Worker> started,
      CountDownLatch release, int workers, int concurrency, int queueLimit, int burst)
      throws Exception {
    for (int i = 0; i < workers; i++) {
      started.add(Worker.builder()
          .name("burst")
          .broker(broker.endpoint())
          .concurrency(concurrency)
          .closeOnShutdown(false)
          .handle(Int32Value.class, (req, ctx) -> {
            release.await(60, TimeUnit.SECONDS);
            return req;
          })
          .build()
          .start());
    }
    CallOptions options = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(60));
    List<CompletableFuture<Int32Value>> calls = new ArrayList<>(burst);
    for (int i = 0; i < burst; i++) {
      calls.add(client.request("burst", Int32Value.of(i), Int32Value.class, options));
    }
    long credit = (long) workers * concurrency;
    long accepted = Math.min(burst, credit + queueLimit);
    awaitSettled(client, credit, accepted - Math.min(burst, credit), burst - accepted, calls);
    release.countDown();
    long replies = 0;
    long overloaded = 0;
    long other = 0;
    for (CompletableFuture<Int32Value> call : calls) {
      try {
        call.get(60, TimeUnit.SECONDS);
        replies++;
      } catch (java.util.concurrent.ExecutionException e) {
        if (MeshException.statusOf(e.getCause()).code() == Code.OVERLOADED) {
          overloaded++;
        } else {
          other++;
        }
      }
    }
    return OverloadReport.newBuilder()
        .setWorkers(workers)
        .setConcurrency(concurrency)
        .setQueueLimit(queueLimit)
        .setBurst(burst)
        .setReplies(replies)
        .setOverloaded(overloaded)
        .setOtherErrors(other)
        .setExpectedReplies(accepted)
        .setExact(replies == accepted && overloaded == burst - accepted && other == 0)
        .build();
  }

  /** Waits until the broker shows the burst split into in flight, queued and refused. */
  private static void awaitSettled(MeshClient client, long inFlight, long queued, long refused,
      List<CompletableFuture<Int32Value>> calls) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < end) {
      ListWorkersReply ls = client.call(Names.SERVICE_WORKERS,
          ListWorkersRequest.newBuilder().setName("burst").build(), ListWorkersReply.class);
      long held = 0;
      for (WorkerInfo w : ls.getWorkersList()) {
        held += w.getInFlight();
      }
      long waiting = 0;
      for (GroupInfo g : ls.getGroupsList()) {
        waiting += g.getQueued();
      }
      long done = calls.stream().filter(CompletableFuture::isDone).count();
      if (held == inFlight && waiting == queued && done == refused) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new IllegalStateException("the burst did not settle within 30 s");
  }
}
