package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.core.internal.Ticker;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import zmq.Msg;

/** An Error on any broker thread stops the broker and reaches the fatal-error handler. */
@Timeout(60)
class FatalErrorTest {
  private static final int POISON_SIZE = 77_777;

  @Test
  void anErrorOnAJeroMqIoThreadStopsTheBroker() throws Exception {
    CompletableFuture<Thread> failed = new CompletableFuture<>();
    Broker broker = Broker.start(TestMesh.options()
        .fatalErrorHandler(e -> failed.complete(Thread.currentThread()))
        .build());
    ZMQ.Context other = ZMQ.context(1);
    ZMQ.Socket pull = null;
    ZMQ.Socket push = null;
    try {
      // A socket of the broker's own context whose I/O thread runs out of memory (as far as
      // it knows) while allocating a frame.
      pull = broker.context().socket(SocketType.PULL);
      pull.setMsgAllocator(size -> {
        if (size == POISON_SIZE) {
          throw new OutOfMemoryError("test: no room for " + size + " bytes");
        }
        return new Msg(size);
      });
      pull.bind("tcp://127.0.0.1:*");
      push = other.socket(SocketType.PUSH);
      push.setLinger(0);
      // Bounded: a send that found no peer within the wait fails the test instead of hanging.
      push.setSendTimeOut((int) TestMesh.SETTLE.toMillis());
      push.connect(pull.getLastEndpoint());
      assertTrue(push.send(new byte[POISON_SIZE], 0), "the poison frame was not sent");

      Thread thread = Await.value(failed, TestMesh.SETTLE);
      assertTrue(thread.getName().contains("iothread"), thread.getName());
      Await.until("broker stopped", TestMesh.SETTLE, () -> !broker.isRunning());
    } finally {
      // Closed whatever happened above, so that terminating the other context cannot hang.
      if (push != null) {
        push.close();
      }
      if (pull != null) {
        pull.close();
      }
      other.term();
      broker.close();
    }
  }

  @Test
  void anErrorOnTheLoopStopsTheBroker() {
    AtomicBoolean poisoned = new AtomicBoolean();
    Ticker ticker = () -> {
      if (poisoned.get()) {
        throw new StackOverflowError("test");
      }
      return System.nanoTime();
    };
    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    Broker broker = Broker.start(TestMesh.options()
        .ticker(ticker)
        .fatalErrorHandler(failed::complete)
        .build());
    try {
      assertTrue(broker.isRunning());
      poisoned.set(true);
      broker.wakeUp();
      Throwable e = Await.value(failed, Duration.ofSeconds(10));
      assertEquals(StackOverflowError.class, e.getClass());
      Await.until("broker stopped", TestMesh.SETTLE, () -> !broker.isRunning());
      assertFalse(broker.isRunning());
    } finally {
      broker.close();
    }
  }
}
