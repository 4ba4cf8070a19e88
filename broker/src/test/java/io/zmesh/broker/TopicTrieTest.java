package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.Hello;
import io.zmesh.proto.Topics;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The topic trie and group choice, driven directly: no sockets. */
class TopicTrieTest {
  private final Peer peer = new Peer(new Identity(new byte[] {1}), Hello.getDefaultInstance(), 0);
  private final TopicTrie trie = new TopicTrie();
  private long nextId;

  private TopicSubscription add(String pattern) {
    return add(pattern, "");
  }

  private TopicSubscription add(String pattern, String group) {
    return add(pattern, group, 10);
  }

  private TopicSubscription add(String pattern, String group, int budget) {
    TopicSubscription s =
        new TopicSubscription(peer, ++nextId, pattern, group, "", budget, 1 << 20, 0);
    trie.add(s);
    return s;
  }

  /** The patterns of the broadcast subscriptions and groups {@code topic} matches, sorted. */
  private List<String> matched(String topic) {
    List<String> found = new ArrayList<>();
    int n = trie.match(topic, new TopicTrie.Visitor() {
      @Override
      public void broadcast(TopicSubscription s) {
        found.add(s.pattern);
      }

      @Override
      public void group(TopicGroup g) {
        found.add(g.pattern + "#" + g.name);
      }
    });
    assertEquals(found.size(), n);
    found.sort(null);
    return found;
  }

  @Test
  void exactPatternsMatchOnlyTheirTopic() {
    add("orders.eu.new");
    add("orders.eu");
    assertEquals(List.of("orders.eu.new"), matched("orders.eu.new"));
    assertEquals(List.of("orders.eu"), matched("orders.eu"));
    assertEquals(List.of(), matched("orders"));
    assertEquals(List.of(), matched("orders.eu.new.x"));
    assertEquals(List.of(), matched("orders.us.new"));
  }

  @Test
  void starMatchesExactlyOneToken() {
    add("chat.*");
    add("*.lobby");
    add("a.*.c");
    add("*");
    assertEquals(List.of("*.lobby", "chat.*"), matched("chat.lobby"));
    assertEquals(List.of("chat.*"), matched("chat.x"));
    assertEquals(List.of(), matched("chat.lobby.1"));
    assertEquals(List.of("*"), matched("chat"));
    assertEquals(List.of("a.*.c"), matched("a.b.c"));
    assertEquals(List.of(), matched("a.c"));
  }

  @Test
  void restMatchesOneOrMoreTokens() {
    add("chat.>");
    add(">");
    add("chat.*.>");
    assertEquals(List.of(">", "chat.>"), matched("chat.lobby"));
    assertEquals(List.of(">", "chat.*.>", "chat.>"), matched("chat.lobby.1"));
    assertEquals(List.of(">", "chat.*.>", "chat.>"), matched("chat.lobby.1.2.3"));
    assertEquals(List.of(">"), matched("chat"));
    assertEquals(List.of(">"), matched("other.x"));
  }

  @Test
  void aTopicMatchesEachPatternOnceHoweverManyPathsLookAlike() {
    for (String p : List.of("a.b.c", "a.*.c", "*.b.*", "*.*.*", "a.>", "*.>", ">", "a.b.>")) {
      add(p);
    }
    assertEquals(List.of("*.*.*", "*.>", "*.b.*", ">", "a.*.c", "a.>", "a.b.>", "a.b.c"),
        matched("a.b.c"));
  }

  @Test
  void agreesWithTheGrammarsMatcherOnRandomPatterns() {
    Random random = new Random(42);
    String[] tokens = {"a", "b", "c", "*", ">"};
    Set<String> patterns = new HashSet<>();
    while (patterns.size() < 300) {
      StringBuilder p = new StringBuilder();
      int n = 1 + random.nextInt(4);
      for (int i = 0; i < n; i++) {
        String t = tokens[random.nextInt(i == n - 1 ? 5 : 4)];
        p.append(i == 0 ? "" : ".").append(t);
      }
      assertNull(Topics.checkPattern(p.toString()), p.toString());
      patterns.add(p.toString());
    }
    patterns.forEach(this::add);
    for (int k = 0; k < 500; k++) {
      StringBuilder t = new StringBuilder();
      int n = 1 + random.nextInt(5);
      for (int i = 0; i < n; i++) {
        t.append(i == 0 ? "" : ".").append(tokens[random.nextInt(3)]);
      }
      String topic = t.toString();
      List<String> expected = patterns.stream().filter(p -> Topics.matches(p, topic)).sorted()
          .toList();
      assertEquals(expected, matched(topic), topic);
    }
  }

