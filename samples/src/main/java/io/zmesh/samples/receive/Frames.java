package io.zmesh.samples.receive;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.zmesh.Status;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON frames of the gateway's WebSocket (docs: the receive section of README.md). The frame
 * around the payload is read with Gson's strict reader; payloads themselves go through
 * protobuf's JSON mapping ({@link MeshTypes}) and are embedded here as they were printed.
 *
 * <pre>
 * in:  {"id":1,"to":"chat","type":"zmesh.samples.PostMessage","data":{...},"timeout_ms":5000}
 *      {"id":2,"subscribe":"chat.room.lobby"}      {"id":3,"unsubscribe":"chat.room.lobby"}
 * out: {"id":1,"ok":true,"type":"zmesh.samples.PostAck","data":{...}}
 *      {"id":1,"ok":false,"code":"NO_WORKER","message":"..."}
 *      {"id":2,"ok":true,"subscribed":"chat.room.lobby"}
 *      {"topic":"chat.room.lobby","pattern":"chat.room.lobby","type":"...","data":{...},"dropped":0}
 * </pre>
 */
final class Frames {
  /** Deeper JSON is refused before it costs stack. */
  private static final int NESTING_LIMIT = 64;
  private static final Pattern WHERE = Pattern.compile("line (\\d+) column (\\d+)");

  private Frames() {}

  /**
   * One JSON object and nothing after it.
   *
   * @throws io.zmesh.MeshException INVALID_ARGUMENT for anything else
   */
  static JsonObject parse(String text) {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    reader.setNestingLimit(NESTING_LIMIT);
    JsonElement e;
    try {
      e = JsonParser.parseReader(reader);
    } catch (JsonParseException | IllegalStateException ex) {
      // Gson's messages end in "... at line 1 column 7 path $.id" and advice for programmers.
      String why = String.valueOf(ex.getCause() != null ? ex.getCause().getMessage()
          : ex.getMessage());
      Matcher at = WHERE.matcher(why);
      throw invalid(at.find() ? "not JSON (at line " + at.group(1) + " column " + at.group(2) + ")"
          : "not JSON");
    }
    if (!e.isJsonObject()) {
      throw invalid("a frame is a JSON object, not " + kind(e));
    }
    try {
      if (reader.peek() == JsonToken.END_DOCUMENT) {
        return e.getAsJsonObject();
      }
    } catch (IOException | RuntimeException more) {
      // reported below
    }
    throw invalid("text after the JSON object");
  }

  /** The frame's {@code id}: a number or a string of at most 64 characters; null if absent. */
  static JsonPrimitive id(JsonObject frame) {
    JsonElement id = frame.get("id");
    if (id == null || id.isJsonNull()) {
      return null;
    }
    if (id.isJsonPrimitive() && (id.getAsJsonPrimitive().isNumber()
        || id.getAsJsonPrimitive().isString() && id.getAsString().length() <= 64)) {
      return id.getAsJsonPrimitive();
    }
    throw invalid("\"id\" is a number or a string of at most 64 characters");
  }

  /** The string member {@code name}, or null if absent. */
  static String string(JsonObject frame, String name) {
    JsonElement e = frame.get(name);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw invalid("\"" + name + "\" is a string, not " + kind(e));
    }
    return e.getAsString();
  }

  static String reply(JsonPrimitive id, String type, String dataJson) {
    return write(w -> {
      w.name("id").jsonValue(id.toString());
      w.name("ok").value(true);
      w.name("type").value(type);
      w.name("data").jsonValue(dataJson);
    });
  }

  /** An error frame; {@code id} null when the frame had none, or could not be read. */
  static String error(JsonPrimitive id, Status status) {
    return write(w -> {
      if (id != null) {
        w.name("id").jsonValue(id.toString());
      }
      w.name("ok").value(false);
      w.name("code").value(status.code().name());
      w.name("message").value(status.description());
    });
  }

  /** The answer to a subscribe ({@code key} "subscribed") or unsubscribe frame. */
  static String subscription(JsonPrimitive id, String key, String pattern) {
    return write(w -> {
      if (id != null) {
        w.name("id").jsonValue(id.toString());
      }
      w.name("ok").value(true);
      w.name(key).value(pattern);
    });
  }

  /**
   * A topic message without its closing {@code "dropped":N}}, which differs per socket: see
   * {@link #withDropped}. {@code dataJson} null sends the bytes of a type nobody declared.
   */
  static String messageStart(String pattern, String topic, String type, String dataJson,
      String base64) {
    String whole = write(w -> {
      w.name("topic").value(topic);
      w.name("pattern").value(pattern);
      w.name("type").value(type);
      if (dataJson != null) {
        w.name("data").jsonValue(dataJson);
      } else {
        w.name("bytes").value(base64);
      }
    });
    return whole.substring(0, whole.length() - 1);
  }

  static String withDropped(String messageStart, long dropped) {
    return messageStart + ",\"dropped\":" + dropped + "}";
  }

  private interface Members {
    void write(JsonWriter w) throws IOException;
  }

  private static String write(Members members) {
    StringWriter out = new StringWriter(128);
    try (JsonWriter w = new JsonWriter(out)) {
      w.beginObject();
      members.write(w);
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static String kind(JsonElement e) {
    if (e.isJsonArray()) {
      return "an array";
    }
    if (e.isJsonNull()) {
      return "null";
    }
    return e.isJsonObject() ? "an object" : "a " + (e.getAsJsonPrimitive().isString() ? "string"
        : e.getAsJsonPrimitive().isNumber() ? "number" : "boolean");
  }

  static io.zmesh.MeshException invalid(String why) {
    return Status.INVALID_ARGUMENT.withDescription(why).asException();
  }
}
