package io.zmesh.samples.chat;

import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.samples.MeshArgs;
import io.zmesh.samples.db.DbWorker;
import io.zmesh.samples.proto.AddMember;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.HistoryRequest;
import io.zmesh.samples.proto.JoinRoom;
import io.zmesh.samples.proto.Joined;
import io.zmesh.samples.proto.ListRooms;
import io.zmesh.samples.proto.ListRoomsRequest;
import io.zmesh.samples.proto.MemberAdded;
import io.zmesh.samples.proto.PostAck;
import io.zmesh.samples.proto.PostMessage;
import io.zmesh.samples.proto.Posted;
import io.zmesh.samples.proto.ReadHistory;
import io.zmesh.samples.proto.RoomList;
import io.zmesh.samples.proto.StoreMessage;
import io.zmesh.samples.proto.StoredMessage;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.Publisher;
import io.zmesh.worker.RequestContext;
import io.zmesh.worker.Worker;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code chat} worker: rooms and their messages. It checks every request (room and user
 * names, text, cursors) and answers a bad one with {@code INVALID_ARGUMENT} at once; it asks
 * {@code db} to store or read the data (a request from worker to worker, within the caller's
 * deadline), and publishes each stored post as {@link Posted} to {@code chat.room.<room>}.
 * Stateless: start as many instances as you like and the broker shares the requests.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Run the chat worker: rooms and posts, checked here, stored by db, published"
        + " to chat.room.<room>.")
