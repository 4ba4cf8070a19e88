package io.zmesh.samples.receive;

import io.zmesh.samples.Args;
import io.zmesh.samples.chat.ChatWorker;
import io.zmesh.samples.proto.Inbox;
import io.zmesh.samples.proto.InboxRequest;
import io.zmesh.samples.proto.Posted;
import io.zmesh.worker.MessageContext;
import io.zmesh.worker.Worker;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code receive} worker: subscribes to every chat room ({@code chat.room.>}), prints each
 * {@link Posted} message it hears and keeps the newest of each room, which {@link InboxRequest}
 * reads back. It registers only once the subscription is in place, so a registered {@code
 * receive} hears every post published from then on.
 */
public final class ReceiveWorker {
  /** Every room's topic. */
  public static final String PATTERN = ChatWorker.topic(">");
  private static final int KEEP = 100;

  private final Map<String, ArrayDeque<Posted>> rooms = new HashMap<>();
  private long received;
  private long dropped;

  private ReceiveWorker() {}

  /** The worker, not yet started. */
  public static Worker create(String broker) {
    ReceiveWorker receive = new ReceiveWorker();
    return Worker.builder()
        .name("receive")
        .broker(broker)
        .handle(InboxRequest.class, (req, ctx) -> receive.inbox(req))
        .onStart(w -> w.subscribe(PATTERN, Posted.class, receive::onPosted)
            .ready().get(30, TimeUnit.SECONDS))
        .build();
  }

  /** One message at a time (the subscription's handler calls never overlap). */
  private synchronized void onPosted(Posted posted, MessageContext ctx) {
    received++;
    dropped += ctx.dropped();
    ArrayDeque<Posted> room = rooms.computeIfAbsent(posted.getRoom(), r -> new ArrayDeque<>());
    if (room.size() == KEEP) {
      room.removeFirst();
    }
    room.addLast(posted);
    System.out.printf("%s #%d %s: %s%s%n", ctx.topic(), posted.getLine().getIndex(),
        posted.getLine().getUser(), posted.getLine().getText(),
        ctx.dropped() > 0 ? " (" + ctx.dropped() + " missed before it)" : "");
    System.out.flush();
  }

  synchronized Inbox inbox(InboxRequest req) {
    return Inbox.newBuilder()
        .setRoom(req.getRoom())
        .addAllMessages(rooms.getOrDefault(req.getRoom(), new ArrayDeque<>()))
        .setReceived(received)
        .setDropped(dropped)
        .build();
  }

  public static void main(String[] args) throws InterruptedException {
    create(Args.broker(args)).start().awaitTermination();
  }
}
