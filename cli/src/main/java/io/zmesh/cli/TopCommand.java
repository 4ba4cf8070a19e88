package io.zmesh.cli;

import io.zmesh.proto.AppStatus;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import io.zmesh.supervisor.Supervisor;
import io.zmesh.worker.MeshClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code zmesh top}: a live view of the supervised instances, like {@code pm2 monit}. In a
 * terminal it redraws one screen each interval (JLine handles the raw keyboard and the screen)
 * until {@code q}; otherwise it prints the table each interval, for logs and scripts.
 */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = {
        "A live view of every supervised instance: status, CPU, memory, requests in flight,"
            + " requests and errors per second, restarts, uptime. 'q' quits.",
        "When standard output is not a terminal, prints the table each interval instead."})
final class TopCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
      converter = DurationConverter.class, description = "Refresh (default: ${DEFAULT-VALUE}).")
  Duration interval;

  @Option(names = "--count", paramLabel = "N", defaultValue = "0",
      description = "Stop after N refreshes (default: until q or interrupted).")
  int count;

  private final Map<String, long[]> previous = new HashMap<>();
  private long previousAt;

  @Override
  public Integer call() throws Exception {
    if (interval.toMillis() < 100) {
      throw new Main.UsageException("--interval must be at least 100ms");
    }
    try (MeshClient client = SupervisorCall.connect(broker)) {
      if (System.console() != null) {
        return live(client);
      }
      PrintWriter out = spec.commandLine().getOut();
      for (int i = 0; count == 0 || i < count; i++) {
        if (i > 0) {
          Thread.sleep(interval.toMillis());
        }
        out.println(frame(client));
        out.flush();
      }
      return 0;
    }
  }

  private int live(MeshClient client) throws IOException {
    try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
      Attributes saved = terminal.enterRawMode();
      terminal.puts(Capability.enter_ca_mode);
      terminal.puts(Capability.cursor_invisible);
      try {
        terminal.writer().print("zmesh top: asking the supervisor at " + broker.broker + "\r\n");
        terminal.flush();
        NonBlockingReader keys = terminal.reader();
        for (int i = 0; count == 0 || i < count; i++) {
          String screen = frame(client);
          terminal.puts(Capability.clear_screen);
          int width = Math.max(terminal.getWidth(), 40);
          int height = Math.max(terminal.getHeight(), 5);
          String[] lines = screen.split("\n", -1);
          for (int l = 0; l < lines.length && l < height - 1; l++) {
            String line = lines[l];
            terminal.writer().print(line.length() > width ? line.substring(0, width) : line);
            terminal.writer().print("\r\n");
          }
          terminal.flush();
          int key = keys.read(interval.toMillis());
          if (key == 'q' || key == 'Q' || key == 3 || key == NonBlockingReader.EOF) {
            break;
          }
        }
      } finally {
        terminal.puts(Capability.cursor_visible);
        terminal.puts(Capability.exit_ca_mode);
        terminal.setAttributes(saved);
        terminal.flush();
      }
    }
    return 0;
  }

  /** One screen: a header and the table, with rates since the previous one. */
  private String frame(MeshClient client) {
    SupervisorStatus s = SupervisorCall.call(client, broker, Supervisor.STATUS,
        StatusRequest.getDefaultInstance(), SupervisorStatus.class, Duration.ofSeconds(10));
    long now = System.nanoTime();
    double seconds = previousAt == 0 ? 0 : (now - previousAt) / 1e9;
    Map<String, double[]> rates = new HashMap<>();
    Map<String, long[]> counts = new HashMap<>();
    for (AppStatus a : s.getAppsList()) {
      for (InstanceStatus i : a.getInstanceList()) {
        String key = AppTable.key(i);
        long[] c = {i.getHandled(), i.getErrors()};
        counts.put(key, c);
        long[] p = previous.get(key);
        if (p != null && seconds > 0) {
          rates.put(key, new double[] {
              Math.max(0, c[0] - p[0]) / seconds, Math.max(0, c[1] - p[1]) / seconds});
        }
      }
    }
    previous.clear();
    previous.putAll(counts);
    previousAt = now;
    return "zmesh top  " + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "  supervisor pid "
        + s.getPid() + ", up " + WorkerTable.age(s.getUptimeMs()) + ", broker "
        + String.join(", ", s.getEndpointsList()) + "  (q quits)\n\n"
        + AppTable.render(s, rates);
  }
}
