package io.zmesh.samples;

import io.zmesh.MeshException;
import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.JoinRoom;
import io.zmesh.samples.proto.Joined;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.receive.GatewayClient;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zmesh demo}: the sample application as separate processes (the broker, db on embedded
 * H2, two chat instances, and receive, the WebSocket gateway serving the chat page), a short
 * scripted exchange through them, then serving the page until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Start the broker, db, two chat instances and receive as separate processes,"
        + " run a short scripted exchange (a request by name, a worker-to-worker call, a topic"
        + " message reaching a WebSocket), then serve the chat page until Ctrl-C.")
public final class Demo implements Callable<Integer> {
  private static final Duration START = Duration.ofSeconds(90);

  @Spec
  CommandSpec spec;

  @Option(names = "--bind", paramLabel = "ENDPOINT", defaultValue = "tcp://127.0.0.1:5555",
      description = "Where the broker listens (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
      description = "Port of the chat page; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "zmesh-data",
      description = "db's embedded database directory; the history stays there between runs"
          + " (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--chat-instances", paramLabel = "N", defaultValue = "2",
      description = "chat processes to start (default: ${DEFAULT-VALUE}).")
  int chatInstances;

  @Option(names = "--script-only",
      description = "Run the scripted exchange, then stop everything and exit.")
  boolean scriptOnly;

  private PrintWriter out;

