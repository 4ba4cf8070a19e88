package io.zmesh.samples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.samples.ChatFixture;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.JoinRoom;
import io.zmesh.samples.proto.Joined;
import io.zmesh.samples.proto.ListRoomsRequest;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.proto.Posted;
import io.zmesh.samples.proto.RoomList;
import io.zmesh.testing.Await;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import io.zmesh.worker.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ChatWorkerTest {
  @TempDir
  Path dir;

  private static PostMessage post(String room, String user, String text) {
    return PostMessage.newBuilder().setRoom(room).setUser(user).setText(text).build();
  }

  private static Joined join(MeshClient client, String room, String user) {
    return client.call(ChatWorker.NAME, JoinRoom.newBuilder().setRoom(room).setUser(user).build(),
        Joined.class);
  }

  private static void assertInvalid(String expected, Runnable call) {
    MeshException e = assertThrows(MeshException.class, call::run);
    assertEquals(Code.INVALID_ARGUMENT, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void postsAreStoredByDbPublishedOnceAndReadBack() throws Exception {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      Worker instance = chat.startChat();
      MeshClient client = chat.client();
      List<Posted> heard = new CopyOnWriteArrayList<>();
      Subscription s = client.subscribe(ChatWorker.topic("lobby"), Posted.class,
          (posted, ctx) -> heard.add(posted));
      Await.value(s.ready(), Duration.ofSeconds(10));

      Joined joined = join(client, "lobby", "ann");
      assertTrue(joined.getNewMember());
      assertEquals(instance.instanceId(), joined.getHandledBy());
      for (int i = 1; i <= 5; i++) {
        PostAck ack = client.call(ChatWorker.NAME,
            post("lobby", "ann", "text " + i).toBuilder().setClientId("id-" + i).build(),
            PostAck.class);
        assertEquals(i, ack.getSeq());
      }
      PostAck again = client.call(ChatWorker.NAME,
          post("lobby", "ann", "text 5").toBuilder().setClientId("id-5").build(), PostAck.class);
      assertTrue(again.getDuplicate());
      assertEquals(5, again.getSeq());

      Await.until("five posts published", Duration.ofSeconds(10), () -> heard.size() >= 5);
      History history = client.call(ChatWorker.NAME,
          HistoryRequest.newBuilder().setRoom("lobby").setLimit(3).build(), History.class);
      assertEquals(List.of(3L, 4L, 5L), history.getLinesList().stream().map(l -> l.getSeq()).toList());
      assertEquals(3, history.getNextBefore());
      RoomList rooms = client.call(ChatWorker.NAME, ListRoomsRequest.getDefaultInstance(),
          RoomList.class);
      assertEquals("lobby", rooms.getRooms(0).getName());
      assertEquals(5, rooms.getRooms(0).getMessages());
      // A retried post is not published again; the order is the room's.
      assertEquals(5, heard.size());
      for (int i = 0; i < 5; i++) {
        assertEquals(i + 1, heard.get(i).getLine().getSeq());
        assertEquals("text " + (i + 1), heard.get(i).getLine().getText());
      }
    }
  }

  @Test
  void badRequestsAreRefusedWithTypedErrors() {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      chat.startChat();
      MeshClient client = chat.client();
      join(client, "lobby", "ann");
      assertInvalid("room is empty", () -> join(client, "", "ann"));
      assertInvalid("bad room 'Lobby'", () -> join(client, "Lobby", "ann"));
      assertInvalid("bad room 'a.b'", () -> join(client, "a.b", "ann"));
      assertInvalid("bad user 'Ann Smith'", () -> join(client, "lobby", "Ann Smith"));
      assertInvalid("the text is empty",
          () -> client.call(ChatWorker.NAME, post("lobby", "ann", "  "), PostAck.class));
      assertInvalid("more than 2000",
          () -> client.call(ChatWorker.NAME, post("lobby", "ann", "x".repeat(2001)), PostAck.class));
      assertInvalid("bad client_id", () -> client.call(ChatWorker.NAME,
          post("lobby", "ann", "hi").toBuilder().setClientId("has space").build(), PostAck.class));
      assertInvalid("unknown user 'eve'",
          () -> client.call(ChatWorker.NAME, post("lobby", "eve", "hi"), PostAck.class));
      assertInvalid("bad room",
          () -> client.call(ChatWorker.NAME, HistoryRequest.newBuilder().setRoom("a b").build(),
              History.class));
      // Nothing of the above was stored.
      assertEquals(0, client.call(ChatWorker.NAME, HistoryRequest.newBuilder().setRoom("lobby")
          .build(), History.class).getLinesCount());
    }
  }

  @Test
  void instancesShareTheLoad() {
    try (ChatFixture chat = new ChatFixture(dir)) {
      chat.startDb(chat.h2());
      Worker a = chat.startChat();
      Worker b = chat.startChat();
      MeshClient client = chat.client();
      join(client, "busy", "ann");
      List<CompletableFuture<PostAck>> acks = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        acks.add(client.request(ChatWorker.NAME, post("busy", "ann", "n" + i), PostAck.class));
      }
      Set<String> handledBy = new HashSet<>();
      Set<Long> seqs = new HashSet<>();
      for (CompletableFuture<PostAck> f : acks) {
        PostAck ack = Await.value(f, Duration.ofSeconds(20));
        handledBy.add(ack.getHandledBy());
        seqs.add(ack.getSeq());
      }
      assertEquals(Set.of(a.instanceId(), b.instanceId()), handledBy);
      assertEquals(60, seqs.size(), "every post has its own seq");
    }
  }

  @Test
  void withoutDbChatIsUnavailableAndStartsOnlyOnceDbIsThere() throws Exception {
    try (ChatFixture chat = new ChatFixture(dir)) {
      Worker waiting = chat.mesh.track(chat.configure(ChatWorker.builder()).build());
      CompletableFuture<Worker> started = waiting.startAsync();
      MeshClient client = chat.client();
      assertEquals(Code.NO_WORKER,
          assertThrows(MeshException.class, () -> join(client, "lobby", "ann")).code(),
          "chat registers only once db answers");
      assertFalse(started.isDone());
      Worker db = chat.startDb(chat.h2());
      Await.value(started, Duration.ofSeconds(20));
      join(client, "lobby", "ann");

      db.close();
      MeshException e = assertThrows(MeshException.class,
          () -> client.call(ChatWorker.NAME, post("lobby", "ann", "hi"), PostAck.class));
      assertEquals(Code.UNAVAILABLE, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("chat cannot reach db"), e.getMessage());
    }
  }
}
