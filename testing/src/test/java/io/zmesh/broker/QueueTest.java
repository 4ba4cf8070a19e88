package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int32Value;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.bench.OverloadBench;
import io.zmesh.bench.proto.OverloadReport;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The broker's queue per worker name: bounded, refusing the excess, draining in order. */
@Timeout(60)
class QueueTest {
  @Test
  void aBurstBeyondCreditAndQueueIsRefusedExactly() throws Exception {
    OverloadReport r = OverloadBench.run(2, 3, 10, 50);
    assertEquals(16, r.getExpectedReplies());
    assertEquals(16, r.getReplies());
    assertEquals(34, r.getOverloaded());
    assertEquals(0, r.getOtherErrors());
    assertTrue(r.getExact());
  }

  @Test
  void queuedRequestsDrainInOrderWhenAWorkerReturns() throws Exception {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
      Worker.Builder builder = Worker.builder()
          .name("late")
          .broker(broker.endpoint())
          .concurrency(1)
          .closeOnShutdown(false)
          .handle(Int32Value.class, (req, ctx) -> {
            seen.add(req.getValue());
            return req;
          });
      // Start and stop one instance so the name is known; requests that wait for a worker
      // queue up while none is registered.
      builder.build().start().close();
      CallOptions wait = CallOptions.DEFAULT.withWaitForWorker(true)
          .withTimeout(Duration.ofSeconds(30));
      List<CompletableFuture<Int32Value>> calls = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        calls.add(client.request("late", Int32Value.of(i), Int32Value.class, wait));
      }
      try (Worker returned = builder.build().start()) {
        for (int i = 0; i < 20; i++) {
          assertEquals(i, calls.get(i).get(10, TimeUnit.SECONDS).getValue());
        }
      }
      List<Integer> expected = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        expected.add(i);
      }
      assertEquals(expected, seen, "a single instance with credit 1 sees the queue in order");
    }
  }

  @Test
  void withoutWaitingAnAbsentWorkerIsRefusedAtOnce() throws Exception {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*")
            .queueLimit(0).build());
        MeshClient client = MeshClient.connect(broker.endpoint());
        Worker busy = Worker.builder()
            .name("busy")
            .broker(broker.endpoint())
            .concurrency(1)
            .closeOnShutdown(false)
            .handle(Int32Value.class, (req, ctx) -> {
              Thread.sleep(req.getValue());
              return req;
            })
            .build()
            .start()) {
      CompletableFuture<Int32Value> holding = client.request("busy", Int32Value.of(2_000),
          Int32Value.class);
      // Credit 1 is taken and the queue limit is 0: the next request is refused at once.
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> client.request("busy", Int32Value.of(0), Int32Value.class)
              .get(1, TimeUnit.SECONDS));
      assertEquals(Code.OVERLOADED, ((MeshException) e.getCause()).code());
      assertTrue(e.getCause().getMessage().contains("'busy'"), e.getCause().getMessage());
      assertEquals(2_000, holding.get(10, TimeUnit.SECONDS).getValue());
    }
  }
}
