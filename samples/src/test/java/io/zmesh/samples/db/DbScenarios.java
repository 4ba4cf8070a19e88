package io.zmesh.samples.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.samples.ChatFixture;
import io.zmesh.samples.proto.AddMember;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.ListRooms;
import io.zmesh.samples.proto.MemberAdded;
import io.zmesh.samples.proto.ReadHistory;
import io.zmesh.samples.proto.RoomList;
import io.zmesh.samples.proto.StoreMessage;
import io.zmesh.samples.proto.StoredMessage;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** What db must do on any database; run against embedded H2 and against a MariaDB server. */
final class DbScenarios {
  private DbScenarios() {}

  static MemberAdded join(MeshClient client, String room, String user) {
    return client.call(DbWorker.NAME, AddMember.newBuilder().setRoom(room).setUser(user)
        .setAtMs(1000).build(), MemberAdded.class);
  }

  static StoredMessage store(MeshClient client, String room, String user, String text,
      String clientId) {
    return client.call(DbWorker.NAME, StoreMessage.newBuilder().setRoom(room).setUser(user)
        .setText(text).setAtMs(2000).setClientId(clientId).build(), StoredMessage.class);
  }

  static History history(MeshClient client, String room, long before, int limit) {
    return client.call(DbWorker.NAME, ReadHistory.newBuilder().setRoom(room).setBefore(before)
        .setLimit(limit).build(), History.class);
  }

  /** Every line of {@code room}, walking the cursor back from the newest page. */
  static List<ChatLine> wholeHistory(MeshClient client, String room, int pageSize) {
    List<ChatLine> all = new ArrayList<>();
    long before = 0;
    do {
      History page = history(client, room, before, pageSize);
      all.addAll(0, page.getLinesList());
      before = page.getNextBefore();
    } while (before != 0);
    return all;
  }

  static void roomsMembersAndPagedHistory(MeshClient client) {
    MemberAdded first = join(client, "lobby", "ann");
    assertTrue(first.getNewMember());
    assertEquals("ann", first.getRoom().getCreatedBy());
    // Joining again, or another room, is not an error.
    assertFalse(join(client, "lobby", "ann").getNewMember());
    assertTrue(join(client, "lobby", "bob").getNewMember());
    join(client, "kitchen", "bob");

    for (int i = 1; i <= 25; i++) {
      StoredMessage s = store(client, "lobby", i % 2 == 0 ? "ann" : "bob", "line " + i, "");
      assertEquals(i, s.getLine().getSeq());
      assertFalse(s.getDuplicate());
    }
    History newest = history(client, "lobby", 0, 10);
    assertEquals(10, newest.getLinesCount());
    assertEquals(16, newest.getLines(0).getSeq());
    assertEquals("line 25", newest.getLines(9).getText());
    assertEquals(16, newest.getNextBefore());
    History older = history(client, "lobby", newest.getNextBefore(), 10);
    assertEquals(6, older.getLines(0).getSeq());
    History oldest = history(client, "lobby", older.getNextBefore(), 10);
    assertEquals(5, oldest.getLinesCount());
    assertEquals(0, oldest.getNextBefore(), "no page before the first");
    List<ChatLine> all = wholeHistory(client, "lobby", 7);
    assertEquals(25, all.size());
    for (int i = 0; i < 25; i++) {
      assertEquals(i + 1, all.get(i).getSeq());
    }
    assertEquals(0, history(client, "nowhere", 0, 10).getLinesCount());

    RoomList rooms = client.call(DbWorker.NAME, ListRooms.newBuilder().setLimit(1).build(),
        RoomList.class);
    assertEquals("kitchen", rooms.getRooms(0).getName());
    assertEquals("kitchen", rooms.getNextAfter());
    RoomList next = client.call(DbWorker.NAME,
        ListRooms.newBuilder().setAfter(rooms.getNextAfter()).build(), RoomList.class);
    assertEquals(1, next.getRoomsCount());
    assertEquals("lobby", next.getRooms(0).getName());
    assertEquals(25, next.getRooms(0).getMessages());
    assertEquals("", next.getNextAfter());
  }

  static void conflictsAreTypedNotInternal(MeshClient client) {
    join(client, "dup", "ann");
    StoredMessage first = store(client, "dup", "ann", "once", "c-1");
    StoredMessage again = store(client, "dup", "ann", "once", "c-1");
    assertTrue(again.getDuplicate(), "a retried post is answered with the stored line");
    assertEquals(first.getLine().getSeq(), again.getLine().getSeq());
    assertEquals(1, history(client, "dup", 0, 10).getLinesCount());
    assertEquals(2, store(client, "dup", "ann", "twice", "c-2").getLine().getSeq());

    MeshException unknownUser = assertThrows(MeshException.class,
        () -> store(client, "dup", "eve", "hi", ""));
    assertEquals(Code.INVALID_ARGUMENT, unknownUser.code());
    assertTrue(unknownUser.getMessage().contains("unknown user 'eve'"), unknownUser.getMessage());
    MeshException noRoom = assertThrows(MeshException.class,
        () -> store(client, "nowhere", "ann", "hi", ""));
    assertEquals(Code.INVALID_ARGUMENT, noRoom.code());
    MeshException tooLong = assertThrows(MeshException.class,
        () -> store(client, "dup", "ann", "x".repeat(ChatStore.MAX_TEXT + 1), ""));
    assertEquals(Code.INVALID_ARGUMENT, tooLong.code());
    // The failed stores took no seq: numbering has no gaps.
    assertEquals(3, store(client, "dup", "ann", "third", "").getLine().getSeq());
  }

  /** Posts, stops db, starts a new one on the same database: the same history. */
  static void historySurvivesRestart(ChatFixture chat, Supplier<Database> database)
      throws Exception {
    MeshClient client = chat.client();
    Database first = database.get();
    Worker db = chat.startDb(first);
    join(client, "kept", "ann");
    for (int i = 1; i <= 5; i++) {
      store(client, "kept", "ann", "before restart " + i, "k" + i);
    }
    List<ChatLine> before = wholeHistory(client, "kept", 2);
    db.close();
    first.close();

    chat.startDb(database.get());
    assertEquals(before, wholeHistory(client, "kept", 2));
    assertTrue(store(client, "kept", "ann", "before restart 5", "k5").getDuplicate(),
        "client ids are kept too");
    assertEquals(6, store(client, "kept", "ann", "after restart", "").getLine().getSeq());
  }
}
