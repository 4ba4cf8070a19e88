package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Ready;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Welcome;
import io.zmesh.testing.RawPeer;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.Worker;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** READY as the broker sees it: the handshake, and the registrations it refuses. */
class RegistrationTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration RAW_HEARTBEAT = Duration.ofSeconds(1);

  private TestMesh mesh;
  private RawPeer raw;

  @BeforeEach
  void start() {
    // Long liveness: the raw peer sends no heartbeats, and nothing here tests liveness.
    mesh = TestMesh.start(TestMesh.options().heartbeatInterval(RAW_HEARTBEAT));
    mesh.stats(); // connects the admin client before the raw peer's clock starts
    raw = new RawPeer(mesh.endpoint());
  }

  @AfterEach
  void stop() {
    raw.close();
    mesh.close();
  }

  private static Envelope ready(long id, String name, int concurrency) {
    return Envelope.newBuilder()
        .setCommand(Command.READY)
        .setId(id)
        .setReady(Ready.newBuilder().setName(name).setInstanceId("raw-1")
            .setConcurrency(concurrency))
        .build();
  }

  private Envelope expectError(long id, StatusCode code, String part) {
    Envelope answer = raw.receive(WAIT);
    assertEquals(Command.ERROR, answer.getCommand(), answer.toString());
    assertEquals(id, answer.getId());
    assertEquals(code, answer.getStatus().getCode(), answer.toString());
    assertTrue(answer.getStatus().getMessage().contains(part), answer.toString());
    return answer;
  }

  @Test
  @Timeout(30)
  void welcomeCarriesTheBrokersHeartbeatSettings() {
    Welcome welcome = raw.hello(WAIT).getWelcome();
    assertEquals(RAW_HEARTBEAT.toMillis(), welcome.getHeartbeatIntervalMs());
    assertEquals(TestMesh.RELAXED_LIVENESS, welcome.getLiveness());
    assertTrue(!welcome.getBrokerVersion().isEmpty());
  }

  @Test
  @Timeout(30)
  void readyUnderTheReservedPrefixIsPermissionDenied() {
    raw.hello(WAIT);
    raw.send(ready(5, "zmesh.stats", 1));
    expectError(5, StatusCode.PERMISSION_DENIED, "reserved for the broker");
    raw.send(ready(6, "zmesh.x", 1));
    expectError(6, StatusCode.PERMISSION_DENIED, "cannot register 'zmesh.x'");

    assertTrue(mesh.group("zmesh.x").isEmpty());
    assertEquals(2, mesh.counter("errors.permission_denied"));
  }

  @Test
  @Timeout(30)
  void readyWithAnInvalidNameOrConcurrencyIsInvalidArgument() {
    raw.hello(WAIT);
    raw.send(ready(7, "has space", 1));
    expectError(7, StatusCode.INVALID_ARGUMENT, "'has space'");
    raw.send(ready(8, "", 1));
    expectError(8, StatusCode.INVALID_ARGUMENT, "worker name is empty");
    raw.send(ready(9, "fine", 0));
    expectError(9, StatusCode.INVALID_ARGUMENT, "concurrency must be 1 to 65536");
    assertTrue(mesh.group("fine").isEmpty());
  }

  @Test
  @Timeout(30)
  void secondReadyOnOneConnectionIsRefused() {
    raw.hello(WAIT);
    raw.send(ready(1, "first", 1));
    Envelope accepted = raw.receive(WAIT);
    assertEquals(Command.REPLY, accepted.getCommand(), accepted.toString());
    assertEquals(1, accepted.getId());

    raw.send(ready(2, "second", 1));
    expectError(2, StatusCode.INVALID_ARGUMENT, "already registered as 'first'");
    assertEquals(1, mesh.activeInstances("first"));
    assertEquals(0, mesh.activeInstances("second"));
  }

  @Test
  @Timeout(30)
  void builderRefusesReservedAndInvalidNames() {
    IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
        () -> Worker.builder().name("zmesh.x")
            .handle(StringValue.class, (s, ctx) -> s).build());
    assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());

    IllegalArgumentException invalid = assertThrows(IllegalArgumentException.class,
        () -> Worker.builder().name("-dash-first")
            .handle(StringValue.class, (s, ctx) -> s).build());
    assertTrue(invalid.getMessage().contains("'-dash-first'"), invalid.getMessage());

    IllegalArgumentException noHandler = assertThrows(IllegalArgumentException.class,
        () -> Worker.builder().name("idle").build());
    assertTrue(noHandler.getMessage().contains("no handler"), noHandler.getMessage());
  }
}
