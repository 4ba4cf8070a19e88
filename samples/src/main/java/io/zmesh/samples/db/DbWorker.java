package io.zmesh.samples.db;

import com.google.protobuf.ByteString;
import io.zmesh.Status;
import io.zmesh.samples.Args;
import io.zmesh.samples.proto.AppendReply;
import io.zmesh.samples.proto.AppendRequest;
import io.zmesh.samples.proto.RangeReply;
import io.zmesh.samples.proto.RangeRequest;
import io.zmesh.worker.Worker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code db} worker: an append-only log of records per key, kept in memory. Run one
 * instance; the log lives in its process.
 */
public final class DbWorker {
  private final ConcurrentHashMap<String, List<ByteString>> logs = new ConcurrentHashMap<>();

  /** The worker, not yet started. */
  public static Worker create(String broker) {
    DbWorker db = new DbWorker();
    return Worker.builder()
        .name("db")
        .broker(broker)
        .concurrency(16)
        .handle(AppendRequest.class, (req, ctx) -> db.append(req))
        .handle(RangeRequest.class, (req, ctx) -> db.range(req))
        .build();
  }

  AppendReply append(AppendRequest req) {
    if (req.getKey().isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription("key is empty").asException();
    }
    List<ByteString> log = logs.computeIfAbsent(req.getKey(), k -> new ArrayList<>());
    synchronized (log) {
      log.add(req.getValue());
      return AppendReply.newBuilder().setIndex(log.size() - 1).build();
    }
  }

  RangeReply range(RangeRequest req) {
    List<ByteString> log = logs.get(req.getKey());
    RangeReply.Builder reply = RangeReply.newBuilder();
    if (log == null) {
      return reply.build();
    }
    int limit = req.getLimit() == 0 ? 100 : req.getLimit();
    synchronized (log) {
      int from = (int) Math.min(req.getFrom(), log.size());
      int to = (int) Math.min((long) from + limit, log.size());
      return reply.addAllValues(log.subList(from, to)).setTotal(log.size()).build();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    create(Args.broker(args)).start().awaitTermination();
  }
}
