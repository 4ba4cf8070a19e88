package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.CurveKeys;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class KeygenCliTest {
  @TempDir
  Path dir;

  @Test
  void keygenWritesAPairWhoseSecretOnlyItsOwnerReads() throws Exception {
    Result r = CliRunner.run("keygen", "--dir", dir.toString(), "db");
    assertEquals(0, r.code(), r.err());
    Path pub = dir.resolve("db.key");
    Path secret = dir.resolve("db.key_secret");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    assertFalse(Files.readString(pub).contains("secret-key"), "the public file holds the secret");
    CurveKeys.Pair pair = CurveKeys.readPair(secret);
    assertEquals(pair.publicKey(), CurveKeys.publicKey(pub.toString()));
    assertTrue(r.out().contains("key { name: \"db\" public_key: \"" + pair.publicKey() + "\" }"),
        r.out());
    // Never overwritten.
    Result again = CliRunner.run("keygen", "--dir", dir.toString(), "db");
    assertEquals(Main.EXIT_USAGE, again.code());
    assertTrue(again.err().contains("exists"), again.err());
    assertEquals(pair, CurveKeys.readPair(secret));
  }

  @Test
  void clientCommandsConnectWithTheirKeys() throws Exception {
    assertEquals(0, CliRunner.run("keygen", "--dir", dir.toString(), "broker").code());
    assertEquals(0, CliRunner.run("keygen", "--dir", dir.toString(), "ops").code());
    Path allow = dir.resolve("allow.txtpb");
    Files.writeString(allow, "key { name: \"ops\" public_key: \""
        + CurveKeys.publicKey(dir.resolve("ops.key").toString()) + "\" admin: \"read\" }\n");
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*")
        .curve(CurveKeys.readPair(dir.resolve("broker.key_secret")), allow).build())) {
      Result r = CliRunner.run("ls", "--broker", broker.endpoint(),
          "--broker-key", dir.resolve("broker.key").toString(),
          "--key", dir.resolve("ops.key_secret").toString());
      assertEquals(0, r.code(), r.err());
    }
    Result half = CliRunner.run("ls", "--broker-key", dir.resolve("broker.key").toString());
    assertEquals(Main.EXIT_USAGE, half.code());
    assertTrue(half.err().contains("CURVE needs both"), half.err());
  }
}
