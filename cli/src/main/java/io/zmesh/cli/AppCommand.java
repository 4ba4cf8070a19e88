package io.zmesh.cli;

import com.google.protobuf.Message;
import io.zmesh.proto.AppReply;
import io.zmesh.proto.AppRequest;
import io.zmesh.proto.ScaleRequest;
import io.zmesh.proto.SupervisorStatus;
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

/** {@code zmesh restart|reload|scale}: one write request about one app, then its table. */
abstract class AppCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  BrokerOption broker;

  @Parameters(index = "0", paramLabel = "NAME", description = "The app, as named in the file.")
  String app;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m",
      converter = DurationConverter.class,
      description = "Longest wait for every instance (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  abstract String service();

  abstract Message request();

  @Override
  public Integer call() {
    AppReply r;
    try (MeshClient client = SupervisorCall.connect(broker)) {
      r = SupervisorCall.call(client, broker, service(), request(), AppReply.class, timeout);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(app + ": " + r.getMessage());
    out.print(AppTable.render(SupervisorStatus.newBuilder().addApps(r.getApp()).build(), null));
    out.flush();
    return r.getFailed() == 0 ? 0 : 1;
  }

  @Command(name = "restart", mixinStandardHelpOptions = true,
      description = "Stop and start each instance of an app in turn (requests wait at the broker"
          + " meanwhile). Also brings errored instances back.")
  static final class Restart extends AppCommand {
    @Override
    String service() {
      return Supervisor.RESTART;
    }

    @Override
    Message request() {
      return AppRequest.newBuilder().setApp(app).build();
    }
  }

  @Command(name = "reload", mixinStandardHelpOptions = true,
      description = "Replace each instance of an app in turn without a failed request: start the"
          + " new one, wait for its READY, then drain and stop the old one.")
  static final class Reload extends AppCommand {
    @Override
    String service() {
      return Supervisor.RELOAD;
    }

    @Override
    Message request() {
      return AppRequest.newBuilder().setApp(app).build();
    }
  }

  @Command(name = "scale", mixinStandardHelpOptions = true,
      description = "Run N instances of an app: start new ones (and wait for them) or drain and"
          + " stop the highest numbered.")
  static final class Scale extends AppCommand {
    @Parameters(index = "1", paramLabel = "N", description = "Instances, 0 to 1000.")
    int instances;

    @Override
    String service() {
      return Supervisor.SCALE;
    }

    @Override
    Message request() {
      if (instances < 0 || instances > 1000) {
        throw new Main.UsageException("N must be from 0 to 1000: " + instances);
      }
      return ScaleRequest.newBuilder().setApp(app).setInstances(instances).build();
    }
  }
}
