package io.zmesh.samples.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.samples.ChatFixture;
import io.zmesh.samples.Samples;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.ReadHistory;
import io.zmesh.testing.Await;
import io.zmesh.testing.WorkerProcess;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * db against a real MariaDB server (Debian's mariadb-server, started here on a private port):
 * the same code as on H2, only {@code --jdbc-url} differs. Skipped where MariaDB is not
 * installed; CI installs it.
 */
@Timeout(120)
class MariaDbTest {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  @TempDir
  static Path serverDir;
  private static MariaDbServer server;

  @TempDir
  Path dir;

  @BeforeAll
  static void startServer() throws Exception {
    MariaDbServer.missing().ifPresent(why -> {
      // CI installs MariaDB: there a missing server is a broken set-up, not a reason to skip.
      Assertions.assertNotEquals("true", System.getenv("CI"), why);
      Assumptions.abort(why);
    });
    server = MariaDbServer.start(serverDir);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private static Database database(String url) {
    return Database.open(url, "root", "", 4, Duration.ofSeconds(2));
  }

  private static String newDatabase() throws Exception {
    return server.createDatabase("chat" + DATABASES.incrementAndGet());
  }

  @Test
  void roomsMembersPagedHistoryAndTypedConflicts() throws Exception {
    String url = newDatabase();
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(database(url));
      DbScenarios.roomsMembersAndPagedHistory(chat.client());
      DbScenarios.conflictsAreTypedNotInternal(chat.client());
    }
  }

  @Test
  void historySurvivesRestartOfDb() throws Exception {
    String url = newDatabase();
    try (ChatFixture chat = new ChatFixture(dir)) {
      DbScenarios.historySurvivesRestart(chat, () -> database(url));
    }
  }

  /** db as its own process, as a user runs it: killed, started again, the same history. */
  @Test
  void historySurvivesKillOfTheDbProcess() throws Exception {
    String url = newDatabase();
    try (ChatFixture chat = new ChatFixture(dir)) {
      MeshClient client = chat.client();
      List<ChatLine> before;
      WorkerProcess first = dbProcess(chat, url, "db-1.log");
      try {
        awaitDb(client, first);
        DbScenarios.join(client, "kept", "ann");
        for (int i = 1; i <= 3; i++) {
          DbScenarios.store(client, "kept", "ann", "line " + i, "");
        }
        before = DbScenarios.wholeHistory(client, "kept", 2);
      } finally {
        first.kill();
      }
      WorkerProcess second = dbProcess(chat, url, "db-2.log");
      try {
        awaitDb(client, second);
        assertEquals(before, DbScenarios.wholeHistory(client, "kept", 2));
      } finally {
        second.kill();
      }
    }
  }

  @Test
  void aServerThatGoesAwayMakesDbUnavailableUntilItIsBack() throws Exception {
    String url = newDatabase();
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(database(url));
      MeshClient client = chat.client();
      DbScenarios.join(client, "r", "ann");
      DbScenarios.store(client, "r", "ann", "before", "");
      server.kill();
      try {
        for (int i = 0; i < 3; i++) {
          long start = System.nanoTime();
          MeshException e = assertThrows(MeshException.class,
              () -> DbScenarios.store(client, "r", "ann", "while gone", ""));
          assertEquals(Code.UNAVAILABLE, e.code(), e.getMessage());
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertTrue(ms < 5_000, "answered in " + ms + " ms, connect timeout 2 s");
        }
      } finally {
        server.restart();
      }
      Await.until("db answers again once MariaDB is back", Duration.ofSeconds(30), () -> {
        try {
          return DbScenarios.history(client, "r", 0, 10).getLinesCount() == 1;
        } catch (MeshException e) {
          return false;
        }
      });
      assertEquals(2, DbScenarios.store(client, "r", "ann", "after", "").getLine().getSeq());
    }
  }

  private WorkerProcess dbProcess(ChatFixture chat, String url, String log) {
    return WorkerProcess.start(dir.resolve(log), Samples.class, "db",
        "--broker", chat.mesh.endpoint(), "--jdbc-url", url, "--user", "root", "--pool-size", "4");
  }

  private static void awaitDb(MeshClient client, WorkerProcess db) {
    Await.until("db registered", Duration.ofSeconds(60), () -> {
      try {
        client.call(DbWorker.NAME, ReadHistory.newBuilder().setRoom("kept").build(),
            History.class, CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(2)));
        return true;
      } catch (MeshException e) {
        return false;
      }
    }, db::output);
  }
}
