package io.zmesh.samples.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database db owns: a HikariCP pool on any JDBC URL, and the schema, which Flyway creates or
 * migrates from {@code io/zmesh/samples/db/migration} when {@link #awaitReady} first reaches the
 * database. Thread-safe.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);
  /** The schema's migrations, on the class path. */
  static final String MIGRATIONS = "classpath:io/zmesh/samples/db/migration";

  private final String url;
  private final HikariDataSource pool;

  private Database(String url, HikariDataSource pool) {
    this.url = url;
    this.pool = pool;
  }

  /** The embedded H2 database in {@code dir} (created if missing): nothing to install. */
  public static String h2Url(java.nio.file.Path dir) {
    return "jdbc:h2:file:" + dir.toAbsolutePath().normalize().resolve("chat")
        + ";DB_CLOSE_ON_EXIT=FALSE";
  }

  /**
   * A pool on {@code url}, not yet connected: connections are made when first needed.
   *
   * @param connectTimeout longest wait for a connection (of the pool, or a new one); past it
   *     a request fails with {@link Code#UNAVAILABLE}
   */
  public static Database open(String url, String user, String password, int poolSize,
      Duration connectTimeout) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("zmesh-db");
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setConnectionTimeout(Math.max(250, connectTimeout.toMillis()));
    config.setValidationTimeout(Math.max(250, Math.min(1000, connectTimeout.toMillis() / 2)));
    // Start without the database: awaitReady waits for it, and the worker registers after.
    config.setInitializationFailTimeout(-1);
    // Posts lock their room's row; each statement then sees what the holder before committed.
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    // Hikari drops a connection on SQLState class 08; drivers such as H2's use codes of their
    // own for a broken link, so whatever means "the database is unavailable" drops it too.
    config.setExceptionOverride(new SQLExceptionOverride() {
      @java.lang.Override
      public SQLExceptionOverride.Override adjudicate(SQLException e) {
        return SqlStatus.of(e).code() == Code.UNAVAILABLE ? SQLExceptionOverride.Override.MUST_EVICT
            : SQLExceptionOverride.Override.CONTINUE_EVICT;
      }
    });
    return new Database(url, new HikariDataSource(config));
  }

  /** The JDBC URL, with any password in it masked: for logs. */
  public String url() {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }

  DataSource pool() {
    return pool;
  }

  /**
   * Migrates the schema and checks that the database answers, trying again with backoff while
   * the database is unreachable.
   *
   * @return the schema version
   * @throws MeshException {@link Code#UNAVAILABLE} if the database did not answer within
   *     {@code timeout}; the status of the failure if it answered with an error
   */
  public String awaitReady(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    long backoffMs = 200;
    while (true) {
      try {
        MigrateResult result = Flyway.configure()
            .dataSource(pool)
            .locations(MIGRATIONS)
            .failOnMissingLocations(true)
            .load()
            .migrate();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
          s.execute("SELECT 1 FROM chat_rooms WHERE 1 = 0");
        }
        String version = result.targetSchemaVersion != null ? result.targetSchemaVersion
            : String.valueOf(result.initialSchemaVersion);
        log.info("database {} ready, schema version {}{}", url(), version,
            result.migrationsExecuted > 0 ? " (" + result.migrationsExecuted + " migrations applied)"
                : "");
        return version;
      } catch (SQLException | RuntimeException e) {
        Status status = statusOf(e);
        if (status.code() != Code.UNAVAILABLE || System.nanoTime() - end > 0) {
          throw status.withDescription("database " + url() + " not ready: " + status.description())
              .asException(e);
        }
        log.warn("waiting for database {}: {}", url(), status.description());
        TimeUnit.MILLISECONDS.sleep(backoffMs);
        backoffMs = Math.min(5_000, backoffMs * 2);
      }
    }
  }

  /** The status of a failure whose cause chain may hold an SQLException (Flyway wraps them). */
  static Status statusOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        return SqlStatus.of((SQLException) t);
      }
      if (t instanceof MeshException) {
        return ((MeshException) t).status();
      }
    }
    return Status.INTERNAL.withDescription(String.valueOf(e));
  }

  /** Closes every connection; requests after this fail with {@link Code#UNAVAILABLE}. */
  @Override
  public void close() {
    pool.close();
  }
}
