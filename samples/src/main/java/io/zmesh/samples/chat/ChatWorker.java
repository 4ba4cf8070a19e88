package io.zmesh.samples.chat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.zmesh.Status;
import io.zmesh.samples.Args;
import io.zmesh.samples.proto.AppendReply;
import io.zmesh.samples.proto.AppendRequest;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.proto.Posted;
import io.zmesh.samples.proto.RangeReply;
import io.zmesh.samples.proto.RangeRequest;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.Publisher;
import io.zmesh.worker.RequestContext;
import io.zmesh.worker.Worker;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The {@code chat} worker: posts and reads room messages, stored by asking the {@code db}
 * worker, and publishes each stored post as {@link Posted} to the topic {@code
 * chat.room.<room>}. Stateless, so run as many instances as you like.
 */
public final class ChatWorker {
  private static final int MAX_TEXT = 4096;
  /** A room becomes one topic token. */
  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private Publisher publisher;

  private ChatWorker() {}

  /** The topic a room's posts are published to. */
  public static String topic(String room) {
    return "chat.room." + room;
  }

  /** The worker, not yet started. */
  public static Worker create(String broker) {
    ChatWorker chat = new ChatWorker();
    Worker worker = Worker.builder()
        .name("chat")
        .broker(broker)
        .concurrency(32)
        .handleAsync(PostMessage.class, chat::post)
        .handleAsync(HistoryRequest.class, ChatWorker::history)
        // Start only once db answers: requests are not routed here before that.
        .onStart(w -> w.call("db", RangeRequest.newBuilder().setKey("rooms/lobby").setLimit(1).build(),
            RangeReply.class, CallOptions.DEFAULT.withWaitForWorker(true)))
        .build();
    chat.publisher = worker;
    return worker;
  }

  CompletionStage<PostAck> post(PostMessage post, RequestContext ctx) {
    if (post.getRoom().isEmpty() || post.getText().isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("a post needs a room and a text").asException();
    }
    if (!ROOM.matcher(post.getRoom()).matches()) {
      throw Status.INVALID_ARGUMENT.withDescription("a room name is 1 to 64 letters, digits,"
          + " '_' or '-'").asException();
    }
    if (post.getText().length() > MAX_TEXT) {
      throw Status.INVALID_ARGUMENT
          .withDescription("text longer than " + MAX_TEXT + " characters").asException();
    }
    ChatLine line = ChatLine.newBuilder()
        .setUser(post.getUser())
        .setText(post.getText())
        .setAtMs(System.currentTimeMillis())
        .build();
    AppendRequest append = AppendRequest.newBuilder()
        .setKey(key(post.getRoom()))
        .setValue(line.toByteString())
        .build();
    return ctx.request("db", append, AppendReply.class).thenApply(stored -> {
      // Listeners hear of the post once it is stored; it is delivered to each in order.
      publisher.publish(topic(post.getRoom()), Posted.newBuilder()
          .setRoom(post.getRoom())
          .setLine(line.toBuilder().setIndex(stored.getIndex()))
          .setHandledBy(ctx.instanceId())
          .build());
      return PostAck.newBuilder()
          .setRoom(post.getRoom())
          .setIndex(stored.getIndex())
          .setHandledBy(ctx.instanceId())
          .build();
    });
  }

  static CompletionStage<History> history(HistoryRequest req, RequestContext ctx) {
    int limit = req.getLimit() == 0 ? 20 : req.getLimit();
    RangeRequest probe = RangeRequest.newBuilder().setKey(key(req.getRoom())).setLimit(1).build();
    // Two calls: the first learns how many lines there are, the second reads the newest.
    return ctx.request("db", probe, RangeReply.class).thenCompose(first -> {
      long from = Math.max(0, first.getTotal() - limit);
      return ctx.request("db", probe.toBuilder().setFrom(from).setLimit(limit).build(),
          RangeReply.class).thenApply(range -> {
            History.Builder history = History.newBuilder().setRoom(req.getRoom());
            long index = from;
            for (ByteString value : range.getValuesList()) {
              history.addLines(parse(value).toBuilder().setIndex(index++));
            }
            return history.build();
          });
    });
  }

  private static ChatLine parse(ByteString value) {
    try {
      return ChatLine.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw Status.INTERNAL.withDescription("stored chat line does not parse").asException(e);
    }
  }

  private static String key(String room) {
    return "rooms/" + room;
  }

  public static void main(String[] args) throws InterruptedException {
    create(Args.broker(args)).start().awaitTermination();
  }
}
