package io.zmesh.samples;

import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.proto.JoinRoom;
import io.zmesh.samples.proto.Joined;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.receive.GatewayClient;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * The gateway's load figure: N WebSocket clients posting through receive -> chat -> db, each
 * one post at a time (a closed loop), beside the same N loops posting straight to chat with a
 * {@link MeshClient}, in the same run against the same processes. The sides take turns, round
 * after round, the first side alternating, and the report gives each round and the medians.
 */
@Command(name = "gateway-bench", mixinStandardHelpOptions = true,
    description = "Measure posts through the WebSocket gateway (receive -> chat -> db) beside"
        + " the same posts made with MeshClient, on a broker, db, chat and receive started as"
        + " processes here. Prints requests/s and latency percentiles of each side per round,"
        + " and the ratio of the medians.")
public final class GatewayBench implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--clients", paramLabel = "N", defaultValue = "1000",
      description = "Concurrent clients on each side, one post in flight each (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--rooms", paramLabel = "N", defaultValue = "50",
      description = "Rooms the clients post to, client i in room i mod N (default: ${DEFAULT-VALUE}).")
  int rooms;

  @Option(names = "--chat-instances", paramLabel = "N", defaultValue = "2",
      description = "chat processes (default: ${DEFAULT-VALUE}).")
  int chatInstances;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "20s", converter = MeshArgs.DurationConverter.class,
      description = "Measured time of each side in each round (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "10s", converter = MeshArgs.DurationConverter.class,
      description = "Unmeasured time of each side before the first round (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
      description = "Rounds of both sides (default: ${DEFAULT-VALUE}).")
  int rounds;

  private PrintWriter out;

  /** What one side did in one measured stretch. */
  private record Result(String side, double perSecond, double p50Ms, double p99Ms, double p999Ms,
      long errors) {
    String line() {
      return String.format(Locale.ROOT, "%-8s %9.0f req/s  p50 %8.2f ms  p99 %8.2f ms"
          + "  p99.9 %8.2f ms  errors %d", side, perSecond, p50Ms, p99Ms, p999Ms, errors);
    }
  }

  /** One side: starts its loops, which post until told to stop. */
  private interface Side {
    String name();

    Result run(Duration length, boolean record) throws Exception;
  }

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (clients < 1 || rooms < 1 || rounds < 1 || chatInstances < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--clients, --rooms, --rounds and --chat-instances must be at least 1");
    }
    Path data = Files.createTempDirectory("zmesh-gateway-bench");
    try (LocalMesh mesh = new LocalMesh(this::say, false, false)) {
      String endpoint = mesh.startBroker("tcp://127.0.0.1:*", Duration.ofSeconds(60));
      mesh.startSample("db", null, "db", "--broker", endpoint, "--data", data.toString());
      for (int i = 1; i <= chatInstances; i++) {
        mesh.startSample("chat-" + i, null, "chat", "--broker", endpoint);
      }
      LocalMesh.Started receive = mesh.startSample("receive", "receive listening on ",
          "receive", "--broker", endpoint, "--port", "0");
      String line = LocalMesh.await(receive, Duration.ofSeconds(60));
      URI ws = GatewayClient.webSocketUri(line.substring(line.indexOf("http://")).split(" ")[0]);
      MeshOptions options = MeshOptions.builder().broker(endpoint).clientName("gateway-bench")
          .callOptions(CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(30))).build();
      try (MeshClient client = MeshClient.connect(options)) {
        LocalMesh.awaitWorkers(client, Map.of("db", 1, "chat", chatInstances, "receive", 1),
            Duration.ofSeconds(60));
        say("gateway bench: %d clients a side, %d rooms, %d chat instances, db on H2; %d rounds"
            + " of %d s a side after %d s of warm-up", clients, rooms, chatInstances, rounds,
            duration.toSeconds(), warmup.toSeconds());
        for (int i = 0; i < clients; i++) {
          client.request(ChatWorker.NAME, JoinRoom.newBuilder().setRoom(room(i))
              .setUser(user(i)).build(), Joined.class).join();
        }
        HttpClient http = HttpClient.newHttpClient();
        try (WebSockets gateway = new WebSockets(http, ws)) {
          Side direct = new Direct(client);
          for (Side side : List.of(gateway, direct)) {
            side.run(warmup, false);
          }
          Map<String, List<Result>> results = new HashMap<>();
          for (int r = 1; r <= rounds; r++) {
            List<Side> order = r % 2 == 1 ? List.of(gateway, direct) : List.of(direct, gateway);
            for (Side side : order) {
              Result result = side.run(duration, true);
              results.computeIfAbsent(side.name(), k -> new ArrayList<>()).add(result);
              say("round %d  %s", r, result.line());
            }
          }
          Result g = median("gateway", results.get("gateway"));
          Result d = median("direct", results.get("direct"));
          say("median   %s", g.line());
          say("median   %s", d.line());
          say("gateway / direct: throughput %.2f, p50 %.2f, p99 %.2f", g.perSecond() / d.perSecond(),
              g.p50Ms() / d.p50Ms(), g.p99Ms() / d.p99Ms());
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(data)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    return 0;
  }

  private String room(int client) {
    return "bench-" + (client % rooms);
  }

  private static String user(int client) {
    return "u" + client;
  }

  /** Each figure's median over the rounds, taken figure by figure; errors summed. */
  private static Result median(String side, List<Result> list) {
    return new Result(side, median(list, Result::perSecond), median(list, Result::p50Ms),
        median(list, Result::p99Ms), median(list, Result::p999Ms),
        list.stream().mapToLong(Result::errors).sum());
  }

  private static double median(List<Result> list, ToDoubleFunction<Result> figure) {
    double[] sorted = list.stream().mapToDouble(figure).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** Runs the loops for {@code length}, then waits for the posts in flight. */
  private static Result measure(String side, Duration length, boolean record,
      BiConsumer<Loop, AtomicBoolean> start, int loops) throws Exception {
    Histogram latencies = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(1), 3);
    LongAdder done = new LongAdder();
    LongAdder errors = new LongAdder();
    AtomicBoolean running = new AtomicBoolean(true);
    List<CompletableFuture<Void>> finished = new ArrayList<>();
    long begin = System.nanoTime();
    for (int i = 0; i < loops; i++) {
      Loop loop = new Loop(i, latencies, done, errors, new CompletableFuture<>());
      finished.add(loop.finished());
      start.accept(loop, running);
    }
    TimeUnit.NANOSECONDS.sleep(length.toNanos());
    running.set(false);
    long elapsed = System.nanoTime() - begin;
    long completed = done.sum();
    CompletableFuture.allOf(finished.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    if (!record) {
      return null;
    }
    return new Result(side, completed / (elapsed / 1e9),
        latencies.getValueAtPercentile(50) / 1000.0, latencies.getValueAtPercentile(99) / 1000.0,
        latencies.getValueAtPercentile(99.9) / 1000.0, errors.sum());
  }

  /** One client's closed loop: its counters and when it has stopped. */
  private record Loop(int client, Histogram latencies, LongAdder done, LongAdder errors,
      CompletableFuture<Void> finished) {
    void record(long startNanos, boolean ok) {
      latencies.recordValue(Math.min(latencies.getHighestTrackableValue(),
          (System.nanoTime() - startNanos) / 1000));
      done.increment();
      if (!ok) {
        errors.increment();
      }
    }
  }

  /** Posts with MeshClient, straight to chat. */
  private final class Direct implements Side {
    private final MeshClient client;

    Direct(MeshClient client) {
      this.client = client;
    }

    @Override
    public String name() {
      return "direct";
    }

    @Override
    public Result run(Duration length, boolean record) throws Exception {
      return measure(name(), length, record, (loop, running) -> next(loop, running, 0), clients);
    }

    private void next(Loop loop, AtomicBoolean running, long n) {
      if (!running.get()) {
        loop.finished().complete(null);
        return;
      }
      long start = System.nanoTime();
      client.request(ChatWorker.NAME, PostMessage.newBuilder().setRoom(room(loop.client()))
              .setUser(user(loop.client())).setText("direct " + n).build(), PostAck.class)
          .whenComplete((ack, failure) -> {
            loop.record(start, failure == null);
            next(loop, running, n + 1);
          });
    }
  }

  /** Posts through the gateway: one WebSocket per client, opened once for every round. */
  private final class WebSockets implements Side, AutoCloseable {
    private final List<GatewayClient> sockets = new ArrayList<>();
    /** What each socket does with its next answer; replaced per run. */
    private final Map<Integer, Consumer<String>> onAnswer = new ConcurrentHashMap<>();

    WebSockets(HttpClient http, URI uri) throws Exception {
      List<CompletableFuture<GatewayClient>> connecting = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        int client = i;
        connecting.add(GatewayClient.connect(http, uri,
            frame -> onAnswer.getOrDefault(client, f -> { }).accept(frame)));
      }
      for (CompletableFuture<GatewayClient> c : connecting) {
        sockets.add(c.get(60, TimeUnit.SECONDS));
      }
    }

    @Override
    public String name() {
      return "gateway";
    }

    @Override
    public Result run(Duration length, boolean record) throws Exception {
      return measure(name(), length, record, (loop, running) -> {
        long[] sent = new long[2];
        onAnswer.put(loop.client(), frame -> {
          loop.record(sent[0], frame.contains("\"ok\":true"));
          send(loop, running, sent);
        });
        send(loop, running, sent);
      }, clients);
    }

    private void send(Loop loop, AtomicBoolean running, long[] sent) {
      if (!running.get()) {
        loop.finished().complete(null);
        return;
      }
      long n = ++sent[1];
      sent[0] = System.nanoTime();
      sockets.get(loop.client()).send("{\"id\":" + n + ",\"to\":\"chat\",\"type\":"
          + "\"zmesh.samples.PostMessage\",\"timeout_ms\":30000,\"data\":{\"room\":\""
          + room(loop.client()) + "\",\"user\":\"" + user(loop.client()) + "\",\"text\":"
          + "\"gateway " + n + "\"}}");
    }

    @Override
    public void close() {
      sockets.forEach(GatewayClient::close);
    }
  }

  private synchronized void say(String format, Object... args) {
    out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
    out.flush();
  }
}
