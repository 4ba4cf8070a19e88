package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.bench.RawZmtp;
import io.zmesh.testing.TestMesh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a frame the broker will not take costs: nothing, and not for long. */
@Timeout(60)
class FrameLimitTest {
  private static final int MAX = 4096;

  @Test
  void aFrameDeclaredAboveTheHardLimitClosesTheConnectionUnread() throws Exception {
    try (TestMesh mesh = TestMesh.start(TestMesh.options().maxMessageBytes(MAX));
        RawZmtp raw = new RawZmtp(mesh.endpoint())) {
      // Three times the limit: once let in and allocated, now refused at the header.
      raw.declare(3L * MAX, 1);
      assertTrue(raw.closedWithin(5_000), "the broker kept a connection with a 12 KiB frame");
      mesh.stats(); // still serving
    }
  }

  @Test
  void aFrameJustOverTheLimitStillGetsItsTypedAnswer() throws Exception {
    // A long liveness: this raw peer answers no ZMTP heartbeat, and is not meant to be closed.
    try (TestMesh mesh = TestMesh.start(TestMesh.rawPeerOptions().maxMessageBytes(MAX));
        RawZmtp raw = new RawZmtp(mesh.endpoint())) {
      raw.send(new byte[(int) BrokerSocket.hardFrameLimit(MAX)]);
      // Answered (INVALID_ARGUMENT, read by MalformedInputTest), not disconnected.
      assertFalse(raw.closedWithin(1_000));
    }
  }

  @Test
  void aConnectionThatStallsInAFrameIsClosedWithinLiveness() throws Exception {
    try (TestMesh mesh = TestMesh.start(TestMesh.livenessOptions().maxMessageBytes(MAX));
        RawZmtp raw = new RawZmtp(mesh.endpoint())) {
      raw.declare(MAX, 10);
      // 100 ms x 3 without a whole frame; allow for a busy machine.
      assertTrue(raw.closedWithin(5_000), "a stalled frame was kept");
      mesh.stats();
    }
  }
}
