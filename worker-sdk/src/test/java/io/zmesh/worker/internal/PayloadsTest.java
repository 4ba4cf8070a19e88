package io.zmesh.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Api;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.MeshException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PayloadsTest {

  @Test
  @Timeout(5)
  void packAndUnpackRoundTrip() {
    Any any = Payloads.pack(StringValue.of("hi"));
    assertEquals("google.protobuf.StringValue", Payloads.typeName(any));
    assertEquals("google.protobuf.StringValue", Payloads.typeName(StringValue.class));
    assertEquals(StringValue.of("hi"), Payloads.unpack(any, StringValue.class, "request"));
    assertSame(any, Payloads.pack(any), "an Any is sent as it is, not wrapped twice");
    assertSame(any, Payloads.unpack(any, Any.class, "request"));
  }

  @Test
  @Timeout(5)
  void unpackingAnotherTypeIsInvalidArgumentNamingBothTypes() {
    MeshException e = assertThrows(MeshException.class,
        () -> Payloads.unpack(Payloads.pack(Int32Value.of(3)), StringValue.class, "request"));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
    assertEquals("request is a google.protobuf.Int32Value, expected google.protobuf.StringValue",
        e.status().description());
  }

  @Test
  @Timeout(5)
  void unpackingAnEmptyAnyNamesNoType() {
    MeshException e = assertThrows(MeshException.class,
        () -> Payloads.unpack(Any.getDefaultInstance(), StringValue.class, "reply"));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
    assertTrue(e.status().description().startsWith("reply is a <no type>"),
        e.status().description());
  }

  @Test
  @Timeout(5)
  void unpackingBytesThatDoNotParseIsInvalidArgument() {
    Any broken = Any.newBuilder()
        .setTypeUrl(Payloads.typeUrl("google.protobuf.StringValue"))
        .setValue(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
        .build();
    MeshException e = assertThrows(MeshException.class,
        () -> Payloads.unpack(broken, StringValue.class, "request"));
    assertEquals(Code.INVALID_ARGUMENT, e.code());
    assertTrue(e.status().description().startsWith(
        "request does not parse as google.protobuf.StringValue"), e.status().description());
  }

  @Test
  @Timeout(5)
  void descriptorSetListsEveryFileOnceWithDependenciesFirst() {
    // api.proto imports source_context.proto and type.proto, and type.proto imports
    // source_context.proto too: a plain breadth-first walk gets this order wrong.
    FileDescriptorSet set = Payloads.descriptorSet(
        List.of(Api.getDescriptor(), StringValue.getDescriptor()));
    Set<String> defined = new HashSet<>();
    for (FileDescriptorProto file : set.getFileList()) {
      for (String dependency : file.getDependencyList()) {
        assertTrue(defined.contains(dependency),
            file.getName() + " comes before its dependency " + dependency + " in "
                + names(set));
      }
      assertTrue(defined.add(file.getName()), file.getName() + " listed twice");
    }
    assertEquals(Set.of("google/protobuf/api.proto", "google/protobuf/type.proto",
        "google/protobuf/source_context.proto", "google/protobuf/any.proto",
        "google/protobuf/wrappers.proto"), defined);
  }

  private static List<String> names(FileDescriptorSet set) {
    return set.getFileList().stream().map(FileDescriptorProto::getName).toList();
  }
}
