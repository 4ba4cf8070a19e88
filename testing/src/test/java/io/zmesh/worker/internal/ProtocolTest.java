package io.zmesh.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Command;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.testing.FakeBroker;
import io.zmesh.worker.MeshClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The protocol version is agreed in HELLO and WELCOME, once per connection. */
@Timeout(30)
class ProtocolTest {
  @Test
  void helloNamesTheProtocolAndEveryPacketIsOneFrame() {
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options().build())) {
      FakeBroker.Packet hello = broker.expect(Command.HELLO);
      assertEquals(Wire.PROTOCOL, hello.envelope().getHello().getProtocol());
    }
  }

  @Test
  void aBrokerOfAnotherProtocolIsNotTakenForConnected() {
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(broker.options().build())) {
      broker.accept(Welcome.newBuilder().setHeartbeatIntervalMs(1_000).setLiveness(10)
          .setProtocol("zmesh/9").build());
      // The SDK drops the connection and says HELLO again after its backoff.
      broker.expect(Command.HELLO);
      assertFalse(client.isConnected());
    }
  }

  @Test
  void aRefusedHelloIsRetried() {
    // A handshake timeout beyond the broker's wait: only the refusal can bring the second HELLO.
    try (FakeBroker broker = new FakeBroker();
        MeshClient client = MeshClient.connect(
            broker.options().handshakeTimeout(FakeBroker.WAIT.multipliedBy(3)).build())) {
      byte[] peer = broker.expect(Command.HELLO).identity();
      broker.send(peer, Wire.error(0, StatusCode.INVALID_ARGUMENT, "unsupported protocol"));
      broker.accept();
      PublishTest.Await.connected(client);
      assertTrue(client.isConnected());
    }
  }
}
