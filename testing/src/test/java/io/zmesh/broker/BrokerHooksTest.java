package io.zmesh.broker;

import static io.zmesh.testing.Await.assertFails;
import static io.zmesh.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.Status;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the broker offers an application that embeds it (the supervisor): worker events, its
 * own services under zmesh., held names and drain by instance id.
 */
@Timeout(60)
class BrokerHooksTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void listenerHearsReadyAndLeftOnTheLoopThread() throws Exception {
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    WorkerListener listener = new WorkerListener() {
      @Override
      public void onReady(WorkerEvent e) {
        events.add("ready " + e.name() + " " + e.instanceId() + " " + e.pid() + " "
            + Thread.currentThread().getName());
      }

      @Override
      public void onLeft(WorkerEvent e) {
        events.add("left " + e.name() + " " + e.instanceId());
        throw new IllegalStateException("a failing listener is only logged");
      }
    };
    try (TestMesh mesh = TestMesh.start(TestMesh.options().workerListener(listener))) {
      Worker w = mesh.startWorker("echo", b -> b.instanceId("e-1")
          .handle(StringValue.class, (s, ctx) -> s));
      assertEquals("ready echo e-1 " + ProcessHandle.current().pid() + " zmesh-broker",
          events.poll(10, TimeUnit.SECONDS));
      w.close();
      assertEquals("left echo e-1", events.poll(10, TimeUnit.SECONDS));
      // The broker goes on: a second worker registers and is heard.
      mesh.startWorker("echo", b -> b.instanceId("e-2").handle(StringValue.class, (s, c) -> s));
      assertTrue(events.poll(10, TimeUnit.SECONDS).startsWith("ready echo e-2"));
    }
  }

  @Test
  void applicationServicesRunOffTheLoopAndSayWhetherTheyWrite() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    BrokerService read = BrokerService.of("zmesh.test.name", BrokerService.Access.READ,
        StringValue.class, r -> StringValue.of(r.getValue() + " on "
            + Thread.currentThread().getName()));
    BrokerService slow = BrokerService.of("zmesh.test.slow", BrokerService.Access.WRITE,
        StringValue.class, r -> {
          release.await(20, TimeUnit.SECONDS);
          return StringValue.of("done");
        });
    BrokerService failing = BrokerService.of("zmesh.test.fail", BrokerService.Access.WRITE,
        StringValue.class, r -> {
          switch (r.getValue()) {
            case "status":
              throw Status.PERMISSION_DENIED.withDescription("not you").asException();
            case "argument":
              throw new IllegalArgumentException("bad value");
            default:
              throw new IllegalStateException("bug");
          }
        });
    BrokerOptions.Builder options = TestMesh.options().service(read).service(slow)
        .service(failing);
    assertThrows(IllegalArgumentException.class, () -> options.service(read));
    assertThrows(IllegalArgumentException.class, () -> options.service(BrokerService.of(
        "zmesh.workers", BrokerService.Access.READ, StringValue.class, r -> r)));
    assertThrows(IllegalArgumentException.class, () -> BrokerService.of("mine",
        BrokerService.Access.READ, StringValue.class, r -> r));
    assertEquals(BrokerService.Access.WRITE, options.build().services().get("zmesh.test.slow")
        .access());
    try (TestMesh mesh = TestMesh.start(options)) {
      MeshClient client = mesh.client();
      CallOptions call = CallOptions.DEFAULT.withTimeout(WAIT);
      // A blocked handler holds its service thread, not the loop: everything else is served.
      CompletableFuture<StringValue> blocked =
          client.request("zmesh.test.slow", StringValue.of(""), StringValue.class, call);
      StringValue r = value(client.request("zmesh.test.name", StringValue.of("hi"),
          StringValue.class, call), WAIT);
      assertTrue(r.getValue().startsWith("hi on zmesh-broker-service-"), r.getValue());
      assertTrue(mesh.stats().getPeers() >= 1, "the loop answers its own services meanwhile");
      assertFalse(blocked.isDone());
      release.countDown();
      assertEquals("done", value(blocked, WAIT).getValue());
      assertFails(Code.PERMISSION_DENIED, client.request("zmesh.test.fail",
          StringValue.of("status"), StringValue.class, call), WAIT, "not you");
      assertFails(Code.INVALID_ARGUMENT, client.request("zmesh.test.fail",
          StringValue.of("argument"), StringValue.class, call), WAIT, "bad value");
      assertFails(Code.INTERNAL, client.request("zmesh.test.fail", StringValue.of("x"),
          StringValue.class, call), WAIT, "zmesh.test.fail", "bug");
      assertFails(Code.INVALID_ARGUMENT, client.request("zmesh.test.name",
          com.google.protobuf.Int32Value.of(1), StringValue.class, call), WAIT,
          "google.protobuf.Int32Value", "expected google.protobuf.StringValue");
    }
  }

  @Test
  void heldNamesWaitForAFirstInstanceInsteadOfNoWorker() throws Exception {
    try (TestMesh mesh = TestMesh.start()) {
      MeshClient client = mesh.client();
      CallOptions call = CallOptions.DEFAULT.withTimeout(WAIT);
      assertFails(Code.NO_WORKER, client.request("later", StringValue.of("a"),
          StringValue.class, call), WAIT);
      mesh.broker().holdRequests("later", true);
      Await.until("the hold is in effect", WAIT, () -> {
        CompletableFuture<StringValue> f = client.request("later", StringValue.of("probe"),
            StringValue.class, CallOptions.DEFAULT.withTimeout(Duration.ofMillis(200)));
        return codeOf(f) == Code.DEADLINE_EXCEEDED;
      });
      CompletableFuture<StringValue> waiting =
          client.request("later", StringValue.of("b"), StringValue.class, call);
      mesh.startWorker("later", b -> b.handle(StringValue.class, (s, ctx) -> s));
      assertEquals("b", value(waiting, WAIT).getValue());
      assertThrows(IllegalArgumentException.class,
          () -> mesh.broker().holdRequests("bad name", true));
    }
  }

  private static Code codeOf(CompletableFuture<?> f) {
    return Await.failure(f, WAIT).code();
  }

  @Test
  void drainByInstanceIdRoutesNothingNewThere() throws Exception {
    try (TestMesh mesh = TestMesh.start()) {
      mesh.startWorker("pair", b -> b.instanceId("a").handle(StringValue.class,
          (s, ctx) -> StringValue.of("a")));
      mesh.startWorker("pair", b -> b.instanceId("b").handle(StringValue.class,
          (s, ctx) -> StringValue.of("b")));
      assertTrue(value(mesh.broker().drain("a"), WAIT));
      assertFalse(value(mesh.broker().drain("nobody"), WAIT));
      MeshClient client = mesh.client();
      for (int i = 0; i < 20; i++) {
        assertEquals("b", client.call("pair", StringValue.of(""), StringValue.class).getValue());
      }
      List<io.zmesh.proto.WorkerInfo> workers = value(mesh.broker().workers(), WAIT)
          .getWorkersList();
      assertEquals(2, workers.size());
      assertEquals("draining", workers.stream().filter(w -> w.getInstanceId().equals("a"))
          .findFirst().orElseThrow().getState());
    }
  }
}
