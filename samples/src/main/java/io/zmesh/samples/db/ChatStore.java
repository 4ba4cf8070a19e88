package io.zmesh.samples.db;

import io.zmesh.Status;
import io.zmesh.samples.proto.AddMember;
import io.zmesh.samples.proto.ChatLine;
import io.zmesh.samples.proto.History;
import io.zmesh.samples.proto.ListRooms;
import io.zmesh.samples.proto.MemberAdded;
import io.zmesh.samples.proto.ReadHistory;
import io.zmesh.samples.proto.Room;
import io.zmesh.samples.proto.RoomList;
import io.zmesh.samples.proto.StoreMessage;
import io.zmesh.samples.proto.StoredMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * The chat data in SQL (schema in {@code db/migration/V1__chat.sql}). Every method takes the
 * time the requester has left and gives each statement no longer, so an answer never comes
 * after the requester stopped waiting. Thread-safe; each call takes a pooled connection.
 */
final class ChatStore {
  static final int MAX_ROOM = 64;
  static final int MAX_USER = 32;
  static final int MAX_TEXT = 2000;
  static final int MAX_CLIENT_ID = 64;
  static final int DEFAULT_PAGE = 50;
  static final int DEFAULT_ROOMS = 100;
  static final int MAX_PAGE = 200;

  private static final String ROOM_COLUMNS = "name, created_by, created_at_ms, last_seq";
  private static final String LINE_COLUMNS = "seq, user_name, body, at_ms";

  private final DataSource pool;
  /** Runs nothing: drivers that need an executor for network timeouts abort on it. */
  private final Executor timeouts = Runnable::run;

  ChatStore(DataSource pool) {
    this.pool = pool;
  }

  MemberAdded addMember(AddMember req, Duration left) throws SQLException {
    String room = required("room", req.getRoom(), MAX_ROOM);
    String user = required("user", req.getUser(), MAX_USER);
    try (Connection c = connection(left)) {
      // Each insert commits alone, so a duplicate key ends only that statement.
      insertUnlessPresent(c, left, "INSERT INTO chat_rooms (" + ROOM_COLUMNS
          + ") VALUES (?, ?, ?, 0)", room, user, req.getAtMs());
      boolean added = insertUnlessPresent(c, left,
          "INSERT INTO chat_members (room, user_name, joined_at_ms) VALUES (?, ?, ?)",
          room, user, req.getAtMs());
      return MemberAdded.newBuilder().setRoom(room(c, left, room)).setNewMember(added).build();
    }
  }

