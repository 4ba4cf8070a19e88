package io.zmesh.samples.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChatWorkerTest {
  private static PostMessage post(String user, String text) {
    return PostMessage.newBuilder().setRoom("lobby").setUser(user).setText(text).build();
  }

  @Test
  void postsAreStoredThroughDbAndReadBackInOrder() {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        Worker db = DbWorker.create(broker.endpoint()).start();
        Worker chat = ChatWorker.create(broker.endpoint()).start();
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      for (int i = 0; i < 25; i++) {
        PostAck ack = client.call("chat", post("u" + i, "text " + i), PostAck.class);
        assertEquals(i, ack.getIndex());
        assertEquals(chat.instanceId(), ack.getHandledBy());
      }
      History history = client.call("chat",
          HistoryRequest.newBuilder().setRoom("lobby").setLimit(10).build(), History.class);
      assertEquals(10, history.getLinesCount());
      assertEquals(15, history.getLines(0).getIndex());
      assertEquals("text 24", history.getLines(9).getText());

      MeshException e = assertThrows(MeshException.class,
          () -> client.call("chat", post("eve", ""), PostAck.class));
      assertEquals(Code.INVALID_ARGUMENT, e.code());
    }
  }

  @Test
  void chatWaitsForDbBeforeRegistering() throws Exception {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        Worker chat = ChatWorker.create(broker.endpoint());
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      CompletableFuture<Worker> started = chat.startAsync();
      // chat's start hook waits for db, so chat is not routable yet.
      MeshException e = assertThrows(MeshException.class,
          () -> client.call("chat", post("ann", "early"), PostAck.class));
      assertEquals(Code.NO_WORKER, e.code());
      assertTrue(!started.isDone());
      try (Worker db = DbWorker.create(broker.endpoint()).start()) {
        started.get(10, TimeUnit.SECONDS);
        assertEquals(0, client.call("chat", post("ann", "now"), PostAck.class).getIndex());
      }
    }
  }
}
