package io.zmesh.samples.db;

import io.zmesh.MeshException;
import io.zmesh.samples.MeshArgs;
import io.zmesh.samples.proto.AddMember;
import io.zmesh.samples.proto.ListRooms;
import io.zmesh.samples.proto.ReadHistory;
import io.zmesh.samples.proto.StoreMessage;
import io.zmesh.worker.RequestContext;
import io.zmesh.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code db} worker: owns the chat data in a SQL database over JDBC. Embedded H2 in a file
 * by default, or any database by {@code --jdbc-url} (MariaDB and PostgreSQL drivers are on the
 * class path); the same code runs on each. It registers only once the database answers and its
 * schema is migrated; database failures become typed statuses (a database that went away is
 * {@code UNAVAILABLE} within the connect timeout, a conflicting request {@code
 * INVALID_ARGUMENT}).
 *
 * <p>Several instances may share one server database; an embedded H2 file belongs to one.
 */
@Command(name = "db", mixinStandardHelpOptions = true,
    description = "Run the db worker: the chat's rooms, members and messages in a SQL database.")
public final class DbWorker implements Callable<Integer> {
  /** The name chat addresses. */
  public static final String NAME = "db";

  @Mixin
  MeshArgs mesh;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "zmesh-data",
      description = "Directory of the embedded H2 database, when no --jdbc-url is given"
          + " (default: ${DEFAULT-VALUE}, under the working directory).")
  Path data;

  @Option(names = "--jdbc-url", paramLabel = "URL",
      description = "A database server instead, e.g. jdbc:mariadb://127.0.0.1:3306/chat or"
          + " jdbc:postgresql://127.0.0.1:5432/chat. The schema is created in it.")
  String jdbcUrl;

  @Option(names = "--user", paramLabel = "NAME", defaultValue = "sa", description = "Database user (default: ${DEFAULT-VALUE}).")
  String user;

  @Option(names = "--password", paramLabel = "PASSWORD", defaultValue = "${env:ZMESH_DB_PASSWORD}",
      description = "Database password (default: $ZMESH_DB_PASSWORD, else none).")
  String password;

  @Option(names = "--pool-size", paramLabel = "N", defaultValue = "8",
      description = "Connections, and requests handled at once (default: ${DEFAULT-VALUE}).")
  int poolSize;

  @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "2s",
      converter = MeshArgs.DurationConverter.class,
      description = "Longest wait for a database connection before a request fails with"
          + " UNAVAILABLE (default: ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  @Option(names = "--start-timeout", paramLabel = "DURATION", defaultValue = "60s",
      converter = MeshArgs.DurationConverter.class,
      description = "Longest wait at start for the database to answer (default: ${DEFAULT-VALUE}).")
  Duration startTimeout;

  /** {@code java ... io.zmesh.samples.db.DbWorker --help}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DbWorker()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (poolSize < 1 || poolSize > 256) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--pool-size must be in [1, 256]");
    }
    String url = jdbcUrl;
    if (url == null) {
      Files.createDirectories(data);
      url = Database.h2Url(data);
    }
    Database database = Database.open(url, user, password == null ? "" : password, poolSize,
        connectTimeout);
    Worker worker = builder(database, startTimeout)
        .broker(mesh.broker())
        .concurrency(poolSize)
        .closeOnShutdown(false)
        .build();
    // Drain first, then close the pool: requests in flight finish against the database.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      worker.close();
      database.close();
    }, "db-shutdown"));
    try {
      worker.start();
    } catch (MeshException e) {
      System.err.println("db: " + e.status());
      database.close();
      return 1;
    }
    worker.awaitTermination();
    return 0;
  }

  /**
   * The db worker on {@code database}, to be given a broker and built. Its start hook migrates
   * the schema and waits up to {@code startTimeout} for the database to answer; the worker
   * registers only after.
   */
  public static Worker.Builder builder(Database database, Duration startTimeout) {
    ChatStore store = new ChatStore(database.pool());
    return Worker.builder()
        .name(NAME)
        .concurrency(8)
        .startTimeout(startTimeout.plusSeconds(10))
        .onStart(w -> database.awaitReady(startTimeout))
        .handle(AddMember.class, (req, ctx) -> sql(() -> store.addMember(req, left(ctx))))
        .handle(StoreMessage.class, (req, ctx) -> sql(() -> store.store(req, left(ctx))))
        .handle(ReadHistory.class, (req, ctx) -> sql(() -> store.history(req, left(ctx))))
        .handle(ListRooms.class, (req, ctx) -> sql(() -> store.rooms(req, left(ctx))));
  }

  private static Duration left(RequestContext ctx) {
    Duration left = ctx.timeRemaining();
    return left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left;
  }

  /** Runs a database call, its SQLException turned into the status it means. */
  private static <R> R sql(SqlCall<R> call) {
    try {
      return call.run();
    } catch (SQLException e) {
      throw SqlStatus.of(e).asException(e);
    }
  }

  @FunctionalInterface
  private interface SqlCall<R> {
    R run() throws SQLException;
  }
}
