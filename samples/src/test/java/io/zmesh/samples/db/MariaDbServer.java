package io.zmesh.samples.db;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A MariaDB server of the test's own: Debian's {@code mariadbd} on a private loopback port and
 * data directory under the test's temporary directory, running as root ({@code --user=root},
 * as tests run in CI). {@link #close()} stops it; {@link #kill()} makes it go away at once.
 */
final class MariaDbServer implements AutoCloseable {
  private static final List<String> SERVERS = List.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld",
      "/usr/bin/mariadbd");
  private static final List<String> INSTALLERS = List.of("/usr/bin/mariadb-install-db",
      "/usr/bin/mysql_install_db");

  private final Path dir;
  private final int port;
  private Process process;

  private MariaDbServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Why the server cannot run here, if it cannot. */
  static Optional<String> missing() {
    if (find(SERVERS).isEmpty() || find(INSTALLERS).isEmpty()) {
      return Optional.of("MariaDB is not installed (apt-get install mariadb-server; .ci/run"
          + " installs it): skipping the tests against a real MariaDB server");
    }
    return Optional.empty();
  }

  /** Initializes a data directory in {@code dir} and starts the server on a free port. */
  static MariaDbServer start(Path dir) throws Exception {
    Path data = dir.resolve("data");
    run(List.of(find(INSTALLERS).get(), "--no-defaults", "--datadir=" + data, "--user=root",
        "--auth-root-authentication-method=normal", "--skip-test-db"), dir.resolve("install.log"));
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    MariaDbServer server = new MariaDbServer(dir, port);
    server.restart();
    return server;
  }

  /** Starts the server (again) on the same data and port; returns once it answers. */
  void restart() throws Exception {
    Path data = dir.resolve("data");
    process = new ProcessBuilder(find(SERVERS).get(), "--no-defaults", "--datadir=" + data,
        "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("sock"),
        "--pid-file=" + dir.resolve("pid"), "--user=root", "--skip-log-bin",
        "--log-error=" + dir.resolve("error.log"), "--character-set-server=utf8mb4",
        "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("out.log").toFile())
        .start();
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try (Connection c = DriverManager.getConnection(url("mysql"), "root", "")) {
        if (c.isValid(5)) {
          return;
        }
      } catch (SQLException e) {
        if (!process.isAlive() || System.nanoTime() - end > 0) {
          throw new IllegalStateException("mariadbd did not start: " + e + "\n"
              + Files.readString(dir.resolve("error.log")), e);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
    }
  }

  /** A new database; its JDBC URL. */
  String createDatabase(String name) throws SQLException {
    try (Connection c = DriverManager.getConnection(url("mysql"), "root", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4");
    }
    return url(name);
  }

  String url(String database) {
    return "jdbc:mariadb://127.0.0.1:" + port + "/" + database;
  }

  /** SIGKILL: the database goes away without a word. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(20, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Optional<String> find(List<String> candidates) {
    return candidates.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst();
  }

  private static void run(List<String> command, Path log) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      try (Stream<String> lines = Files.lines(log)) {
        throw new IllegalStateException(command.get(0) + " failed:\n"
            + String.join("\n", lines.toList()));
      }
    }
  }
}
