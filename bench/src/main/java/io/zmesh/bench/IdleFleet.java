package io.zmesh.bench;

import io.zmesh.core.transport.Sockets;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Ready;
import io.zmesh.proto.Wire;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * Registered worker instances that never get a request, to show that dispatch cost does not
 * grow with the number of instances and names. They live in child processes of 2,500 sockets
 * each (a JeroMQ socket costs three file descriptors), speak the wire protocol directly, answer
 * heartbeats, and exit when their parent closes their standard input.
 */
final class IdleFleet implements AutoCloseable {
  static final int PER_PROCESS = 2_500;
  /** Instances per worker name: 10,000 instances make 1,000 names. */
  static final int PER_NAME = 10;

  private final List<Process> processes;

  private IdleFleet(List<Process> processes) {
    this.processes = processes;
  }

  /** Starts {@code instances} idle instances and returns once the broker accepted all. */
  static IdleFleet start(String broker, int instances, Duration heartbeat) throws IOException {
    List<Process> processes = new ArrayList<>();
    IdleFleet fleet = new IdleFleet(processes);
    try {
      for (int offset = 0; offset < instances; offset += PER_PROCESS) {
        int n = Math.min(PER_PROCESS, instances - offset);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx768m", "-cp", System.getProperty("java.class.path"),
            IdleFleet.class.getName(), broker, Integer.toString(offset), Integer.toString(n),
            Long.toString(heartbeat.toMillis()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        processes.add(p);
      }
      for (Process p : processes) {
        BufferedReader out = new BufferedReader(
            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("registered")) {
          throw new IllegalStateException("idle fleet process failed to register: " + line);
        }
      }
      return fleet;
    } catch (IOException | RuntimeException e) {
      fleet.close();
      throw e;
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      try {
        p.getOutputStream().close();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (IOException e) {
        p.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  /** Child process: {@code broker offset count heartbeat-ms}. */
  public static void main(String[] args) throws Exception {
    String broker = args[0];
    int offset = Integer.parseInt(args[1]);
    int count = Integer.parseInt(args[2]);
    long heartbeatMs = Long.parseLong(args[3]);
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // wait for EOF
        }
      } catch (IOException e) {
        // parent gone
      }
      System.exit(0);
    }, "idle-fleet-parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();

    // A context refuses its 1,024th socket by default (EMFILE).
    ZMQ.Context context = Sockets.newContext(count + 16);
    List<ZMQ.Socket> sockets = new ArrayList<>(count);
    long pid = ProcessHandle.current().pid();
    byte[] hello = Wire.encode(Envelope.newBuilder().setCommand(Command.HELLO)
        .setHello(Hello.newBuilder().setClientName("idle").setPid(pid).setHost("bench")
            .setProtocol(Wire.PROTOCOL)).build());
    byte[] beat = Wire.encode(Envelope.newBuilder().setCommand(Command.HEARTBEAT).build());
    for (int i = 0; i < count; i++) {
      int n = offset + i;
      ZMQ.Socket s = Sockets.newSocket(context, SocketType.DEALER);
      s.setLinger(0);
      // Heartbeats to a socket still connecting would queue by the thousand per socket.
      s.setSndHWM(8);
      s.connect(broker);
      send(s, hello);
      send(s, Wire.encode(Envelope.newBuilder().setCommand(Command.READY).setId(1)
          .setReady(Ready.newBuilder().setName("idle-" + n / PER_NAME).setInstanceId("idle-" + n)
              .setConcurrency(1).setPid(pid).setHost("bench"))
          .build()));
      sockets.add(s);
    }
    int registered = 0;
    boolean announced = false;
    // Each pass reads every socket and beats a quarter of them: one beat per instance per
    // heartbeat interval, as the SDK does, so the broker sees the heartbeat load of that many
    // real instances and no more.
    int passes = 0;
    while (true) {
      for (int i = 0; i < sockets.size(); i++) {
        ZMQ.Socket s = sockets.get(i);
        byte[] body;
        while ((body = s.recv(ZMQ.DONTWAIT)) != null) {
          if (Wire.decode(body).getCommand() == Command.REPLY) {
            registered++;
          }
        }
        if (i % 4 == passes % 4) {
          send(s, beat);
        }
      }
      passes++;
      if (!announced && registered >= count) {
        System.out.println("registered " + registered);
        System.out.flush();
        announced = true;
      }
      TimeUnit.MILLISECONDS.sleep(heartbeatMs / 4);
    }
  }

  private static void send(ZMQ.Socket s, byte[] body) {
    s.send(body, ZMQ.DONTWAIT);
  }
}
