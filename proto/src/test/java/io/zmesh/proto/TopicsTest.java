package io.zmesh.proto;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TopicsTest {
  @Test
  void validTopicsAndPatterns() {
    for (String t : new String[] {"a", "chat.room.1", "orders.eu-west.new", "x:y.z_1"}) {
      assertNull(Topics.checkTopic(t), t);
      assertNull(Topics.checkPattern(t), t);
    }
    for (String p : new String[] {"*", ">", "chat.*", "chat.>", "*.room.*", "a.*.>"}) {
      assertNull(Topics.checkPattern(p), p);
      assertNotNull(Topics.checkTopic(p), p);
    }
  }

  @Test
  void invalidTopicsAndPatterns() {
    for (String p :
        new String[] {"", ".", "a.", ".a", "a..b", "a b", "a.>.b", "a*", "a.b>", "é", "a.\t"}) {
      assertNotNull(Topics.checkPattern(p), p);
      assertNotNull(Topics.checkTopic(p), p);
    }
    assertNotNull(Topics.checkTopic("a".repeat(Topics.MAX_LENGTH + 1)));
    assertNotNull(Topics.checkTopic(null));
  }

  @Test
  void matching() {
    assertTrue(Topics.matches("chat.room", "chat.room"));
    assertFalse(Topics.matches("chat.room", "chat.rooms"));
    assertFalse(Topics.matches("chat.room", "chat.room.1"));
    assertTrue(Topics.matches("chat.*", "chat.room"));
    assertFalse(Topics.matches("chat.*", "chat.room.1"));
    assertFalse(Topics.matches("chat.*", "chat"));
    assertTrue(Topics.matches("chat.>", "chat.room.1"));
    assertTrue(Topics.matches("chat.>", "chat.room"));
    assertFalse(Topics.matches("chat.>", "chat"));
    assertTrue(Topics.matches("*.room.*", "chat.room.1"));
    assertFalse(Topics.matches("*.room.*", "chat.hall.1"));
    assertTrue(Topics.matches(">", "a.b.c"));
    assertTrue(Topics.matches("*", "a"));
    assertFalse(Topics.matches("*", "a.b"));
  }
}
