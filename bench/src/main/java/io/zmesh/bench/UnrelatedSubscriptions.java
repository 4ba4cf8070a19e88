package io.zmesh.bench;

import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.Wire;
import io.zmesh.proto.WireException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Subscriptions that no bench topic matches, registered cheaply: one connection speaking the
 * wire protocol sends all the SUBSCRIBEs, then only answers heartbeats until closed. Their
 * patterns spread over the trie's shapes: under a shared prefix ({@code unrelated.<n>.x},
 * {@code unrelated.<n>.*}), at the root ({@code u<n>.>}) and under a root wildcard ({@code
 * *.u<n>}), so a publish walks past crowded nodes.
 */
final class UnrelatedSubscriptions implements AutoCloseable {
  private static final int HWM = 1_000_000;
  private static final int POLL_MS = 100;
  /** SUBSCRIBEs sent before the answers that came back are read. */
  private static final int CHUNK = 1_000;

  private final Thread thread;
  private volatile boolean running = true;

  private UnrelatedSubscriptions(String broker, int count, CompletableFuture<Void> registered) {
    thread = new Thread(() -> run(broker, count, registered), "bench-unrelated-subscriptions");
    thread.setDaemon(true);
  }

  static String pattern(int i) {
    switch (i % 4) {
      case 0:
        return "unrelated." + i + ".x";
      case 1:
        return "unrelated." + i + ".*";
      case 2:
        return "u" + i + ".>";
      default:
        return "*.u" + i;
    }
  }

  /** Registers {@code count} subscriptions and returns once the broker accepted them all. */
  static UnrelatedSubscriptions register(String broker, int count) throws Exception {
    CompletableFuture<Void> registered = new CompletableFuture<>();
    UnrelatedSubscriptions u = new UnrelatedSubscriptions(broker, count, registered);
    u.thread.start();
    try {
      registered.get(120, TimeUnit.SECONDS);
      return u;
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      u.close();
      throw new IllegalStateException("registering " + count + " subscriptions failed", e);
    }
  }

  private void run(String broker, int count, CompletableFuture<Void> registered) {
    ZMQ.Context context = Sockets.newContext(0);
    try (ZMQ.Socket s = RawBaseline.socket(context, SocketType.DEALER)) {
      s.setSndHWM(HWM);
      s.setRcvHWM(HWM);
      s.setReceiveTimeOut(POLL_MS);
      s.connect(broker);
      send(s, Envelope.newBuilder().setCommand(Command.HELLO)
          .setHello(Hello.newBuilder().setClientName("bench-unrelated")
              .setPid(ProcessHandle.current().pid()).setProtocol(Wire.PROTOCOL))
          .build());
      Envelope welcome = null;
      while (welcome == null && running) {
        welcome = receive(s);
      }
      if (welcome == null) {
        return;
      }
      long heartbeatNanos = welcome.getWelcome().getHeartbeatIntervalMs() * 1_000_000L;
      int answered = 0;
      for (int i = 0; i < count; i++) {
        send(s, Envelope.newBuilder().setCommand(Command.SUBSCRIBE).setId(i + 1L)
            .setSubscribe(Subscribe.newBuilder().setPattern(pattern(i)))
            .build());
        if ((i + 1) % CHUNK == 0) {
          answered += drain(s, registered);
        }
      }
      if (answered == count) {
        registered.complete(null);
      }
      long lastSent = System.nanoTime();
      while (running) {
        Envelope e = receive(s);
        if (e != null && answered < count) {
          answered += answer(e, registered);
          if (answered == count) {
            registered.complete(null);
          }
        }
        if (System.nanoTime() - lastSent > heartbeatNanos / 2) {
          send(s, Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
          lastSent = System.nanoTime();
        }
      }
      send(s, Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
    } catch (RuntimeException e) {
      registered.completeExceptionally(e);
    } finally {
      context.term();
    }
  }

  /** Reads the answers already there; returns how many SUBSCRIBEs they accepted. */
  private static int drain(ZMQ.Socket s, CompletableFuture<Void> registered) {
    int n = 0;
    byte[] body;
    while ((body = s.recv(ZMQ.DONTWAIT)) != null) {
      n += answer(decode(body), registered);
    }
    return n;
  }

  private static int answer(Envelope e, CompletableFuture<Void> registered) {
    if (e.getCommand() == Command.ERROR) {
      registered.completeExceptionally(new IllegalStateException(e.getStatus().getMessage()));
    }
    return e.getCommand() == Command.REPLY ? 1 : 0;
  }

  private static Envelope receive(ZMQ.Socket s) {
    byte[] body = s.recv(0);
    return body == null ? null : decode(body);
  }

  private static Envelope decode(byte[] body) {
    try {
      return Wire.decode(body);
    } catch (WireException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(ZMQ.Socket s, Envelope e) {
    s.send(Wire.encode(e), 0);
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