public final class ChatWorker implements Callable<Integer> {
  /** The name clients address. */
  public static final String NAME = "chat";
  /** A room is one topic token, and the same key under every database's collation. */
  static final Pattern ROOM = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
  static final Pattern USER = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  static final int MAX_TEXT = 2000;
  static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_.:-]{0,64}");
  /** Codes of db failures that say db cannot be reached, rather than what was wrong. */
  private static final java.util.Set<Code> DB_DOWN = java.util.EnumSet.of(
      Code.NO_WORKER, Code.WORKER_LOST, Code.OVERLOADED, Code.UNAVAILABLE);

  @Mixin
  MeshArgs mesh;

  @Option(names = "--concurrency", paramLabel = "N", defaultValue = "64",
      description = "Requests handled at once; they wait on db, not on a thread"
          + " (default: ${DEFAULT-VALUE}).")
  int concurrency;

  private Publisher publisher;

  /** {@code java ... io.zmesh.samples.chat.ChatWorker --help}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ChatWorker()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Worker worker = builder().broker(mesh.broker()).concurrency(concurrency).build();
    try {
      worker.start();
    } catch (MeshException e) {
      System.err.println("chat: " + e.status());
      return 1;
    }
    worker.awaitTermination();
    return 0;
  }

  /** The topic a room's posts are published to. */
  public static String topic(String room) {
    return "chat.room." + room;
  }

  /**
   * The chat worker, to be given a broker and built. It registers once db answers, so
   * requests are not routed to a chat that cannot store them.
   */
  public static Worker.Builder builder() {
    ChatWorker chat = new ChatWorker();
    return Worker.builder()
        .name(NAME)
        .concurrency(64)
        .handleAsync(JoinRoom.class, (req, ctx) -> chat.join(req, ctx))
        .handleAsync(PostMessage.class, (req, ctx) -> chat.post(req, ctx))
        .handleAsync(HistoryRequest.class, (req, ctx) -> chat.history(req, ctx))
        .handleAsync(ListRoomsRequest.class, (req, ctx) -> chat.rooms(req, ctx))
        .onStart(w -> {
          chat.publisher = w;
          awaitDb(w);
        });
  }

  /** Asks db until it answers: it may still be starting, or not started yet. */
  private static void awaitDb(Worker w) {
    w.call(DbWorker.NAME, ListRooms.newBuilder().setLimit(1).build(), RoomList.class,
        CallOptions.DEFAULT.withWaitForWorker(true).withTimeout(Duration.ofMinutes(2)));
  }

  CompletionStage<Joined> join(JoinRoom req, RequestContext ctx) {
    check("room", req.getRoom(), ROOM, "1 to 64 lowercase letters, digits, '_' or '-'");
    check("user", req.getUser(), USER, "1 to 32 lowercase letters, digits, '_' or '-'");
    AddMember add = AddMember.newBuilder().setRoom(req.getRoom()).setUser(req.getUser())
        .setAtMs(System.currentTimeMillis()).build();
    return db(ctx, add, MemberAdded.class, CallOptions.DEFAULT.withIdempotent(true))
        .thenApply(added -> Joined.newBuilder()
            .setRoom(added.getRoom())
            .setUser(req.getUser())
            .setNewMember(added.getNewMember())
            .setHandledBy(ctx.instanceId())
            .build());
  }

  CompletionStage<PostAck> post(PostMessage req, RequestContext ctx) {
    check("room", req.getRoom(), ROOM, "1 to 64 lowercase letters, digits, '_' or '-'");
    check("user", req.getUser(), USER, "1 to 32 lowercase letters, digits, '_' or '-'");
    if (req.getText().isBlank()) {
      throw Status.INVALID_ARGUMENT.withDescription("the text is empty").asException();
    }
    if (req.getText().length() > MAX_TEXT) {
      throw Status.INVALID_ARGUMENT.withDescription("the text is " + req.getText().length()
          + " characters, more than " + MAX_TEXT).asException();
    }
    check("client_id", req.getClientId(), CLIENT_ID,
        "at most 64 letters, digits, '_', '.', ':' or '-'");
    StoreMessage store = StoreMessage.newBuilder()
        .setRoom(req.getRoom())
        .setUser(req.getUser())
        .setText(req.getText())
        .setAtMs(System.currentTimeMillis())
        .setClientId(req.getClientId())
        .build();
    // With a client id a second store returns the first, so the broker may retry it elsewhere.
    CallOptions options = CallOptions.DEFAULT.withIdempotent(!req.getClientId().isEmpty());
    return db(ctx, store, StoredMessage.class, options).thenApply(stored -> {
      if (!stored.getDuplicate()) {
        // Subscribers hear of the post once it is stored, in the order of the room's seq.
        publisher.publish(topic(req.getRoom()), Posted.newBuilder()
            .setRoom(req.getRoom())
            .setLine(stored.getLine())
            .setHandledBy(ctx.instanceId())
            .build());
      }
      return PostAck.newBuilder()
          .setRoom(req.getRoom())
          .setSeq(stored.getLine().getSeq())
          .setAtMs(stored.getLine().getAtMs())
          .setDuplicate(stored.getDuplicate())
          .setHandledBy(ctx.instanceId())
          .build();
    });
  }

  CompletionStage<History> history(HistoryRequest req, RequestContext ctx) {
    check("room", req.getRoom(), ROOM, "1 to 64 lowercase letters, digits, '_' or '-'");
    ReadHistory read = ReadHistory.newBuilder().setRoom(req.getRoom())
        .setBefore(req.getBefore()).setLimit(req.getLimit()).build();
    return db(ctx, read, History.class, CallOptions.DEFAULT.withIdempotent(true));
  }

  CompletionStage<RoomList> rooms(ListRoomsRequest req, RequestContext ctx) {
    ListRooms list = ListRooms.newBuilder().setAfter(req.getAfter()).setLimit(req.getLimit())
        .build();
    return db(ctx, list, RoomList.class, CallOptions.DEFAULT.withIdempotent(true));
  }

  private static void check(String field, String value, Pattern pattern, String rule) {
    if (!pattern.matcher(value).matches()) {
      throw Status.INVALID_ARGUMENT.withDescription(
          (value.isEmpty() ? field + " is empty" : "bad " + field + " '" + shorten(value) + "'")
              + ": " + rule).asException();
    }
  }

  private static String shorten(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }

  /**
   * A request to db within the caller's deadline. A db that cannot be reached makes chat
   * {@code UNAVAILABLE} to its caller, whose request was fine; db's own answers pass as they are.
   */
  private static <R extends com.google.protobuf.Message> CompletableFuture<R> db(
      RequestContext ctx, com.google.protobuf.Message request, Class<R> replyType,
      CallOptions options) {
    return ctx.request(DbWorker.NAME, request, replyType, options.withWaitForWorker(false))
        .exceptionally(failure -> {
          Status status = MeshException.statusOf(failure);
          if (DB_DOWN.contains(status.code())) {
            throw new CompletionException(Status.UNAVAILABLE.withDescription(
                "chat cannot reach db: " + status).asException());
          }
          throw new CompletionException(failure);
        });
  }
}