  /** {@code bin/zmesh demo} runs this. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (chatInstances < 1 || chatInstances > 16) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--chat-instances must be in [1, 16]");
    }
    LocalMesh mesh = new LocalMesh(this::say, true, true);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      say("");
      say("stopping: workers drain and disconnect (SIGTERM), then the broker");
      mesh.close();
      say("stopped");
      stopped.countDown();
    }, "demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    String endpoint = mesh.startBroker(bind, START);
    say("broker listening on %s", endpoint);
    mesh.startSample("db", null, "db", "--broker", endpoint, "--data", data.toString());
    for (int i = 1; i <= chatInstances; i++) {
      mesh.startSample("chat-" + i, null, "chat", "--broker", endpoint);
    }
    LocalMesh.Started receive = mesh.startSample("receive", "receive listening on ",
        "receive", "--broker", endpoint, "--port", String.valueOf(port));
    String line = LocalMesh.await(receive, START);
    String page = line.substring(line.indexOf("http://")).split(" ")[0];
    try (MeshClient client = MeshClient.connect(
        MeshOptions.builder().broker(endpoint).clientName("demo").build())) {
      Map<String, Long> workers = LocalMesh.awaitWorkers(client,
          Map.of("db", 1, "chat", chatInstances, "receive", 1), START);
      say("");
      say("running, each a process of its own:");
      mesh.running().forEach(r -> say("   %s", r));
      say("workers registered: db x%d, chat x%d, receive x%d", workers.get("db"),
          workers.get("chat"), workers.get("receive"));
      say("db keeps its data in %s (embedded H2)", data.toAbsolutePath().normalize());
      say("chat page: %s", page);
      script(client, page, endpoint, mesh);
    }
    if (scriptOnly) {
      Runtime.getRuntime().removeShutdownHook(hook);
      hook.run();
      return 0;
    }
    say("");
    say("serving; open %s in a browser (two windows, one room). Ctrl-C stops everything.", page);
    say("try also: bin/zmesh ls --broker %s", endpoint);
    stopped.await();
    return 0;
  }

  private void script(MeshClient client, String page, String endpoint, LocalMesh mesh)
      throws Exception {
    String room = "demo";
    say("");
    say("1. a request by name: demo -> broker -> chat (one of %d instances)", chatInstances);
    Joined joined = client.call(ChatWorker.NAME,
        JoinRoom.newBuilder().setRoom(room).setUser("ann").build(), Joined.class);
    say("   JoinRoom{room: %s, user: ann} -> chat[%s]: room '%s' with %d messages%s", room,
        joined.getHandledBy(), joined.getRoom().getName(), joined.getRoom().getMessages(),
        joined.getNewMember() ? ", ann joined" : ", ann was a member");

    say("");
    say("2. a worker-to-worker call: chat asks db (chat -> broker -> db) to store each post");
    for (String text : new String[] {"hello, mesh", "who stores this?", "db, in SQL"}) {
      long start = System.nanoTime();
      PostAck ack = client.call(ChatWorker.NAME, PostMessage.newBuilder().setRoom(room)
          .setUser("ann").setText(text).setClientId(UUID.randomUUID().toString()).build(),
          PostAck.class);
      say("   PostMessage \"%s\" -> chat[%s] -> db: stored as #%d (%.1f ms)", text,
          ack.getHandledBy(), ack.getSeq(), (System.nanoTime() - start) / 1e6);
    }
    History history = client.call(ChatWorker.NAME,
        HistoryRequest.newBuilder().setRoom(room).setLimit(3).build(), History.class);
    say("   HistoryRequest -> chat -> db: the newest %d of room '%s':", history.getLinesCount(),
        room);
    history.getLinesList().forEach(l -> say("     #%d %s: %s", l.getSeq(), l.getUser(), l.getText()));

    say("");
    say("3. a topic message reaching a WebSocket: a program connects to %sws like the page", page);
    try (GatewayClient ws = GatewayClient.connect(GatewayClient.webSocketUri(page),
        Duration.ofSeconds(10))) {
      exchange(ws, "{\"id\":1,\"subscribe\":\"" + ChatWorker.topic(room) + "\"}", "subscribed");
      exchange(ws, "{\"id\":2,\"to\":\"chat\",\"type\":\"zmesh.samples.JoinRoom\","
          + "\"data\":{\"room\":\"" + room + "\",\"user\":\"bob\"}}", "\"id\":2");
      String post = "{\"id\":3,\"to\":\"chat\",\"type\":\"zmesh.samples.PostMessage\","
          + "\"data\":{\"room\":\"" + room + "\",\"user\":\"bob\",\"text\":\"hi from a WebSocket\"}}";
      say("   -> %s", post);
      ws.send(post);
      // The answer and the published post arrive in either order.
      for (int seen = 0; seen < 2; seen++) {
        String frame = ws.next(Duration.ofSeconds(10));
        if (frame == null) {
          throw new IllegalStateException("the gateway sent nothing within 10 s");
        }
        say("   <- %s", frame);
        if (frame.startsWith("{\"topic\"")) {
          say("      (published by chat on %s, delivered by the broker to receive, pushed to"
              + " the socket)", ChatWorker.topic(room));
        }
      }
      say("");
      say("4. every failure is a typed answer, and the socket stays open");
      exchange(ws, "{\"id\":4,\"to\":\"search\",\"type\":\"zmesh.samples.HistoryRequest\"}", null);
      exchange(ws, "{\"id\":5,\"to\":\"chat\",\"type\":\"zmesh.samples.PostMessage\","
          + "\"data\":{\"room\":\"" + room + "\",\"user\":\"bob\",\"text\":\"\"}}", null);
      exchange(ws, "{\"id\":6,\"to\":\"chat\",\"type\":\"zmesh.samples.PostMessage\","
          + "\"data\":{\"room\":\"" + room + "\",\"user\":\"eve\",\"text\":\"hi\"}}", null);
      exchange(ws, "{\"id\":7,\"to\":\"chat\",\"type\":\"zmesh.samples.Nothing\"}", null);
      exchange(ws, "{\"to\":\"chat\"", null);
    }
    try {
      client.call("search", HistoryRequest.getDefaultInstance(), History.class);
    } catch (MeshException e) {
      say("   from Java, the same: %s", e.status());
    }

    say("");
    say("5. zmesh ls");
    mesh.runCommand("   ", "ls", "--broker", endpoint);
  }

  /** Sends {@code frame} and prints it and the answer. */
  private void exchange(GatewayClient ws, String frame, String expect)
      throws InterruptedException {
    say("   -> %s", frame);
    ws.send(frame);
    String answer = ws.next(Duration.ofSeconds(10));
    if (answer == null || expect != null && !answer.contains(expect)) {
      throw new IllegalStateException("unexpected answer to " + frame + ": " + answer);
    }
    say("   <- %s", answer);
  }

  private synchronized void say(String format, Object... args) {
    out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
    out.flush();
  }
}
