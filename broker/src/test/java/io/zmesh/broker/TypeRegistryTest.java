package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class TypeRegistryTest {
  private final TypeRegistry types = new TypeRegistry();
  private final Object db = "db-connection";
  private final Object db2 = "second-db-connection";
  private final Object evil = "evil-connection";
  private final Object subscriber = "subscriber-connection";

  /** zmesh/test/db.proto declaring message Row with the given field names. */
  private static FileDescriptorSet dbProto(String... fields) {
    DescriptorProto.Builder row = DescriptorProto.newBuilder().setName("Row");
    for (int i = 0; i < fields.length; i++) {
      row.addField(FieldDescriptorProto.newBuilder().setName(fields[i]).setNumber(i + 1)
          .setType(FieldDescriptorProto.Type.TYPE_STRING));
    }
    return FileDescriptorSet.newBuilder().addFile(FileDescriptorProto.newBuilder()
        .setName("zmesh/test/db.proto").setPackage("zmesh.test").addMessageType(row)).build();
  }

  private List<String> fieldsKnown() {
    FileDescriptorSet set = types.describe(List.of("zmesh.test.Row"));
    if (set.getFileCount() == 0) {
      return List.of();
    }
    return set.getFile(0).getMessageType(0).getFieldList().stream()
        .map(FieldDescriptorProto::getName).toList();
  }

  @Test
  void aConflictingDefinitionFromAnotherWorkerIsRefused() {
    types.register(db, "db", dbProto("key", "value"));
    List<String> refused = types.register(evil, "evil", dbProto("stolen"));
    assertEquals(List.of("zmesh/test/db.proto"), refused);
    assertEquals(List.of("key", "value"), fieldsKnown());
    assertEquals(1, types.refused);
  }

  @Test
  void aWorkersOwnNameMayUpgradeItsDefinition() {
    types.register(db, "db", dbProto("key"));
    assertTrue(types.register(db2, "db", dbProto("key", "added")).isEmpty());
    assertEquals(List.of("key", "added"), fieldsKnown());
  }

  @Test
  void subscribersAddFilesButNeverChangeAWorkers() {
    types.register(db, "db", dbProto("key"));
    assertEquals(1, types.register(subscriber, "", dbProto("other")).size());
    assertEquals(List.of("key"), fieldsKnown());
  }

  @Test
  void aWorkersDefinitionWinsOverOneOnlySubscribersHold() {
    types.register(subscriber, "", dbProto("forged"));
    assertTrue(types.register(db, "db", dbProto("key")).isEmpty());
    assertEquals(List.of("key"), fieldsKnown());
  }

  @Test
  void aFileGoesWithTheLastConnectionThatHeldIt() {
    types.register(db, "db", dbProto("key"));
    types.register(db2, "db", dbProto("key"));
    types.release(db);
    assertEquals(List.of("key"), fieldsKnown());
    types.release(db2);
    assertEquals(List.of(), fieldsKnown());
    assertEquals(0, types.size());
    // Once gone, anyone may declare it anew.
    types.register(evil, "evil", dbProto("fresh"));
    assertEquals(List.of("fresh"), fieldsKnown());
  }
}
