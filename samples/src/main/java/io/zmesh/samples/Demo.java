package io.zmesh.samples;

import io.zmesh.MeshException;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.ListWorkersRequest;
import io.zmesh.proto.Names;
import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.Inbox;
import io.zmesh.samples.proto.InboxRequest;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.proto.Posted;
import io.zmesh.samples.receive.ReceiveWorker;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
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
import picocli.CommandLine;

/**
 * {@code zmesh demo}: the broker and the sample workers as processes of their own, and a client
 * showing requests travel client -> broker -> worker -> broker -> client, and messages published
 * by one process (chat) reach a subscriber in another (receive).
 *
 * <p>The samples depend on the SDK only: the broker and {@code zmesh ls} are started as the
 * {@code zmesh} command ({@value #CLI_MAIN}) from the class path this process runs on, as a user
 * would start them from a shell.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Start a broker and the sample workers (db, chat and receive) as separate"
        + " processes, send requests through them and show each route, show chat's published"
        + " posts reaching receive, then stop everything gracefully.")
public final class Demo implements Callable<Integer> {
  /** {@code bin/zmesh demo} runs this. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  /** The {@code zmesh} command's main class, on the class path of {@code bin/zmesh}. */
  static final String CLI_MAIN = "io.zmesh.cli.Main";
  private static final String LISTENING = "zmesh broker listening on ";

  @Spec
  CommandSpec spec;

  @Option(names = "--bind", paramLabel = "ENDPOINT", defaultValue = "tcp://127.0.0.1:5555",
      description = "Where the broker listens (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--chat-instances", paramLabel = "N", defaultValue = "2",
      description = "chat worker processes to start (default: ${DEFAULT-VALUE}).")
  int chatInstances;

  @Option(names = "--keep-running",
      description = "Leave broker and workers running until Ctrl-C, to try zmesh ls and zmesh call.")
  boolean keepRunning;

  private PrintWriter out;
  private final List<Thread> relays = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (chatInstances < 1 || chatInstances > 16) {
      throw new IllegalArgumentException("--chat-instances must be in [1, 16]");
    }
    List<Process> workers = new ArrayList<>();
    Process broker = null;
    try {
      broker = start("broker", CLI_MAIN, "broker", "--bind", bind);
      String endpoint = awaitEndpoint(broker);
      say("broker listening on %s", endpoint);
      relay("broker", broker, null);
      workers.add(spawn("db", DbWorker.class, endpoint));
      workers.add(spawn("receive", ReceiveWorker.class, endpoint));
      for (int i = 1; i <= chatInstances; i++) {
        workers.add(spawn("chat-" + i, ChatWorker.class, endpoint));
      }
      try (MeshClient client = MeshClient.connect(
          MeshOptions.builder().broker(endpoint).clientName("demo").build())) {
        awaitWorkers(client, Duration.ofSeconds(60));
        conversation(client, endpoint);
        if (keepRunning) {
          say("");
          say("running; try in another terminal:");
          say("  bin/zmesh ls --broker %s", endpoint);
          say("  bin/zmesh call chat zmesh.samples.HistoryRequest '{\"room\":\"lobby\"}' --broker %s",
              endpoint);
          say("  bin/zmesh sub 'chat.room.>' --broker %s", endpoint);
          say("  bin/zmesh call chat zmesh.samples.PostMessage"
              + " '{\"room\":\"lobby\",\"user\":\"you\",\"text\":\"hi\"}' --broker %s", endpoint);
          say("Ctrl-C stops everything");
          CountDownLatch interrupted = new CountDownLatch(1);
          Process brokerProcess = broker;
          Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop(workers, brokerProcess);
            interrupted.countDown();
          }));
          interrupted.await();
        }
      }
      stop(workers, broker);
    } finally {
      for (Process p : workers) {
        p.destroyForcibly();
      }
      if (broker != null) {
        broker.destroyForcibly();
      }
    }
    say("done");
    return 0;
  }

  private void conversation(MeshClient client, String endpoint)
      throws InterruptedException, IOException {
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
    say("2. pub/sub: chat publishes each stored post to chat.room.<room>;"
        + " receive, another process, subscribed to %s", ReceiveWorker.PATTERN);
    Inbox inbox = awaitInbox(client, "lobby", posts.length);
    say("   chat -> broker -> receive: %d messages on %s (received %d, dropped %d)",
        inbox.getMessagesCount(), ChatWorker.topic("lobby"), inbox.getReceived(),
        inbox.getDropped());
    for (Posted posted : inbox.getMessagesList()) {
      say("     #%d %s: %s (published by chat[%s])", posted.getLine().getIndex(),
          posted.getLine().getUser(), posted.getLine().getText(), posted.getHandledBy());
    }

    say("");
    say("3. every failure is a typed Status");
    expectFailure(() -> client.call("search", HistoryRequest.getDefaultInstance(), History.class));
    expectFailure(() -> client.call("chat",
        PostMessage.newBuilder().setRoom("lobby").setUser("eve").build(), PostAck.class));
    expectFailure(() -> client.call("db", PostMessage.getDefaultInstance(), PostAck.class));
    expectFailure(() -> client.call("nobody-yet", HistoryRequest.getDefaultInstance(),
        History.class, CallOptions.DEFAULT.withWaitForWorker(true).withTimeout(Duration.ofMillis(300))));

    say("");
    say("4. zmesh ls");
    runCommand("ls", "--broker", endpoint);
    say("");
    say("5. zmesh ls --topics");
    runCommand("ls", "--topics", "--broker", endpoint);
  }

  /** Runs {@code zmesh ARGS} to its end, its output indented. */
  private void runCommand(String... args) throws IOException, InterruptedException {
    Process p = start(null, CLI_MAIN, args);
    Thread relay = relay("", p, "   ");
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    relay.join(TimeUnit.SECONDS.toMillis(5));
  }

  /** The receive worker's inbox once it holds {@code count} messages (they travel async). */
  private static Inbox awaitInbox(MeshClient client, String room, int count)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Inbox inbox = client.call("receive", InboxRequest.newBuilder().setRoom(room).build(),
          Inbox.class);
      if (inbox.getMessagesCount() >= count || System.nanoTime() > end) {
        return inbox;
      }
      TimeUnit.MILLISECONDS.sleep(20);
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
      long receivers = reply.getWorkersList().stream()
          .filter(w -> w.getName().equals("receive")).count();
      if (dbs >= 1 && chats >= chatInstances && receivers >= 1) {
        say("workers registered: db x%d, chat x%d, receive x%d", dbs, chats, receivers);
        return;
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException("workers did not register within " + timeout.toSeconds()
            + " s: db x" + dbs + ", chat x" + chats + ", receive x" + receivers);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  private Process spawn(String label, Class<?> main, String endpoint) throws IOException {
    Process process = start(label, main.getName(), "--broker", endpoint);
    relays.add(relay(label, process, null));
    return process;
  }

  /** A JVM on this class path running {@code main}; {@code label} null starts it quietly. */
  private Process start(String label, String main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.showDateTime=false", main));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    Process process = pb.start();
    if (label != null) {
      say("started %s (pid %d)", label, process.pid());
    }
    return process;
  }

  /** The broker's endpoint, from the line {@code zmesh broker} prints once it listens. */
  private static String awaitEndpoint(Process broker) throws IOException {
    BufferedReader in = reader(broker);
    String line;
    StringBuilder seen = new StringBuilder();
    while ((line = in.readLine()) != null) {
      if (line.startsWith(LISTENING)) {
        return line.substring(LISTENING.length()).split(", ")[0].trim();
      }
      seen.append(line).append('\n');
    }
    throw new IllegalStateException("the broker exited before listening:\n" + seen);
  }

  private static BufferedReader reader(Process process) {
    return new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  /** Copies the process's output here, each line after {@code [label]} or {@code indent}. */
  private Thread relay(String label, Process process, String indent) {
    Thread relay = new Thread(() -> {
      try (BufferedReader in = reader(process)) {
        String line;
        while ((line = in.readLine()) != null) {
          if (indent != null) {
            say("%s%s", indent, line);
          } else {
            say("   [%s] %s", label, line);
          }
        }
      } catch (IOException e) {
        // the process is gone
      }
    }, "demo-relay-" + label);
    relay.setDaemon(true);
    relay.start();
    return relay;
  }

  private void stop(List<Process> workers, Process broker) {
    say("");
    say("stopping workers with SIGTERM: each drains, then disconnects");
    for (Process p : workers) {
      p.destroy();
    }
    for (Process p : workers) {
      awaitExit(p);
    }
    // Let the last lines the workers printed through.
    for (Thread relay : relays) {
      try {
        relay.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    say("stopping the broker");
    broker.destroy();
    awaitExit(broker);
  }

  private static void awaitExit(Process p) {
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
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
