package io.zmesh.broker;

/**
 * The subscriptions sharing one group name and one pattern: each message goes to one member,
 * the one with the fewest messages outstanding, the one that waited longest among equals (so
 * equal members take turns). Outstanding messages are compared in sixteenths of the budget
 * ({@link TopicSubscription#load}): members that keep up differ only by when their last credit
 * arrived and share evenly, while one that falls behind gets less. Members sit in an indexed
 * heap: choosing is O(1), each change O(log n). Broker-loop thread only.
 */
final class TopicGroup extends TopicTrie.Entry {
  final String pattern;
  final String name;
  private final IndexedHeap<TopicSubscription> members = new IndexedHeap<>() {
    @Override
    boolean less(TopicSubscription a, TopicSubscription b) {
      int la = a.load();
      int lb = b.load();
      return la != lb ? la < lb : a.lastSent < b.lastSent;
    }

    @Override
    int indexOf(TopicSubscription s) {
      return s.heapIndex;
    }

    @Override
    void setIndex(TopicSubscription s, int index) {
      s.heapIndex = index;
    }
  };
  private long sends;

  TopicGroup(String pattern, String name) {
    this.pattern = pattern;
    this.name = name;
  }

  int size() {
    return members.size();
  }

  /** The member to try first. */
  TopicSubscription least() {
    return members.peek();
  }

  /** Member {@code i} of {@code 0 .. size()-1}, the least first, then in no useful order. */
  TopicSubscription member(int i) {
    return members.at(i);
  }

  void add(TopicSubscription s) {
    s.memberOf = this;
    members.add(s);
  }

  void remove(TopicSubscription s) {
    members.remove(s);
    s.memberOf = null;
  }

  /** {@code s} was just sent a message. */
  void sent(TopicSubscription s) {
    s.lastSent = ++sends;
    members.update(s);
  }

  /** {@code s}'s outstanding count went down. */
  void credited(TopicSubscription s) {
    members.update(s);
  }

  @Override
  void accept(TopicTrie.Visitor visitor) {
    visitor.group(this);
  }
}
