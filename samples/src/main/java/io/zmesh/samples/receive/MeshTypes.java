package io.zmesh.samples.receive;

import com.google.protobuf.Any;
import com.google.protobuf.AnyProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.FieldMaskProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import com.google.protobuf.util.JsonFormat;
import io.zmesh.Status;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.Names;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.Requester;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Message types known by name at run time: protobuf's well-known types, and those the broker's
 * type registry ({@code zmesh.types}) knows from the workers and subscribers that declared
 * them. The gateway is compiled with no worker's types: it learns each the first time a frame
 * or a message names it. Thread-safe; lookups of known types take no lock.
 */
final class MeshTypes {
  private static final Pattern TYPE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]{0,255}");
  /** An unknown name is asked about again after this long: a worker may register meanwhile. */
  private static final long UNKNOWN_RETRY_NANOS = Duration.ofSeconds(1).toNanos();
  /** A bound on what hostile frames can make the gateway remember. */
  private static final int MAX_UNKNOWN = 4096;

  private final Requester mesh;
  private final Map<String, FileDescriptor> files = new HashMap<>();
  private volatile Map<String, Descriptor> messages = Map.of();
  private volatile JsonFormat.TypeRegistry registry = JsonFormat.TypeRegistry.getEmptyTypeRegistry();
  private final Map<String, CompletableFuture<Descriptor>> asking = new ConcurrentHashMap<>();
  private final Map<String, Long> unknownSince = new ConcurrentHashMap<>();

  MeshTypes(Requester mesh) {
    this.mesh = mesh;
    List<FileDescriptor> builtin = List.of(AnyProto.getDescriptor(), DurationProto.getDescriptor(),
        EmptyProto.getDescriptor(), FieldMaskProto.getDescriptor(), StructProto.getDescriptor(),
        TimestampProto.getDescriptor(), WrappersProto.getDescriptor());
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    builtin.forEach(f -> set.addFile(f.toProto()));
    add(set.build());
  }

  /**
   * The descriptor of {@code typeName}, asking the broker if it is not known yet.
   *
   * @return a future failing with INVALID_ARGUMENT for a type nobody declared
   */
  CompletableFuture<Descriptor> find(String typeName) {
    Descriptor known = messages.get(typeName);
    if (known != null) {
      return CompletableFuture.completedFuture(known);
    }
    if (!TYPE_NAME.matcher(typeName).matches()) {
      return CompletableFuture.failedFuture(Status.INVALID_ARGUMENT.withDescription(
          "'" + shorten(typeName) + "' is not a message type name").asException());
    }
    Long since = unknownSince.get(typeName);
    if (since != null && System.nanoTime() - since < UNKNOWN_RETRY_NANOS) {
      return CompletableFuture.failedFuture(unknown(typeName));
    }
    CompletableFuture<Descriptor> mine = new CompletableFuture<>();
    CompletableFuture<Descriptor> other = asking.putIfAbsent(typeName, mine);
    if (other != null) {
      return other;
    }
    DescribeTypesRequest ask = DescribeTypesRequest.newBuilder().addTypeNames(typeName).build();
    mesh.request(Names.SERVICE_TYPES, ask, DescribeTypesReply.class,
            CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(5)))
        .whenComplete((reply, failure) -> {
          asking.remove(typeName, mine);
          if (failure != null) {
            mine.completeExceptionally(failure);
            return;
          }
          add(reply.getFiles());
          Descriptor d = messages.get(typeName);
          if (d != null) {
            mine.complete(d);
          } else {
            if (unknownSince.size() >= MAX_UNKNOWN) {
              unknownSince.clear();
            }
            unknownSince.put(typeName, System.nanoTime());
            mine.completeExceptionally(unknown(typeName));
          }
        });
    return mine;
  }

  /**
   * {@code json} as a message of {@code type}, by protobuf's JSON mapping.
   *
   * @throws io.zmesh.MeshException INVALID_ARGUMENT if it does not fit
   */
  DynamicMessage parse(Descriptor type, String json) {
    DynamicMessage.Builder builder = DynamicMessage.newBuilder(type);
    try {
      JsonFormat.parser().usingTypeRegistry(registry).merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw Status.INVALID_ARGUMENT.withDescription("\"data\" does not fit " + type.getFullName()
          + ": " + e.getMessage()).asException();
    }
    return builder.build();
  }

  /** The message in {@code any} as compact JSON, every field printed (defaults too). */
  CompletableFuture<String> toJson(Any any) {
    return find(typeName(any)).thenApply(d -> {
      try {
        return JsonFormat.printer().usingTypeRegistry(registry)
            .omittingInsignificantWhitespace()
            .alwaysPrintFieldsWithNoPresence()
            .print(DynamicMessage.parseFrom(d, any.getValue()));
      } catch (InvalidProtocolBufferException e) {
        throw Status.INTERNAL.withDescription(
            "a " + d.getFullName() + " that does not parse: " + e.getMessage()).asException();
      }
    });
  }

  /** The full type name of {@code any}'s message: its type URL after the last '/'. */
  static String typeName(Any any) {
    String url = any.getTypeUrl();
    return url.substring(url.lastIndexOf('/') + 1);
  }

  /** Adds the files (imports first) whose imports are known; a broken one is skipped. */
  private synchronized void add(FileDescriptorSet set) {
    boolean added = false;
    for (FileDescriptorProto proto : set.getFileList()) {
      if (files.containsKey(proto.getName())) {
        continue;
      }
      List<FileDescriptor> imports = new ArrayList<>();
      for (String name : proto.getDependencyList()) {
        FileDescriptor d = files.get(name);
        if (d == null) {
          break;
        }
        imports.add(d);
      }
      if (imports.size() < proto.getDependencyCount()) {
        continue;
      }
      try {
        files.put(proto.getName(),
            FileDescriptor.buildFrom(proto, imports.toArray(new FileDescriptor[0])));
        added = true;
      } catch (DescriptorValidationException e) {
        // One worker's broken schema must not keep the others' types from the browser.
      }
    }
    if (added) {
      Map<String, Descriptor> all = new HashMap<>();
      for (FileDescriptor f : files.values()) {
        f.getMessageTypes().forEach(d -> index(d, all));
      }
      registry = JsonFormat.TypeRegistry.newBuilder().add(all.values()).build();
      messages = Map.copyOf(all);
    }
  }

  private static void index(Descriptor d, Map<String, Descriptor> all) {
    all.put(d.getFullName(), d);
    d.getNestedTypes().forEach(n -> index(n, all));
  }

  private static io.zmesh.MeshException unknown(String typeName) {
    return Status.INVALID_ARGUMENT.withDescription("unknown type '" + typeName
        + "': no registered worker or subscriber declared it").asException();
  }

  static String shorten(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
