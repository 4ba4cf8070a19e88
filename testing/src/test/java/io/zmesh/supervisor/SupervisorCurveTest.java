package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.zmesh.Code;
import io.zmesh.CurveKeys;
import io.zmesh.MeshException;
import io.zmesh.bench.SupervisedWorkerMain;
import io.zmesh.proto.AppReply;
import io.zmesh.proto.AppRequest;
import io.zmesh.proto.AppStatus;
import io.zmesh.proto.InstanceStatus;
import io.zmesh.proto.LogsReply;
import io.zmesh.proto.LogsRequest;
import io.zmesh.proto.StatusRequest;
import io.zmesh.proto.SupervisorStatus;
import io.zmesh.testing.Await;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.MeshOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zmesh up} with CURVE from its file ({@code curve_key}, {@code allow}): worker processes
 * register with the broker's key the supervisor gives them and the key pair their app's env
 * names; plain peers are refused; the supervisor's commands take an operator's key.
 */
@Timeout(180)
class SupervisorCurveTest {
  private static final Duration START = Duration.ofSeconds(90);
  private static final CallOptions CALL = CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10));

  @TempDir
  Path dir;

  private String app(String name, String env, String extra) {
    return "  - name: " + name + "\n"
        + "    main: " + SupervisedWorkerMain.class.getName() + "\n"
        + "    jvm_args: [-XX:TieredStopAtLevel=1, -XX:+UseSerialGC, -Xss512k, -Xmx64m]\n"
        + "    env: " + env + "\n"
        + "    logs: {out: \"" + dir.resolve("${name}-${instance}.out") + "\", err: \""
        + dir.resolve("${name}-${instance}.err") + "\"}\n"
        + extra;
  }

  private static String entry(String name, CurveKeys.Pair keys, String grants) {
    return "key { name: \"" + name + "\" public_key: \"" + keys.publicKey() + "\" " + grants
        + " }\n";
  }

  private MeshClient connect(Supervisor s, CurveKeys.Pair keys) throws InterruptedException {
    MeshClient c = MeshClient.connect(MeshOptions.builder().broker(s.endpoints().get(0))
        .brokerKey(s.brokerKey()).keyPair(keys).build());
    if (!c.awaitConnected(Duration.ofSeconds(10))) {
      c.close();
      throw new AssertionError("a key on the allow-list did not connect");
    }
    return c;
  }

  private static AppStatus app(MeshClient c, String name) {
    return c.call(Supervisor.STATUS, StatusRequest.newBuilder().setApp(name).build(),
        SupervisorStatus.class, CALL).getApps(0);
  }

  private static String logs(MeshClient c, String app) {
    LogsReply r = c.call(Supervisor.LOGS, LogsRequest.newBuilder().setApp(app).setLines(200)
        .build(), LogsReply.class, CALL);
    return r.getLinesList().stream().map(l -> l.getSlot() + " " + l.getStream() + " "
        + l.getText()).collect(Collectors.joining("\n"));
  }

  @Test
  void instancesRegisterOverCurveWithTheKeysTheyAreGivenWhilePlainPeersAreRefused()
      throws Exception {
    Path keys = Files.createDirectories(dir.resolve("keys"));
    CurveKeys.Pair broker = CurveKeys.generate();
    CurveKeys.write(broker, keys.resolve("broker.key"), "broker");
    CurveKeys.Pair echo = CurveKeys.generate();
    CurveKeys.write(echo, keys.resolve("echo.key"), "echo");
    CurveKeys.Pair ops = CurveKeys.generate();
    CurveKeys.Pair viewer = CurveKeys.generate();
    Files.writeString(keys.resolve("allow.txtpb"),
        entry("echo", echo, "register: \"echo\"")
            + entry("ops", ops, "call: \"echo\" admin: \"write\"")
            + entry("viewer", viewer, "admin: \"read\""), StandardCharsets.UTF_8);
    String yaml = "broker:\n"
        + "  bind: \"tcp://127.0.0.1:*\"\n"
        + "  curve_key: keys/broker.key_secret\n"
        + "  allow: keys/allow.txtpb\n"
        + "  require_curve: true\n"
        + "apps:\n"
        // Its key pair from its env, relative to its directory; the broker's key from the
        // supervisor.
        + app("echo", "{ZMESH_KEY: keys/echo.key_secret}", "    ready_timeout: 60s\n")
        // The app's env overrides the broker's key: this one connects plain and is refused.
        + app("plain", "{ZMESH_BROKER_KEY: ''}",
            "    ready_timeout: 5s\n    autorestart: false\n");
    try (Supervisor s = Supervisor.start(Ecosystem.parse(yaml, dir.resolve("mesh.yaml")))) {
      assertEquals(broker.publicKey(), s.brokerKey());
      Supervisor.Startup up = s.started().get(START.toSeconds(), TimeUnit.SECONDS);
      try (MeshClient operator = connect(s, ops); MeshClient reader = connect(s, viewer)) {
        assertEquals(1, up.online(), logs(operator, "echo") + "\n" + logs(operator, "plain"));
        assertEquals(1, up.failed(), logs(operator, "plain"));
        InstanceStatus instance = app(operator, "echo").getInstance(0);
        assertEquals("online", instance.getStatus());
        assertEquals("echo:0",
            operator.call("echo", StringValue.of("echo:0"), StringValue.class, CALL).getValue());
        InstanceStatus refused = app(reader, "plain").getInstance(0);
        assertEquals("not ready within 5000 ms", refused.getLastExit());
        assertTrue(s.broker().workers().get(10, TimeUnit.SECONDS).getWorkersList().stream()
            .noneMatch(w -> w.getName().equals("plain")), "a plain process never registered");

        // A plain client, and a CURVE client whose key is not listed, never get in.
        try (MeshClient plain = MeshClient.connect(s.endpoints().get(0))) {
          assertFalse(plain.awaitConnected(Duration.ofSeconds(2)));
        }
        try (MeshClient stranger = MeshClient.connect(MeshOptions.builder()
            .broker(s.endpoints().get(0)).brokerKey(s.brokerKey())
            .keyPair(CurveKeys.generate()).build())) {
          assertFalse(stranger.awaitConnected(Duration.ofSeconds(2)));
        }
        Await.until("the stranger's handshake counted", Duration.ofSeconds(10), () ->
            s.broker().stats().join().getCountersOrDefault("curve_handshakes_refused", 0) >= 1);

        // The supervisor's services under the allow-list: reading needs admin read, a reload
        // admin write; the replacement registers with the same keys.
        MeshException denied = assertThrows(MeshException.class, () -> reader.call(
            Supervisor.RELOAD, AppRequest.newBuilder().setApp("echo").build(), AppReply.class,
            CALL));
        Await.assertStatus(Code.PERMISSION_DENIED, denied, "viewer");
        AppReply reload = operator.call(Supervisor.RELOAD, AppRequest.newBuilder().setApp("echo")
            .build(), AppReply.class, CallOptions.DEFAULT.withTimeout(START));
        assertEquals(0, reload.getFailed(), reload.getMessage() + "\n" + logs(operator, "echo"));
        InstanceStatus replaced = app(operator, "echo").getInstance(0);
        assertEquals("online", replaced.getStatus());
        assertNotEquals(instance.getPid(), replaced.getPid());
        assertEquals("echo:1",
            operator.call("echo", StringValue.of("echo:1"), StringValue.class, CALL).getValue());
      }
    }
  }
}
