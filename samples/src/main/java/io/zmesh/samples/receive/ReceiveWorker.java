package io.zmesh.samples.receive;

import io.zmesh.samples.MeshArgs;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code receive}: runs the {@link Gateway} until SIGTERM or Ctrl-C. */
@Command(name = "receive", mixinStandardHelpOptions = true,
    description = "Run the receive gateway: the chat page at /, a WebSocket at /ws that makes"
        + " requests to workers by name and delivers topic messages, and /healthz.")
public final class ReceiveWorker implements Callable<Integer> {
  @Mixin
  MeshArgs mesh;

  @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
      description = "Port to listen on; 0 picks a free one, logged at start (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--max-frame-chars", paramLabel = "N",
      defaultValue = "" + GatewayOptions.DEFAULT_MAX_FRAME_CHARS,
      description = "Longest text frame a socket may send; longer ones get an error frame"
          + " (default: ${DEFAULT-VALUE}).")
  int maxFrameChars;

  @Option(names = "--max-in-flight", paramLabel = "N",
      defaultValue = "" + GatewayOptions.DEFAULT_MAX_IN_FLIGHT,
      description = "Requests one socket may have waiting for answers (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--max-outbound-bytes", paramLabel = "N",
      defaultValue = "" + GatewayOptions.DEFAULT_MAX_OUTBOUND_BYTES,
      description = "Bytes waiting to be sent to one socket: past half of it topic messages are"
          + " dropped (and counted), past all of it the socket is (default: ${DEFAULT-VALUE}).")
  long maxOutboundBytes;

  @Option(names = "--max-subscriptions", paramLabel = "N",
      defaultValue = "" + GatewayOptions.DEFAULT_MAX_SUBSCRIPTIONS,
      description = "Topic patterns one socket may subscribe to (default: ${DEFAULT-VALUE}).")
  int maxSubscriptions;

  @Option(names = "--allow-worker", paramLabel = "NAME",
      description = "Only this worker may be asked through the gateway (repeat for more);"
          + " without it, any worker but the broker's own services.")
  java.util.Set<String> allowedWorkers = new java.util.LinkedHashSet<>();

  /** {@code java ... io.zmesh.samples.receive.ReceiveWorker --help}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ReceiveWorker()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    GatewayOptions options;
    try {
      options = GatewayOptions.builder().host(host).port(port).maxFrameChars(maxFrameChars)
          .maxInFlight(maxInFlight).maxOutboundBytes(maxOutboundBytes)
          .maxSubscriptions(maxSubscriptions).allowedWorkers(allowedWorkers).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    Gateway gateway;
    try {
      gateway = Gateway.start(options,
          Worker.builder().broker(mesh.broker()).concurrency(4).closeOnShutdown(false));
    } catch (IOException e) {
      System.err.println("receive: cannot listen on " + host + ":" + port + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage())
          + " (--port 0 picks a free port)");
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      stopped.countDown();
    }, "receive-shutdown"));
    stopped.await();
    return 0;
  }
}
