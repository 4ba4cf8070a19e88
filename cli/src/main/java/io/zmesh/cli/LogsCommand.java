package io.zmesh.cli;

import io.zmesh.proto.LogLine;
import io.zmesh.proto.LogsReply;
import io.zmesh.proto.LogsRequest;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.worker.MeshClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zmesh logs [NAME]}: the newest lines of the instances' output. */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
        "Print the newest lines the instances wrote (standard output and error) and what the"
            + " supervisor said about them, as 'APP-N STREAM | line'.",
        "The full output is in each app's log files (docs/supervisor.md)."})
final class LogsCommand implements Callable<Integer> {
  /** How often --follow asks for new lines. */
  static final Duration FOLLOW_INTERVAL = Duration.ofMillis(500);

  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Only this app.")
  String app;

  @Option(names = {"-n", "--lines"}, paramLabel = "N", defaultValue = "50",
      description = "Lines to print first (default: ${DEFAULT-VALUE}).")
  int lines;

  @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until interrupted.")
  boolean follow;

  @Override
  public Integer call() throws InterruptedException {
    if (lines < 0) {
      throw new Main.UsageException("--lines must not be negative");
    }
    PrintWriter out = spec.commandLine().getOut();
    LogsRequest.Builder request = LogsRequest.newBuilder()
        .setApp(app == null ? "" : app)
        .setLines(Math.max(lines, 1));
    try (MeshClient client = SupervisorCall.connect(broker)) {
      long after = 0;
      boolean first = true;
      do {
        if (!first) {
          Thread.sleep(FOLLOW_INTERVAL.toMillis());
        }
        LogsReply r = SupervisorCall.call(client, broker, Supervisor.LOGS,
            request.setAfter(after).build(), LogsReply.class, Duration.ofSeconds(10));
        if (!first || lines > 0) {
          for (LogLine l : r.getLinesList()) {
            out.println(l.getApp() + "-" + l.getSlot() + " " + l.getStream() + " | "
                + l.getText());
          }
        }
        out.flush();
        after = r.getLast();
        first = false;
        request.setLines(10_000);
      } while (follow);
    }
    return 0;
  }
}