  @Test
  void groupsAreKeyedByNameAndPattern() {
    TopicSubscription a1 = add("jobs.*", "a");
    TopicSubscription a2 = add("jobs.*", "a");
    TopicSubscription b = add("jobs.*", "b");
    TopicSubscription other = add("jobs.>", "a");
    add("jobs.*");
    assertSame(a1.memberOf, a2.memberOf);
    assertTrue(a1.memberOf != b.memberOf && a1.memberOf != other.memberOf);
    assertEquals(2, a1.memberOf.size());
    assertEquals(List.of("jobs.*", "jobs.*#a", "jobs.*#b", "jobs.>#a"), matched("jobs.x"));

    trie.remove(a1);
    assertEquals(1, a2.memberOf.size());
    assertEquals(List.of("jobs.*", "jobs.*#a", "jobs.*#b", "jobs.>#a"), matched("jobs.x"));
    trie.remove(a2);
    assertEquals(List.of("jobs.*", "jobs.*#b", "jobs.>#a"), matched("jobs.x"));
    assertEquals(3, trie.subscriptions());
  }

  @Test
  void removingEverySubscriptionPrunesEveryNode() {
    List<TopicSubscription> all = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      all.add(add("unrelated." + i + ".x"));
      all.add(add("unrelated." + i + ".*", "g" + (i % 3)));
      all.add(add("u" + i + ".>"));
    }
    all.add(add(">"));
    all.add(add("*"));
    assertTrue(trie.nodes() > 6_000, "nodes: " + trie.nodes());
    assertEquals(List.of(">", "unrelated.7.*#g1", "unrelated.7.x"), matched("unrelated.7.x"));
    assertEquals(List.of("*", ">"), matched("unrelated"));

    // Removed in another order than added: pruning must not depend on it.
    for (int i = all.size() - 1; i >= 0; i -= 2) {
      trie.remove(all.get(i));
    }
    for (int i = all.size() - 2; i >= 0; i -= 2) {
      trie.remove(all.get(i));
    }
    assertEquals(1, trie.nodes());
    assertEquals(0, trie.subscriptions());
    assertEquals(List.of(), matched("unrelated.7.x"));
  }

  @Test
  void removingOneSubscriptionLeavesItsNeighbours() {
    TopicSubscription ab = add("a.b");
    add("a.b.c");
    add("a.*");
    trie.remove(ab);
    assertEquals(List.of("a.*"), matched("a.b"));
    assertEquals(List.of("a.b.c"), matched("a.b.c"));
    trie.remove(ab); // twice: nothing happens
    assertEquals(2, trie.subscriptions());
  }

  @Test
  void groupChoosesTheLeastLoadedMemberAndTakesTurnsAmongEquals() {
    TopicSubscription a = add("work", "g");
    TopicSubscription b = add("work", "g");
    TopicSubscription c = add("work", "g");
    TopicGroup g = a.memberOf;
    List<TopicSubscription> order = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      TopicSubscription s = g.least();
      order.add(s);
      s.outstandingMessages++;
      g.sent(s);
      // Every member credits its message at once: all stay equal and take turns.
      s.outstandingMessages--;
      g.credited(s);
    }
    assertEquals(List.of(order.get(0), order.get(1), order.get(2)), order.subList(3, 6));
    assertEquals(Set.of(a, b, c), new HashSet<>(order.subList(0, 3)));

    // b holds five messages, a one: c, then a, get the next ones.
    b.outstandingMessages = 5;
    g.credited(b);
    a.outstandingMessages = 1;
    g.credited(a);
    assertSame(c, g.least());
    c.outstandingMessages = 2;
    g.sent(c);
    assertSame(a, g.least());
  }

  @Test
  void membersWithinASixteenthOfTheirBudgetAreEqualsAndTakeTurns() {
    // Budget 160: a sixteenth is 10 messages, a subscriber's credit batch.
    TopicSubscription a = add("work", "g", 160);
    TopicSubscription b = add("work", "g", 160);
    TopicGroup g = a.memberOf;
    a.outstandingMessages = 9; // has not credited lately
    g.credited(a);
    b.outstandingMessages = 0; // has
    g.credited(b);
    TopicSubscription first = g.least();
    first.outstandingMessages++;
    g.sent(first);
    TopicSubscription second = g.least();
    assertTrue(first != second, "equals take turns");
    // A member a whole sixteenth fuller than another gets nothing until it catches up.
    a.outstandingMessages = 15;
    g.credited(a);
    b.outstandingMessages = 5;
    g.credited(b);
    for (int i = 0; i < 5; i++) {
      assertSame(b, g.least());
      b.outstandingMessages++;
      g.sent(b);
    }
    assertSame(a, g.least(), "10 and 15 messages: both one sixteenth in, a waited longer");
  }

  @Test
  void tokenMapFindsRegionsAndShrinks() {
    TokenMap<Integer> map = new TokenMap<>();
    for (int i = 0; i < 10_000; i++) {
      map.put("t" + i, i);
    }
    String topic = "x.t1234.y";
    assertEquals(1234, map.get(topic, 2, 7));
    assertEquals(123, map.get(topic, 2, 6));
    assertNull(map.get(topic, 0, 1));
    assertNull(map.get("x.t12345", 2, 8));
    for (int i = 0; i < 10_000; i += 2) {
      map.remove("t" + i);
    }
    for (int i = 0; i < 10_000; i++) {
      assertEquals(i % 2 == 0 ? null : Integer.valueOf(i), map.get("t" + i), "t" + i);
    }
    for (int i = 1; i < 10_000; i += 2) {
      map.remove("t" + i);
    }
    assertEquals(0, map.size());
    assertEquals(4, map.capacity());
  }
}
