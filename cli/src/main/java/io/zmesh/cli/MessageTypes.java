package io.zmesh.cli;

import com.google.protobuf.Any;
import com.google.protobuf.AnyProto;
import com.google.protobuf.ApiProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.FieldMaskProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.SourceContextProto;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.TypeProto;
import com.google.protobuf.WrappersProto;
import com.google.protobuf.util.JsonFormat;
import io.zmesh.proto.Admin;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.Mesh;
import io.zmesh.proto.Names;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.Requester;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Message types known by name at run time: protobuf's well-known types, zmesh's own, and the
 * types the broker learned from its workers. Maps JSON to those types and back with protobuf's
 * canonical JSON mapping.
 */
public final class MessageTypes {
  private final Map<String, FileDescriptor> files = new LinkedHashMap<>();
  private final Map<String, Descriptor> messages = new LinkedHashMap<>();
  private final Set<String> asked = new HashSet<>();
  private JsonFormat.TypeRegistry registry;

  private MessageTypes() {
    for (FileDescriptor f : List.of(
        AnyProto.getDescriptor(), StructProto.getDescriptor(), WrappersProto.getDescriptor(),
        EmptyProto.getDescriptor(), TimestampProto.getDescriptor(), DurationProto.getDescriptor(),
        FieldMaskProto.getDescriptor(), SourceContextProto.getDescriptor(),
        TypeProto.getDescriptor(), ApiProto.getDescriptor(), DescriptorProtos.getDescriptor(),
        Mesh.getDescriptor(), Admin.getDescriptor())) {
      add(f);
    }
    rebuildRegistry();
  }

  /** Only the compiled-in types. */
  public static MessageTypes builtin() {
    return new MessageTypes();
  }

  /**
   * The compiled-in types plus those the broker knows.
   *
   * @throws io.zmesh.MeshException if the broker cannot be asked
   */
  public static MessageTypes fromBroker(Requester requester, CallOptions options) {
    MessageTypes types = new MessageTypes();
    types.addAll(describe(requester, options, DescribeTypesRequest.getDefaultInstance()));
    return types;
  }

  private static FileDescriptorSet describe(Requester requester, CallOptions options,
      DescribeTypesRequest request) {
    return requester.call(Names.SERVICE_TYPES, request, DescribeTypesReply.class, options)
        .getFiles();
  }

  /** Whether {@code typeName} (fully qualified) is known here. */
  public boolean contains(String typeName) {
    return messages.containsKey(typeName);
  }

  /**
   * Makes sure {@code typeName} is known, asking the broker (zmesh.types) for its files if it
   * is not. Asks once per name: a type the broker does not know stays unknown.
   *
   * @throws io.zmesh.MeshException if the broker cannot be asked
   */
  public void learn(Requester requester, CallOptions options, String typeName) {
    if (contains(typeName) || !asked.add(typeName)) {
      return;
    }
    addAll(describe(requester, options,
        DescribeTypesRequest.newBuilder().addTypeNames(typeName).build()));
  }

  /** Adds files, imports first; files whose imports are unknown are skipped. */
  public void addAll(FileDescriptorSet set) {
    for (FileDescriptorProto proto : set.getFileList()) {
      if (files.containsKey(proto.getName())) {
        continue;
      }
      List<FileDescriptor> deps = new ArrayList<>();
      boolean complete = true;
      for (String dep : proto.getDependencyList()) {
        FileDescriptor d = files.get(dep);
        if (d == null) {
          complete = false;
          break;
        }
        deps.add(d);
      }
      if (!complete) {
        continue;
      }
      try {
        add(FileDescriptor.buildFrom(proto, deps.toArray(new FileDescriptor[0])));
      } catch (DescriptorValidationException e) {
        // A broken schema from one worker must not stop the tool from using the others.
        continue;
      }
    }
    rebuildRegistry();
  }