  StoredMessage store(StoreMessage req, Duration left) throws SQLException {
    String room = required("room", req.getRoom(), MAX_ROOM);
    String user = required("user", req.getUser(), MAX_USER);
    String text = required("text", req.getText(), MAX_TEXT);
    String clientId = bounded("client_id", req.getClientId(), MAX_CLIENT_ID);
    try (Connection c = connection(left)) {
      c.setAutoCommit(false);
      try {
        if (!exists(c, left, "SELECT 1 FROM chat_members WHERE room = ? AND user_name = ?",
            room, user)) {
          throw Status.INVALID_ARGUMENT.withDescription(
              "unknown user '" + user + "' in room '" + room + "': join the room first").asException();
        }
        // The room's row lock numbers its posts one at a time, without gaps.
        update(c, left, "UPDATE chat_rooms SET last_seq = last_seq + 1 WHERE name = ?", room);
        if (!clientId.isEmpty()) {
          List<ChatLine> stored = lines(c, left, "SELECT " + LINE_COLUMNS
              + " FROM chat_messages WHERE room = ? AND client_id = ?", room, clientId);
          if (!stored.isEmpty()) {
            c.rollback();
            return StoredMessage.newBuilder().setLine(stored.get(0)).setDuplicate(true).build();
          }
        }
        long seq = room(c, left, room).getMessages();
        update(c, left, "INSERT INTO chat_messages (" + LINE_COLUMNS
            + ", room, client_id) VALUES (?, ?, ?, ?, ?, ?)",
            seq, user, text, req.getAtMs(), room, clientId.isEmpty() ? null : clientId);
        c.commit();
        return StoredMessage.newBuilder().setLine(ChatLine.newBuilder()
            .setSeq(seq).setUser(user).setText(text).setAtMs(req.getAtMs())).build();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  History history(ReadHistory req, Duration left) throws SQLException {
    String room = required("room", req.getRoom(), MAX_ROOM);
    int limit = limit(req.getLimit(), DEFAULT_PAGE);
    // uint64 on the wire: 0, or anything beyond a long, means from the newest.
    long before = req.getBefore() <= 0 ? Long.MAX_VALUE : req.getBefore();
    try (Connection c = connection(left)) {
      // One more than asked says whether an older page exists.
      List<ChatLine> newestFirst = lines(c, left, "SELECT " + LINE_COLUMNS
          + " FROM chat_messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
          room, before, limit + 1);
      History.Builder history = History.newBuilder().setRoom(room);
      if (newestFirst.size() > limit) {
        newestFirst = newestFirst.subList(0, limit);
        history.setNextBefore(newestFirst.get(limit - 1).getSeq());
      }
      List<ChatLine> oldestFirst = new ArrayList<>(newestFirst);
      Collections.reverse(oldestFirst);
      return history.addAllLines(oldestFirst).build();
    }
  }

  RoomList rooms(ListRooms req, Duration left) throws SQLException {
    int limit = limit(req.getLimit(), DEFAULT_ROOMS);
    try (Connection c = connection(left);
        PreparedStatement s = prepare(c, left, "SELECT " + ROOM_COLUMNS
            + " FROM chat_rooms WHERE name > ? ORDER BY name LIMIT ?", req.getAfter(), limit + 1);
        ResultSet r = s.executeQuery()) {
      RoomList.Builder list = RoomList.newBuilder();
      while (r.next()) {
        if (list.getRoomsCount() == limit) {
          list.setNextAfter(list.getRooms(limit - 1).getName());
          break;
        }
        list.addRooms(room(r));
      }
      return list.build();
    }
  }

  private Connection connection(Duration left) throws SQLException {
    Connection c = pool.getConnection();
    try {
      // A database that stops answering fails the request instead of holding the thread.
      c.setNetworkTimeout(timeouts, (int) Math.max(1, Math.min(Integer.MAX_VALUE, left.toMillis())));
    } catch (SQLException | UnsupportedOperationException e) {
      // Embedded databases have no network; statement timeouts still apply.
    }
    return c;
  }

  private static PreparedStatement prepare(Connection c, Duration left, String sql,
      Object... args) throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    try {
      s.setQueryTimeout((int) Math.max(1, (left.toMillis() + 999) / 1000));
      for (int i = 0; i < args.length; i++) {
        if (args[i] == null) {
          s.setNull(i + 1, Types.VARCHAR);
        } else {
          s.setObject(i + 1, args[i]);
        }
      }
      return s;
    } catch (SQLException e) {
      s.close();
      throw e;
    }
  }

  private static int update(Connection c, Duration left, String sql, Object... args)
      throws SQLException {
    try (PreparedStatement s = prepare(c, left, sql, args)) {
      return s.executeUpdate();
    }
  }

  /** Inserts a row; false if its key is already stored. */
  private static boolean insertUnlessPresent(Connection c, Duration left, String sql,
      Object... args) throws SQLException {
    try {
      update(c, left, sql, args);
      return true;
    } catch (SQLException e) {
      if (SqlStatus.isIntegrityViolation(e)) {
        return false;
      }
      throw e;
    }
  }

  private static boolean exists(Connection c, Duration left, String sql, Object... args)
      throws SQLException {
    try (PreparedStatement s = prepare(c, left, sql, args); ResultSet r = s.executeQuery()) {
      return r.next();
    }
  }

  private static List<ChatLine> lines(Connection c, Duration left, String sql, Object... args)
      throws SQLException {
    List<ChatLine> lines = new ArrayList<>();
    try (PreparedStatement s = prepare(c, left, sql, args); ResultSet r = s.executeQuery()) {
      while (r.next()) {
        lines.add(ChatLine.newBuilder().setSeq(r.getLong(1)).setUser(r.getString(2))
            .setText(r.getString(3)).setAtMs(r.getLong(4)).build());
      }
    }
    return lines;
  }

  private static Room room(Connection c, Duration left, String name) throws SQLException {
    try (PreparedStatement s = prepare(c, left,
            "SELECT " + ROOM_COLUMNS + " FROM chat_rooms WHERE name = ?", name);
        ResultSet r = s.executeQuery()) {
      if (!r.next()) {
        throw Status.INVALID_ARGUMENT.withDescription("no room '" + name + "'").asException();
      }
      return room(r);
    }
  }

  private static Room room(ResultSet r) throws SQLException {
    return Room.newBuilder().setName(r.getString(1)).setCreatedBy(r.getString(2))
        .setCreatedAtMs(r.getLong(3)).setMessages(r.getLong(4)).build();
  }

  private static String required(String field, String value, int max) {
    if (value.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription(field + " is empty").asException();
    }
    return bounded(field, value, max);
  }

  private static String bounded(String field, String value, int max) {
    if (value.length() > max) {
      throw Status.INVALID_ARGUMENT.withDescription(
          field + " is longer than " + max + " characters").asException();
    }
    return value;
  }

  /** {@code asked} is a uint32: negative here means above 2^31. */
  private static int limit(int asked, int byDefault) {
    return asked == 0 ? byDefault : asked < 0 ? MAX_PAGE : Math.min(asked, MAX_PAGE);
  }
}
