package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.StringValue;
import io.zmesh.proto.DescribeTypesReply;
import io.zmesh.proto.DescribeTypesRequest;
import io.zmesh.proto.Names;
import io.zmesh.testing.Await;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.Worker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The descriptors a worker declared live as long as some connection that declared them. */
@Timeout(60)
class DescriptorTest {

  private static int filesOf(TestMesh mesh, String type) {
    return mesh.adminCall(Names.SERVICE_TYPES,
        DescribeTypesRequest.newBuilder().addTypeNames(type).build(), DescribeTypesReply.class)
        .getFiles().getFileCount();
  }

  @Test
  void aDepartedWorkersDescriptorsAreRemoved() {
    try (TestMesh mesh = TestMesh.start()) {
      Worker a = mesh.startWorker("echo", b -> b.handle(StringValue.class, (s, ctx) -> s));
      Worker b = mesh.startWorker("echo", w -> w.handle(StringValue.class, (s, ctx) -> s));
      assertEquals(1, filesOf(mesh, "google.protobuf.StringValue"));
      a.close();
      Await.until("one instance left", TestMesh.SETTLE, () -> mesh.activeInstances("echo") == 1);
      assertEquals(1, filesOf(mesh, "google.protobuf.StringValue"));
      b.close();
      Await.until("the last one's files gone", TestMesh.SETTLE,
          () -> filesOf(mesh, "google.protobuf.StringValue") == 0);
      assertEquals(0, mesh.counter("known_type_files"));
    }
  }
}
