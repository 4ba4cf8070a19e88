package io.zmesh.broker;

/**
 * The exact-token children of a {@link TopicTrie} node: an open-addressing hash map from token
 * to node that is looked up by a region of the topic string, so matching a topic allocates no
 * token strings. It shrinks as entries leave, so memory returns after unsubscribes.
 * Broker-loop thread only.
 */
final class TokenMap<V> {
  private static final int MIN_CAPACITY = 4;

  private String[] keys = new String[MIN_CAPACITY];
  private Object[] values = new Object[MIN_CAPACITY];
  private int size;

  int size() {
    return size;
  }

  int capacity() {
    return keys.length;
  }

  /** The value of the token {@code s[from, to)}, or null. */
  @SuppressWarnings("unchecked")
  V get(String s, int from, int to) {
    int length = to - from;
    int mask = keys.length - 1;
    int i = slot(hash(s, from, to), mask);
    String k;
    while ((k = keys[i]) != null) {
      if (k.length() == length && k.regionMatches(0, s, from, length)) {
        return (V) values[i];
      }
      i = (i + 1) & mask;
    }
    return null;
  }

  V get(String key) {
    return get(key, 0, key.length());
  }

  /** Adds {@code key}, which must not be present. */
  void put(String key, V value) {
    if (2 * (size + 1) > keys.length) {
      resize(keys.length * 2);
    }
    insert(key, value);
    size++;
  }

  void remove(String key) {
    int mask = keys.length - 1;
    int i = slot(key.hashCode(), mask);
    while (keys[i] != null && !keys[i].equals(key)) {
      i = (i + 1) & mask;
    }
    if (keys[i] == null) {
      return;
    }
    keys[i] = null;
    values[i] = null;
    size--;
    // Linear probing: move later entries of the cluster back into the hole they may depend on.
    int j = (i + 1) & mask;
    while (keys[j] != null) {
      String k = keys[j];
      Object v = values[j];
      keys[j] = null;
      values[j] = null;
      insert(k, v);
      j = (j + 1) & mask;
    }
    if (keys.length > MIN_CAPACITY && 8 * size < keys.length) {
      resize(keys.length / 2);
    }
  }

  private void insert(String key, Object value) {
    int mask = keys.length - 1;
    int i = slot(key.hashCode(), mask);
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = key;
    values[i] = value;
  }

  private void resize(int capacity) {
    String[] oldKeys = keys;
    Object[] oldValues = values;
    keys = new String[capacity];
    values = new Object[capacity];
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != null) {
        insert(oldKeys[i], oldValues[i]);
      }
    }
  }

  /** {@link String#hashCode()} of {@code s[from, to)}, without making that string. */
  private static int hash(String s, int from, int to) {
    int h = 0;
    for (int i = from; i < to; i++) {
      h = 31 * h + s.charAt(i);
    }
    return h;
  }

  private static int slot(int hash, int mask) {
    // Fibonacci hashing takes the product's top bits: tokens such as "item-1" and "item-2"
    // differ only in their hash's low bits.
    return (hash * 0x9E3779B9) >>> Integer.numberOfLeadingZeros(mask);
  }
}
