package io.zmesh.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.zmesh.proto.Names;
import io.zmesh.proto.ServiceReply;
import io.zmesh.proto.ServiceRequest;
import io.zmesh.testing.TestMesh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Closing is idempotent, and one connection's close never ends another's. */
@Timeout(30)
class CloseTest {
  @Test
  void closingAClientTwiceLeavesTheOthersConnected() {
    try (TestMesh mesh = TestMesh.start()) {
      MeshClient kept = mesh.client();
      MeshClient closed = MeshClient.connect(TestMesh.meshOptions(mesh.endpoint()));
      closed.close();
      closed.close();
      // Every connection of the process shares one ZeroMQ context; a second close used to give
      // its share back again and end the context under the others.
      ServiceReply reply = kept.call(Names.SERVICE_LOOKUP,
          ServiceRequest.newBuilder().setName("nobody").build(), ServiceReply.class);
      assertEquals(0, reply.getInstances());
    }
  }
}
