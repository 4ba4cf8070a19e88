package io.zmesh.samples;

import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.WorkerTable;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshException;
import io.zmesh.worker.MeshOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zmesh demo}: a broker in this process, the sample workers as processes of their own,
 * and a client showing requests travel client -> broker -> worker -> broker -> client.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Start a broker and the sample workers (db and chat) as separate processes,"
        + " send requests through them and show each route, then stop everything gracefully.")
public final class Demo implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--bind", paramLabel = "ENDPOINT", defaultValue = BrokerOptions.DEFAULT_BIND,
      description = "Where the broker listens (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--chat-instances", paramLabel = "N", defaultValue = "2",
      description = "chat worker processes to start (default: ${DEFAULT-VALUE}).")
  int chatInstances;

  @Option(names = "--keep-running",
      description = "Leave broker and workers running until Ctrl-C, to try zmesh ls and zmesh call.")
  boolean keepRunning;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (chatInstances < 1 || chatInstances > 16) {
      throw new IllegalArgumentException("--chat-instances must be in [1, 16]");
    }
    List<Process> workers = new ArrayList<>();
    try (Broker broker = Broker.start(BrokerOptions.builder().bind(bind).build())) {
      String endpoint = broker.endpoint();
      say("broker listening on %s", endpoint);
      workers.add(spawn("db", DbWorker.class, endpoint));
      for (int i = 1; i <= chatInstances; i++) {
        workers.add(spawn("chat-" + i, ChatWorker.class, endpoint));
      }
      try (MeshClient client = MeshClient.connect(
          MeshOptions.builder().broker(endpoint).clientName("demo").build())) {
        awaitWorkers(client, Duration.ofSeconds(60));
        conversation(client);
        if (keepRunning) {
          say("");
          say("running; try in another terminal:");
          say("  bin/zmesh ls --broker %s", endpoint);
          say("  bin/zmesh call chat zmesh.samples.HistoryRequest '{\"room\":\"lobby\"}' --broker %s",
              endpoint);
          say("Ctrl-C stops everything");
          CountDownLatch interrupted = new CountDownLatch(1);
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(workers);
            interrupted.countDown();
          }));
          interrupted.await();
        }
      }
      stop(workers);
    } finally {
      for (Process p : workers) {
        p.destroyForcibly();
      }
    }
    say("done");
    return 0;
  }

  private void conversation(MeshClient client) {
    say("");
    say("1. typed requests by name; chat asks db to store each post");
    String[][] posts = {
        {"ann", "hello, mesh"}, {"bob", "hi ann"}, {"ann", "who handles this?"}, {"bob", "any chat"},
    };
    for (String[] p : posts) {
      PostMessage post = PostMessage.newBuilder().setRoom("lobby").setUser(p[0]).setText(p[1]).build();
      long start = System.nanoTime();
      PostAck ack = client.call("chat", post, PostAck.class);
      say("   client -> broker -> chat[%s] -> broker -> db -> broker -> chat -> broker -> client:"
          + " stored as #%d in %.1f ms", ack.getHandledBy(), ack.getIndex(), ms(start));
    }
    History history = client.call("chat",
        HistoryRequest.newBuilder().setRoom("lobby").build(), History.class);
    say("   history of lobby (%d lines):", history.getLinesCount());
    for (ChatLine line : history.getLinesList()) {
      say("     #%d %s: %s", line.getIndex(), line.getUser(), line.getText());
    }

    say("");
    say("2. every failure is a typed Status");
    expectFailure(() -> client.call("search", HistoryRequest.getDefaultInstance(), History.class));
    expectFailure(() -> client.call("chat",
        PostMessage.newBuilder().setRoom("lobby").setUser("eve").build(), PostAck.class));
    expectFailure(() -> client.call("db", PostMessage.getDefaultInstance(), PostAck.class));
    expectFailure(() -> client.call("nobody-yet", HistoryRequest.getDefaultInstance(),
        History.class, CallOptions.DEFAULT.withWaitForWorker(true).withTimeout(Duration.ofMillis(300))));

    say("");
    say("3. zmesh ls");
    ListWorkersReply workers = client.call(Names.SERVICE_WORKERS,
        ListWorkersRequest.getDefaultInstance(), ListWorkersReply.class);
    for (String line : WorkerTable.render(workers).split("\n")) {
      say("   %s", line);
    }
  }

  private void expectFailure(Runnable call) {
    try {
      call.run();
      say("   unexpected success");
    } catch (MeshException e) {
      say("   %s", e.status());
    }
  }

  private void awaitWorkers(MeshClient client, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      ListWorkersReply reply = client.call(Names.SERVICE_WORKERS,
          ListWorkersRequest.getDefaultInstance(), ListWorkersReply.class);
      long chats = reply.getWorkersList().stream().filter(w -> w.getName().equals("chat")).count();
      long dbs = reply.getWorkersList().stream().filter(w -> w.getName().equals("db")).count();
      if (dbs >= 1 && chats >= chatInstances) {
        say("workers registered: db x%d, chat x%d", dbs, chats);
        return;
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException("workers did not register within " + timeout.toSeconds()
            + " s: db x" + dbs + ", chat x" + chats);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  private Process spawn(String label, Class<?> main, String endpoint) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.showDateTime=false", main.getName(), "--broker", endpoint);
    pb.redirectErrorStream(true);
    Process process = pb.start();
    say("started %s (pid %d)", label, process.pid());
    Thread relay = new Thread(() -> relay(label, process), "demo-relay-" + label);
    relay.setDaemon(true);
    relay.start();
    return process;
  }

  private void relay(String label, Process process) {
    try (BufferedReader in = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        say("   [%s] %s", label, line);
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  private void stop(List<Process> workers) {
    say("");
    say("stopping workers with SIGTERM: each drains, then disconnects");
    for (Process p : workers) {
      p.destroy();
    }
    for (Process p : workers) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }

  private synchronized void say(String format, Object... args) {
    out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
    out.flush();
  }

  private static double ms(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }
}
