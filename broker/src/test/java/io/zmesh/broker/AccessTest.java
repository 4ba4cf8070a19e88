package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.CurveKeys;
import io.zmesh.proto.AccessKey;
import org.junit.jupiter.api.Test;

class AccessTest {
  private static Access access(AccessKey.Builder key) {
    return Access.of(key.setName("k").setPublicKey(CurveKeys.generate().publicKey()).build());
  }

  @Test
  void namesAreExactPrefixedOrAny() {
    Access a = access(AccessKey.newBuilder().addRegister("db").addRegister("jobs-*")
        .addCall("*"));
    assertTrue(a.mayRegister("db"));
    assertTrue(a.mayRegister("jobs-eu"));
    assertFalse(a.mayRegister("db2"));
    assertFalse(a.mayRegister("jobs"));
    assertTrue(a.mayCall("anything"));
    assertFalse(access(AccessKey.newBuilder()).mayCall("db"));
  }

  @Test
  void aSubscriptionMustLieWithinAnAllowedPattern() {
    assertTrue(Access.covers("chat.>", "chat.*"));
    assertTrue(Access.covers("chat.>", "chat.room.lobby"));
    assertTrue(Access.covers("chat.>", "chat.>"));
    assertFalse(Access.covers("chat.>", "chat"));
    assertFalse(Access.covers("chat.>", ">"));
    assertTrue(Access.covers("chat.*", "chat.lobby"));
    assertTrue(Access.covers("chat.*", "chat.*"));
    assertFalse(Access.covers("chat.*", "chat.>"));
    assertFalse(Access.covers("chat.lobby", "chat.*"));
    assertTrue(Access.covers(">", "a.b.c"));
    assertFalse(Access.covers("a.*.c", "a.b"));
  }

  @Test
  void publishingFollowsTopicMatching() {
    Access a = access(AccessKey.newBuilder().addPublish("db.>"));
    assertTrue(a.mayPublish("db.events.new"));
    assertFalse(a.mayPublish("chat.lobby"));
  }

  @Test
  void adminIsNoneReadOrWrite() {
    assertEquals(Access.Admin.NONE, access(AccessKey.newBuilder()).admin);
    Access read = access(AccessKey.newBuilder().setAdmin("read"));
    assertTrue(read.mayAdmin(Access.Admin.READ));
    assertFalse(read.mayAdmin(Access.Admin.WRITE));
    assertTrue(access(AccessKey.newBuilder().setAdmin("write")).mayAdmin(Access.Admin.READ));
    assertThrows(IllegalArgumentException.class,
        () -> access(AccessKey.newBuilder().setAdmin("root")));
    assertThrows(IllegalArgumentException.class,
        () -> access(AccessKey.newBuilder().addSubscribe("a..b")));
  }
}
