package io.zmesh.samples.receive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.Inbox;
import io.zmesh.samples.proto.InboxRequest;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.proto.Posted;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ReceiveWorkerTest {
  /** Reads the inbox until it satisfies {@code done}, for at most 10 s. */
  private static Inbox inbox(MeshClient client, String room, Predicate<Inbox> done) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Inbox inbox = client.call("receive", InboxRequest.newBuilder().setRoom(room).build(),
          Inbox.class);
      if (done.test(inbox) || System.nanoTime() > end) {
        return inbox;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  @Test
  void keepsWhatIsPublishedToTheChatRooms() {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        Worker receive = ReceiveWorker.create(broker.endpoint()).start();
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      for (int i = 0; i < 3; i++) {
        client.publish(ChatWorker.topic("kitchen"), Posted.newBuilder().setRoom("kitchen")
            .setLine(ChatLine.newBuilder().setIndex(i).setUser("ann").setText("t" + i)).build());
      }
      client.publish("elsewhere", Posted.getDefaultInstance());
      Inbox inbox = inbox(client, "kitchen", i -> i.getMessagesCount() == 3);
      assertEquals(3, inbox.getMessagesCount());
      for (int i = 0; i < 3; i++) {
        assertEquals("t" + i, inbox.getMessages(i).getLine().getText());
      }
      assertEquals(3, inbox.getReceived());
      assertEquals(0, inbox.getDropped());
    }
  }

  @Test
  void hearsEveryPostStoredThroughChat() {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        Worker db = DbWorker.create(broker.endpoint()).start();
        Worker chat = ChatWorker.create(broker.endpoint()).start();
        Worker receive = ReceiveWorker.create(broker.endpoint()).start();
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      for (int i = 0; i < 10; i++) {
        PostAck ack = client.call("chat", PostMessage.newBuilder().setRoom("lobby")
            .setUser("bob").setText("hello " + i).build(), PostAck.class);
        assertEquals(i, ack.getIndex());
      }
      Inbox inbox = inbox(client, "lobby", i -> i.getMessagesCount() == 10);
      assertEquals(10, inbox.getMessagesCount(), inbox.toString());
      for (int i = 0; i < 10; i++) {
        Posted posted = inbox.getMessages(i);
        assertEquals(i, posted.getLine().getIndex());
        assertEquals("hello " + i, posted.getLine().getText());
        assertEquals(chat.instanceId(), posted.getHandledBy());
      }
      assertTrue(inbox(client, "nowhere", i -> true).getMessagesList().isEmpty());
    }
  }
}
