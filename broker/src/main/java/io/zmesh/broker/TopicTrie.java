package io.zmesh.broker;

import io.zmesh.proto.Topics;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Subscriptions by pattern, as a trie of tokens. A pattern's node holds its broadcast
 * subscriptions and its groups (one per group name); each node has exact-token children, a
 * {@code *} child and a {@code >} child. Matching a topic walks only the nodes whose path
 * matches the topic's prefixes, visiting each node at most once, so its cost depends on the
 * topic's tokens and on the patterns that match, not on how many other subscriptions exist.
 * Nodes left empty are removed, so the memory of a pattern returns when its last subscription
 * leaves. Broker-loop thread only.
 */
final class TopicTrie {
  /** What a node holds: a broadcast {@link TopicSubscription} or a {@link TopicGroup}. */
  abstract static class Entry {
    Node node;
    /** Position in {@link Node#entries}; -1 when not in the trie. */
    int slot = -1;

    abstract void accept(Visitor visitor);
  }

  /** Told of every entry a topic matches; see {@link #match}. */
  interface Visitor {
    void broadcast(TopicSubscription subscription);

    void group(TopicGroup group);
  }

  static final class Node {
    private static final Entry[] NONE = new Entry[0];

    final Node parent;
    /** The key in the parent: the token, {@code *} or {@code >}. */
    final String token;
    TokenMap<Node> children;
    Node one;
    Node rest;
    Entry[] entries = NONE;
    int count;
    /** This node's groups by name; null while there are none. */
    Map<String, TopicGroup> groups;

    Node(Node parent, String token) {
      this.parent = parent;
      this.token = token;
    }

    boolean isEmpty() {
      return count == 0 && one == null && rest == null && children == null;
    }

    void add(Entry e) {
      if (count == entries.length) {
        entries = Arrays.copyOf(entries, Math.max(2, count * 2));
      }
      entries[count] = e;
      e.node = this;
      e.slot = count++;
    }

    void remove(Entry e) {
      Entry last = entries[--count];
      entries[e.slot] = last;
      last.slot = e.slot;
      entries[count] = null;
      e.slot = -1;
      e.node = null;
      if (count == 0) {
        entries = NONE;
      } else if (entries.length > 8 && count < entries.length / 4) {
        entries = Arrays.copyOf(entries, entries.length / 2);
      }
    }
  }

  private final Node root = new Node(null, "");
  private int nodes = 1;
  private int subscriptions;

  /** Nodes in the trie, the root included: 1 when it holds nothing. */
  int nodes() {
    return nodes;
  }

  int subscriptions() {
    return subscriptions;
  }

  /** Adds {@code s} under its pattern, assumed valid, joining or creating its group. */
  void add(TopicSubscription s) {
    Node node = root;
    String pattern = s.pattern;
    int start = 0;
    while (start < pattern.length()) {
      int end = tokenEnd(pattern, start);
      node = child(node, pattern.substring(start, end));
      start = end + 1;
    }
    if (s.group.isEmpty()) {
      node.add(s);
    } else {
      if (node.groups == null) {
        node.groups = new HashMap<>();
      }
      TopicGroup g = node.groups.get(s.group);
      if (g == null) {
        g = new TopicGroup(s.pattern, s.group);
        node.groups.put(s.group, g);
        node.add(g);
      }
      g.add(s);
    }
    subscriptions++;
  }

  /** Removes {@code s}, its group if it was the last member, and the nodes left empty. */
  void remove(TopicSubscription s) {
    Node node;
    TopicGroup g = s.memberOf;
    if (g == null) {
      node = s.node;
      if (node == null) {
        return;
      }
      node.remove(s);
    } else {
      node = g.node;
      g.remove(s);
      if (g.size() == 0) {
        node.remove(g);
        node.groups.remove(g.name);
        if (node.groups.isEmpty()) {
          node.groups = null;
        }
      }
    }
    subscriptions--;
    while (node != root && node.isEmpty()) {
      Node parent = node.parent;
      if (parent.one == node) {
        parent.one = null;
      } else if (parent.rest == node) {
        parent.rest = null;
      } else {
        parent.children.remove(node.token);
        if (parent.children.size() == 0) {
          parent.children = null;
        }
      }
      nodes--;
      node = parent;
    }
  }

  /**
   * Tells {@code visitor} of every broadcast subscription and every group whose pattern matches
   * {@code topic}, assumed valid, each once; returns how many.
   */
  int match(String topic, Visitor visitor) {
    return match(root, topic, 0, visitor);
  }

  private static int match(Node node, String topic, int start, Visitor visitor) {
    if (start > topic.length()) {
      return visit(node, visitor);
    }
    int end = tokenEnd(topic, start);
    int found = 0;
    if (node.rest != null) {
      found += visit(node.rest, visitor);
    }
    if (node.children != null) {
      Node exact = node.children.get(topic, start, end);
      if (exact != null) {
        found += match(exact, topic, end + 1, visitor);
      }
    }
    if (node.one != null) {
      found += match(node.one, topic, end + 1, visitor);
    }
    return found;
  }

  private static int visit(Node node, Visitor visitor) {
    // Entries are not added or removed while a topic is matched: the loop handles lost peers
    // only after the packet at hand.
    for (int i = 0; i < node.count; i++) {
      node.entries[i].accept(visitor);
    }
    return node.count;
  }

  private Node child(Node node, String token) {
    if (token.equals(Topics.ONE)) {
      return node.one != null ? node.one : (node.one = created(node, token));
    }
    if (token.equals(Topics.REST)) {
      return node.rest != null ? node.rest : (node.rest = created(node, token));
    }
    if (node.children == null) {
      node.children = new TokenMap<>();
    }
    Node c = node.children.get(token);
    if (c == null) {
      c = created(node, token);
      node.children.put(token, c);
    }
    return c;
  }

  private Node created(Node parent, String token) {
    nodes++;
    return new Node(parent, token);
  }

  private static int tokenEnd(String s, int start) {
    int end = s.indexOf('.', start);
    return end < 0 ? s.length() : end;
  }
}
