package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.command;
import static io.zmesh.conformance.RawConnection.publish;
import static io.zmesh.conformance.RawConnection.ready;
import static io.zmesh.conformance.RawConnection.request;
import static io.zmesh.conformance.RawConnection.subscribe;
import static io.zmesh.conformance.RawConnection.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import com.google.protobuf.UnknownFieldSet;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Wire;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/protocol.md section 2, Transport and framing, and section 4, Ids. */
@Timeout(30)
class FramingTest {
  private static final int LIMIT = 4096;
  private static BrokerUnderTest broker;

  @BeforeAll
  static void start() {
    broker = BrokerUnderTest.start(b -> b.maxMessageBytes(LIMIT).subscriptionBudget(100, LIMIT));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  /** Asserts the connection is still served: a broker service answers. */
  private static void stillServed(RawConnection c) {
    broker.stats();
    c.send(request(77, "zmesh.nothing", "x", 1_000));
    c.expectError(77, StatusCode.NO_WORKER, "zmesh.workers");
  }

  @Test
  @Checks("ID-1")
  void packetsThatAskForAnAnswerMustNotHaveIdZero() {
    try (RawConnection c = RawConnection.connected(broker.endpoint())) {
      c.send(ready(0, "id1", "id1-1", 1));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "READY must carry a non-zero id");
      c.send(request(0, "id1", "x", 1_000));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "REQUEST must carry a non-zero id");
      c.send(request(0, "zmesh.stats", "x", 1_000));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "REQUEST must carry a non-zero id");
      c.send(subscribe(0, "id1.>", "", 0, 0));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "SUBSCRIBE must carry a non-zero id");
      c.send(command(Command.UNSUBSCRIBE, 0));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "UNSUBSCRIBE must carry a non-zero id");
      c.send(command(Command.DRAIN, 0));
      c.expectError(0, StatusCode.INVALID_ARGUMENT, "DRAIN must carry a non-zero id");
      // Each was ignored otherwise: nothing registered, nothing subscribed.
      assertEquals(0, broker.workers("id1").getWorkersCount());
      c.send(publish(40, "id1.x", "nobody"));
      c.expectReply(40);
      assertEquals(0, broker.counter("messages_delivered"));
    }
  }

  @Test
  @Checks("ID-3")
  void welcomeHeartbeatAndDisconnectHaveIdZero() {
    try (BrokerUnderTest fast = BrokerUnderTest.start(b -> b.heartbeatInterval(
            java.time.Duration.ofMillis(50)).liveness(100));
        RawConnection c = RawConnection.opened(fast.endpoint())) {
      c.send(RawConnection.hello(5, Wire.PROTOCOL));
      Envelope welcome = c.raw.poll(RawConnection.WAIT);
      assertEquals(Command.WELCOME, welcome.getCommand(), String.valueOf(welcome));
      assertEquals(0, welcome.getId());
      Envelope beat = c.raw.poll(RawConnection.WAIT);
      assertEquals(Command.HEARTBEAT, beat.getCommand(), String.valueOf(beat));
      assertEquals(0, beat.getId());
      fast.broker().close();
      Envelope disconnect = c.next();
      assertEquals(Command.DISCONNECT, disconnect.getCommand(), disconnect.toString());
      assertEquals(0, disconnect.getId());
    }
  }
}
