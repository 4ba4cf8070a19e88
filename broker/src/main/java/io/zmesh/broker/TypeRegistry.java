package io.zmesh.broker;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The message types workers and subscribers declared, with their files, so tools such as
 * {@code zmesh call} can map JSON to types they were not compiled with. Broker-loop thread only.
 *
 * <p>Each file is held by the connections that declared it and goes when the last of them
 * leaves. A definition that differs from the one held (a conflicting copy of {@code db.proto},
 * say) is refused, unless it comes from a worker registered under a name that already declares
 * the file (a rolling upgrade of that worker) or the file is held by subscribers only (a
 * worker's declaration wins over theirs). Since a worker registers only under names its key
 * allows, only a peer allowed to register the worker that declares a type can change it.
 */
final class TypeRegistry {
  /** A bound on what peers can make the broker remember. */
  static final int MAX_FILES = 10_000;

  /** A file and who holds it: each holder with the worker name it declared it under. */
  private static final class Entry {
    FileDescriptorProto file;
    /** Holder -> worker name, or "" for a subscriber. */
    final Map<Object, String> holders = new HashMap<>();

    boolean declaredBy(String workerName) {
      return holders.containsValue(workerName);
    }

    boolean workerHeld() {
      for (String name : holders.values()) {
        if (!name.isEmpty()) {
          return true;
        }
      }
      return false;
    }
  }

  private final Map<String, Entry> files = new LinkedHashMap<>();
  private final Map<String, String> fileOfMessage = new HashMap<>();
  private final Map<Object, Set<String>> byHolder = new HashMap<>();
  /** Conflicting definitions refused. */
  long refused;

  /** {@link #register(Object, String, FileDescriptorSet)} on a broker-less test path. */
  void register(FileDescriptorSet set) {
    register(this, "", set);
  }

  /**
   * {@code holder} (a connection) declares {@code set}, as the worker {@code workerName}, or as
   * a subscriber when it is empty.
   *
   * @return the names of the files refused because they conflict with the ones held, if any
   */
  List<String> register(Object holder, String workerName, FileDescriptorSet set) {
    List<String> conflicts = List.of();
    for (FileDescriptorProto file : set.getFileList()) {
      Entry e = files.get(file.getName());
      if (e == null) {
        if (files.size() >= MAX_FILES) {
          return conflicts;
        }
        e = new Entry();
        e.file = file;
        files.put(file.getName(), e);
        index(file);
      } else if (!e.file.equals(file)) {
        boolean upgrade = !workerName.isEmpty()
            && (e.declaredBy(workerName) || !e.workerHeld());
        if (!upgrade) {
          refused++;
          if (conflicts.isEmpty()) {
            conflicts = new ArrayList<>();
          }
          conflicts.add(file.getName());
          continue;
        }
        // The newest declaration of its own worker wins: a rolling upgrade shows the new schema.
        unindex(e.file);
        e.file = file;
        index(file);
      }
      e.holders.put(holder, workerName);
      byHolder.computeIfAbsent(holder, h -> new HashSet<>()).add(file.getName());
    }
    return conflicts;
  }

  /** {@code holder} left: the files only it held go. */
  void release(Object holder) {
    Set<String> held = byHolder.remove(holder);
    if (held == null) {
      return;
    }
    for (String name : held) {
      Entry e = files.get(name);
      if (e != null) {
        e.holders.remove(holder);
        if (e.holders.isEmpty()) {
          files.remove(name);
          unindex(e.file);
        }
      }
    }
  }

  private void index(FileDescriptorProto file) {
    String prefix = file.getPackage().isEmpty() ? "" : file.getPackage() + ".";
    for (DescriptorProto message : file.getMessageTypeList()) {
      index(prefix, message, file.getName());
    }
  }

  private void index(String prefix, DescriptorProto message, String fileName) {
    String name = prefix + message.getName();
    fileOfMessage.put(name, fileName);
    for (DescriptorProto nested : message.getNestedTypeList()) {
      index(name + ".", nested, fileName);
    }
  }

  private void unindex(FileDescriptorProto file) {
    String name = file.getName();
    fileOfMessage.values().removeIf(name::equals);
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
      Entry entry = files.get(name);
      FileDescriptorProto file = entry == null ? null : entry.file;
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
      Entry d = files.get(dep);
      if (d != null && wanted.contains(dep)) {
        emit(d.file, out, emitted, wanted);
      }
    }
    out.addFile(file);
  }
}
