package io.zmesh.broker;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The message types workers and subscribers declared, with their files, so tools such as
 * {@code zmesh call} can map JSON to types they were not compiled with. Broker-loop thread only.
 */
final class TypeRegistry {
  /** A bound on what peers can make the broker remember. */
  static final int MAX_FILES = 10_000;

  private final Map<String, FileDescriptorProto> files = new LinkedHashMap<>();
  private final Map<String, String> fileOfMessage = new HashMap<>();

  void register(FileDescriptorSet set) {
    for (FileDescriptorProto file : set.getFileList()) {
      if (files.size() >= MAX_FILES && !files.containsKey(file.getName())) {
        return;
      }
      // The newest declaration of a file wins, so a rolling upgrade shows the new schema.
      files.put(file.getName(), file);
      String prefix = file.getPackage().isEmpty() ? "" : file.getPackage() + ".";
      for (DescriptorProto message : file.getMessageTypeList()) {
        index(prefix, message, file.getName());
      }
    }
  }

  private void index(String prefix, DescriptorProto message, String fileName) {
    String name = prefix + message.getName();
    fileOfMessage.put(name, fileName);
    for (DescriptorProto nested : message.getNestedTypeList()) {
      index(name + ".", nested, fileName);
    }
  }

  int size() {
    return files.size();
  }

  /** The files declaring {@code typeNames} (all files when empty) and their imports, imports first. */
  FileDescriptorSet describe(Collection<String> typeNames) {
    ArrayDeque<String> todo = new ArrayDeque<>();
    if (typeNames.isEmpty()) {
      todo.addAll(files.keySet());
    } else {
      for (String type : typeNames) {
        String file = fileOfMessage.get(type);
        if (file != null) {
          todo.add(file);
        }
      }
    }
    Set<String> seen = new HashSet<>();
    ArrayDeque<FileDescriptorProto> ordered = new ArrayDeque<>();
    while (!todo.isEmpty()) {
      String name = todo.poll();
      FileDescriptorProto file = files.get(name);
      if (file != null && seen.add(name)) {
        ordered.push(file);
        todo.addAll(file.getDependencyList());
      }
    }
    // Dependencies were discovered after their dependents: topologically sort by re-walking.
    FileDescriptorSet.Builder out = FileDescriptorSet.newBuilder();
    Set<String> emitted = new HashSet<>();
    for (FileDescriptorProto file : ordered) {
      emit(file, out, emitted, seen);
    }
    return out.build();
  }

  private void emit(FileDescriptorProto file, FileDescriptorSet.Builder out, Set<String> emitted,
      Set<String> wanted) {
    if (!emitted.add(file.getName())) {
      return;
    }
    for (String dep : file.getDependencyList()) {
      FileDescriptorProto d = files.get(dep);
      if (d != null && wanted.contains(dep)) {
        emit(d, out, emitted, wanted);
      }
    }
    out.addFile(file);
  }
}
