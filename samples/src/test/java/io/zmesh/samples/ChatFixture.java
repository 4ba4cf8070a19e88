package io.zmesh.samples;

import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.db.Database;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.receive.Gateway;
import io.zmesh.samples.receive.GatewayOptions;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The chat application in the test's JVM: a real broker on a loopback port, db on a real
 * database, chat instances and the gateway, each a real worker. Everything started is stopped
 * by {@link #close()}, newest first.
 */
public final class ChatFixture implements AutoCloseable {
  public final TestMesh mesh = TestMesh.start();
  private final Path dir;

  public ChatFixture(Path dir) {
    this.dir = dir;
  }

  /** A worker builder set up for tests: this broker, quick reconnects, no JVM hook. */
  public Worker.Builder configure(Worker.Builder builder) {
    return builder.options(TestMesh.meshOptions(mesh.endpoint()))
        .closeOnShutdown(false)
        .drainTimeout(Duration.ofSeconds(5));
  }

  /** The embedded H2 database under this fixture's directory. */
  public Database h2() {
    return Database.open(Database.h2Url(dir.resolve("h2")), "sa", "", 4, Duration.ofSeconds(2));
  }

  /** A db worker on {@code database}, started (registered); both closed with the fixture. */
  public Worker startDb(Database database) {
    mesh.track(database);
    return mesh.track(configure(DbWorker.builder(database, Duration.ofSeconds(20))).build())
        .start();
  }

  public Worker startChat() {
    return mesh.track(configure(ChatWorker.builder()).build()).start();
  }

  /** The gateway on a free loopback port, registered. */
  public Gateway startGateway(GatewayOptions.Builder options) throws Exception {
    Gateway gateway = mesh.track(Gateway.start(options.host("127.0.0.1").port(0).build(),
        configure(Worker.builder())));
    io.zmesh.testing.Await.value(gateway.registered(), TestMesh.SETTLE);
    return gateway;
  }

  public MeshClient client() {
    return mesh.client();
  }

  @Override
  public void close() {
    mesh.close();
  }
}
