package io.zmesh.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON as the command line prints it. Protobuf's JSON mapping (JsonFormat) writes 64-bit
 * integers as strings, for JavaScript's sake, and escapes {@code <}, {@code >} and {@code &} as
 * Gson does for HTML; for zmesh's own answers ({@code ls --json}, {@code bench --json}) counts
 * and times are JSON numbers, and no string is escaped beyond what JSON needs.
 */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** Laid out as JsonFormat lays it out: two spaces, {@code "key": value}. */
  private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
      .withSeparators(Separators.createDefaultInstance()
          .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
      .withObjectIndenter(new DefaultIndenter("  ", "\n")));

  private Json() {}

  /** {@code json} written again: the same values, without HTML escapes. */
  static String rewrite(String json, boolean compact) {
    return write(read(json), compact);
  }

  /**
   * {@code json}, the JsonFormat of a message of type {@code type}, with its 64-bit integer
   * fields as numbers.
   */
  static String natural(String json, Descriptor type, boolean compact) {
    JsonNode tree = read(json);
    numbers(tree, type);
    return write(tree, compact);
  }

  private static void numbers(JsonNode node, Descriptor type) {
    if (!(node instanceof ObjectNode)) {
      return;
    }
    ObjectNode object = (ObjectNode) node;
    for (FieldDescriptor field : type.getFields()) {
      JsonNode value = object.get(field.getJsonName());
      if (value == null) {
        continue;
      }
      if (field.isMapField()) {
        FieldDescriptor mapValue = field.getMessageType().findFieldByName("value");
        Iterator<Map.Entry<String, JsonNode>> entries = value.fields();
        while (entries.hasNext()) {
          Map.Entry<String, JsonNode> e = entries.next();
          ((ObjectNode) value).set(e.getKey(), convert(e.getValue(), mapValue));
        }
      } else if (field.isRepeated() && value instanceof ArrayNode) {
        ArrayNode array = (ArrayNode) value;
        for (int i = 0; i < array.size(); i++) {
          array.set(i, convert(array.get(i), field));
        }
      } else {
        object.set(field.getJsonName(), convert(value, field));
      }
    }
  }

  private static JsonNode convert(JsonNode value, FieldDescriptor field) {
    switch (field.getJavaType()) {
      case LONG:
        if (value.isTextual()) {
          BigInteger n = new BigInteger(value.asText());
          if (field.getType() == FieldDescriptor.Type.UINT64
              || field.getType() == FieldDescriptor.Type.FIXED64) {
            return MAPPER.getNodeFactory().numberNode(n);
          }
          return MAPPER.getNodeFactory().numberNode(n.longValue());
        }
        return value;
      case MESSAGE:
        numbers(value, field.getMessageType());
        return value;
      default:
        return value;
    }
  }

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static String write(JsonNode tree, boolean compact) {
    try {
      return compact ? MAPPER.writeValueAsString(tree) : PRETTY.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
