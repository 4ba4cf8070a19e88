package io.zmesh.samples.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.samples.ChatFixture;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.ReadHistory;
import io.zmesh.testing.Await;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.h2.tools.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** db on embedded H2 in a file (its default), and on an H2 server that the test stops. */
@Timeout(60)
class DbWorkerTest {
  @TempDir
  Path dir;

  @Test
  void roomsMembersAndPagedHistory() {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      DbScenarios.roomsMembersAndPagedHistory(chat.client());
    }
  }

  @Test
  void conflictsAreTypedNotInternal() {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      DbScenarios.conflictsAreTypedNotInternal(chat.client());
    }
  }

  @Test
  void historySurvivesRestartOfDb() throws Exception {
    try (ChatFixture chat = new ChatFixture(dir)) {
      DbScenarios.historySurvivesRestart(chat, chat::h2);
    }
  }

  @Test
  void registersOnlyOnceTheDatabaseAnswersAndIsUnavailableWhileItIsGone() throws Exception {
    int port = freePort();
    String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/chat";
    try (ChatFixture chat = new ChatFixture(dir)) {
      Database database = chat.mesh.track(
          Database.open(url, "sa", "", 2, Duration.ofMillis(500)));
      Worker db = chat.mesh.track(chat.configure(
          DbWorker.builder(database, Duration.ofSeconds(30))).build());
      CompletableFuture<Worker> started = db.startAsync();
      // Nothing listens on the port: db waits, unregistered, so nothing is routed to it.
      MeshClient client = chat.client();
      MeshException early = assertThrows(MeshException.class,
          () -> client.call(DbWorker.NAME, ReadHistory.newBuilder().setRoom("r").build(),
              History.class));
      assertEquals(Code.NO_WORKER, early.code());
      assertFalse(started.isDone());

      Server server = h2Server(port);
      try {
        Await.value(started, Duration.ofSeconds(20));
        DbScenarios.join(client, "r", "ann");
        DbScenarios.store(client, "r", "ann", "hello", "");
      } finally {
        server.stop();
      }
      // The database went away: an answer, UNAVAILABLE, in about the connect timeout.
      long start = System.nanoTime();
      MeshException gone = assertThrows(MeshException.class,
          () -> DbScenarios.store(client, "r", "ann", "anyone?", ""));
      assertEquals(Code.UNAVAILABLE, gone.code(), gone.getMessage());
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(),
          "answered in " + (System.nanoTime() - start) / 1_000_000 + " ms");

      server = h2Server(port);
      try {
        StringBuilder last = new StringBuilder();
        Await.until("db answers again once the database is back", Duration.ofSeconds(20), () -> {
          last.setLength(0);
          try {
            History h = client.call(DbWorker.NAME, ReadHistory.newBuilder().setRoom("r").build(),
                History.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(2)));
            last.append(h);
            return h.getLinesCount() == 1;
          } catch (MeshException e) {
            last.append(e.status());
            return false;
          }
        }, last::toString);
      } finally {
        server.stop();
      }
    }
  }

  @Test
  void sqlFailuresMapToStatuses() throws Exception {
    try (Connection c = DriverManager.getConnection(
            "jdbc:h2:mem:status;DB_CLOSE_DELAY=-1", "sa", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (k INT PRIMARY KEY, v VARCHAR(3))");
      s.execute("INSERT INTO t VALUES (1, 'a')");
      assertEquals(Code.INVALID_ARGUMENT,
          SqlStatus.of(assertThrows(SQLException.class,
              () -> s.execute("INSERT INTO t VALUES (1, 'b')"))).code(), "a duplicate key");
      assertEquals(Code.INVALID_ARGUMENT,
          SqlStatus.of(assertThrows(SQLException.class,
              () -> s.execute("INSERT INTO t VALUES (2, 'long')"))).code(), "a value too long");
      assertEquals(Code.INTERNAL,
          SqlStatus.of(assertThrows(SQLException.class,
              () -> s.execute("SELEC 1"))).code(), "a bug in the SQL");
    }
    SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(
        "jdbc:h2:tcp://127.0.0.1:" + freePort() + "/x", "sa", ""));
    assertEquals(Code.UNAVAILABLE, SqlStatus.of(refused).code(), refused.toString());
  }

  private Server h2Server(int port) throws SQLException {
    return Server.createTcpServer("-tcpPort", String.valueOf(port), "-ifNotExists",
        "-baseDir", dir.resolve("h2-server").toString()).start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
