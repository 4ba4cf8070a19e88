package io.zmesh.cli;

import com.google.protobuf.Any;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MessageContext;
import io.zmesh.worker.Subscription;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zmesh sub PATTERN [--group G] [--count N] [--timeout D]}. */
@Command(
    name = "sub",
    mixinStandardHelpOptions = true,
    description = {
        "Subscribe to a topic pattern and print each message as one line of JSON:"
            + " {\"topic\":...,\"type\":...,\"message\":{...},\"dropped\":n}, where dropped counts"
            + " the messages the broker dropped just before this one because this subscriber fell"
            + " behind. Runs until interrupted, --count messages or --timeout.",
        "PATTERN: tokens separated by '.', '*' matches one token, a last '>' one or more.",
        "Exit code 0 after --count messages, at --timeout without --count, or on interrupt;"
            + " 12 (DEADLINE_EXCEEDED) when --timeout passes before --count messages;"
            + " 16 (INVALID_ARGUMENT) for an invalid pattern; 19 (UNAVAILABLE) when the broker"
            + " cannot be reached."},
    footer = {"", "Examples:", "  zmesh sub 'chat.room.>'",
        "  zmesh sub 'orders.*' --group billing --count 10 --timeout 30s"})
final class SubCommand implements Callable<Integer> {
  /** How long to wait for the broker to accept the subscription. */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", paramLabel = "PATTERN", description = "Topic pattern, e.g. chat.>.")
  String pattern;

  @Option(names = "--group", paramLabel = "G", defaultValue = "",
      description = "Share the messages with the other subscribers of this group and pattern.")
  String group;

  @Option(names = "--count", paramLabel = "N", defaultValue = "0",
      description = "Stop after N messages (default: no limit).")
  long count;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Stop after this long (default: no limit).")
  Duration timeout;

  @Override
  public Integer call() throws InterruptedException {
    if (count < 0) {
      throw new Main.UsageException("--count must not be negative: " + count);
    }
    PrintWriter out = spec.commandLine().getOut();
    CallOptions lookups = CallOptions.DEFAULT.withTimeout(READY_TIMEOUT);
    // Two callback threads: the handler may wait for a zmesh.types answer, completed on the other.
    ExecutorService callbacks = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "zmesh-sub-callbacks");
      t.setDaemon(true);
      return t;
    });
    MessageTypes types = MessageTypes.builtin();
    CountDownLatch done = new CountDownLatch(1);
    long[] received = {0};
    Thread hook = null;
    try (MeshClient client = broker.connect(broker.options()
        .callbackExecutor(callbacks).callOptions(lookups))) {
      Subscription subscription = client.subscribe(pattern, group, Any.class, (any, ctx) -> {
        String type = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
        try {
          types.learn(client, lookups, type);
        } catch (MeshException e) {
          // The broker could not be asked this time: print the message undecoded.
        }
        out.println(line(types, any, type, ctx));
        out.flush();
        if (++received[0] == count) {
          ctx.subscription().close();
          done.countDown();
        }
      });
      awaitReady(subscription);
      // Interrupted (Ctrl-C): say goodbye so the broker forgets the subscription at once.
      hook = new Thread(client::close, "zmesh-sub-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      if (timeout == null) {
        done.await();
      } else if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        subscription.close();
        if (count > 0) {
          throw Status.DEADLINE_EXCEEDED.withDescription("received " + subscription.delivered()
              + " of " + count + " messages within " + timeout.toMillis() + " ms").asException();
        }
      }
      return 0;
    } finally {
      if (hook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running
        }
      }
      callbacks.shutdownNow();
    }
  }

  private static void awaitReady(Subscription subscription) throws InterruptedException {
    try {
      subscription.ready().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw MeshException.statusOf(e.getCause()).asException(e.getCause());
    } catch (TimeoutException e) {
      throw Status.UNAVAILABLE.withDescription("the broker did not accept the subscription within "
          + READY_TIMEOUT.toMillis() + " ms").asException(e);
    }
  }

  private static String line(MessageTypes types, Any any, String type, MessageContext ctx) {
    String message;
    try {
      message = types.toJson(any, true);
    } catch (IllegalStateException doesNotParse) {
      message = MessageTypes.rawJson(any, true);
    }
    return "{\"topic\":" + MessageTypes.quote(ctx.topic())
        + ",\"type\":" + MessageTypes.quote(type)
        + ",\"message\":" + message
        + ",\"dropped\":" + ctx.dropped() + "}";
  }
}
