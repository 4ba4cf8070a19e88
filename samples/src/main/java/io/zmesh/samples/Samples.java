package io.zmesh.samples;

import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.receive.ReceiveWorker;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The samples' main: {@code java -jar zmesh-samples.jar db|chat|receive|demo|gateway-bench}
 * (or {@code java -cp 'dist/target/lib/*' io.zmesh.samples.Samples ...}); each has {@code --help}.
 */
@Command(name = "zmesh-samples", mixinStandardHelpOptions = true,
    description = "The zmesh sample application: run one of its processes, or the demo of all.",
    subcommands = {DbWorker.class, ChatWorker.class, ReceiveWorker.class, Demo.class,
        GatewayBench.class})
public final class Samples implements Runnable {
  /** Runs the process named by the first argument. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new Samples()).execute(args));
  }

  /** Without a process named: the usage. */
  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }
}