  private void add(FileDescriptor file) {
    files.put(file.getName(), file);
    for (Descriptor d : file.getMessageTypes()) {
      addMessage(d);
    }
  }

  private void addMessage(Descriptor d) {
    messages.putIfAbsent(d.getFullName(), d);
    for (Descriptor nested : d.getNestedTypes()) {
      addMessage(nested);
    }
  }

  private void rebuildRegistry() {
    registry = JsonFormat.TypeRegistry.newBuilder().add(messages.values()).build();
  }

  /**
   * @throws Main.UsageException naming the known types when {@code name} is not one
   */
  public Descriptor find(String name) {
    Descriptor d = messages.get(name);
    if (d == null) {
      TreeSet<String> known = new TreeSet<>();
      for (Descriptor m : messages.values()) {
        if (isUseful(m)) {
          known.add(m.getFullName());
        }
      }
      throw new Main.UsageException("unknown message type '" + name + "'; known types: "
          + String.join(", ", known));
    }
    return d;
  }

  /** Whether to suggest {@code d} as a request type: not a map entry, nor a wire-protocol type. */
  private static boolean isUseful(Descriptor d) {
    if (d.getOptions().getMapEntry() || d.getFile() == Mesh.getDescriptor()) {
      return false;
    }
    String file = d.getFile().getName();
    if (file.startsWith("google/protobuf/")) {
      return file.equals("google/protobuf/wrappers.proto") || file.equals("google/protobuf/empty.proto")
          || d.getFullName().equals("google.protobuf.Struct");
    }
    return true;
  }

  /**
   * @throws Main.UsageException if the JSON does not fit the type
   */
  public DynamicMessage parse(Descriptor type, String json) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    try {
      JsonFormat.parser().usingTypeRegistry(registry).merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new Main.UsageException(
          "JSON does not fit " + type.getFullName() + ": " + e.getMessage());
    }
    return builder.build();
  }

  /**
   * A command's {@code TYPE JSON} arguments as a message; JSON {@code -} reads standard input.
   *
   * @throws Main.UsageException for an unknown type or JSON that does not fit it
   */
  public DynamicMessage parseArgument(String typeName, String json) {
    String body;
    try {
      body = "-".equals(json) ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : json;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return parse(find(typeName), body);
  }

  /** The message in {@code any} as JSON; unknown types print their type URL and bytes. */
  public String toJson(Any any, boolean compact) {
    String typeName = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    Descriptor d = messages.get(typeName);
    if (d == null) {
      return rawJson(any, compact);
    }
    try {
      return toJson(DynamicMessage.parseFrom(d, any.getValue()), compact);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("reply does not parse as " + typeName + ": " + e.getMessage());
    }
  }

  /** {@code any} undecoded: its type URL and its bytes in base64. */
  public static String rawJson(Any any, boolean compact) {
    String space = compact ? "" : " ";
    return "{\"@type\":" + space + quote(any.getTypeUrl()) + "," + space + "\"@bytes\":" + space
        + "\"" + Base64.getEncoder().encodeToString(any.getValue().toByteArray()) + "\"}";
  }

  /** Protobuf's JSON mapping of {@code message}: a user's message as any protobuf tool has it. */
  public String toJson(Message message, boolean compact) {
    return Json.rewrite(canonical(message), compact);
  }

  /** {@code message}, one of zmesh's own answers, with its 64-bit counts and times as numbers. */
  public String toNaturalJson(Message message, boolean compact) {
    return Json.natural(canonical(message), message.getDescriptorForType(), compact);
  }

  private String canonical(Message message) {
    try {
      return JsonFormat.printer()
          .usingTypeRegistry(registry)
          .alwaysPrintFieldsWithNoPresence()
          .omittingInsignificantWhitespace()
          .print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getDescriptorForType().getFullName()
          + " as JSON: " + e.getMessage(), e);
    }
  }

  /** {@code s} as a JSON string literal. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
