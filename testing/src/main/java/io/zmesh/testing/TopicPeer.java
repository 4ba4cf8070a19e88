package io.zmesh.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import io.zmesh.proto.Command;
import io.zmesh.proto.Credit;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Subscribe;
import java.time.Duration;

/**
 * A raw connection that speaks the topic commands frame by frame: a subscriber that credits
 * exactly what the test tells it to (or nothing), or a publisher. One thread only.
 */
public final class TopicPeer implements AutoCloseable {
  public static final Duration WAIT = Duration.ofSeconds(10);

  public final RawPeer raw;

  public TopicPeer(String endpoint) {
    raw = new RawPeer(endpoint);
    raw.hello(WAIT);
  }

  /** Sends SUBSCRIBE and returns the broker's answer (REPLY or ERROR). */
  public Envelope subscribe(long id, String pattern, String group, int budgetMessages, long budgetBytes) {
    raw.send(Envelope.newBuilder()
        .setCommand(Command.SUBSCRIBE)
        .setId(id)
        .setSubscribe(Subscribe.newBuilder()
            .setPattern(pattern)
            .setGroup(group)
            .setMessageType("google.protobuf.Int64Value")
            .setBudgetMessages(budgetMessages)
            .setBudgetBytes(budgetBytes))
        .build());
    Envelope answer = raw.receive(WAIT);
    assertEquals(id, answer.getId(), answer.toString());
    return answer;
  }

  /** Subscribes with the broker's default budget; fails unless accepted. */
  public void subscribe(long id, String pattern) {
    subscribe(id, pattern, "");
  }

  public void subscribe(long id, String pattern, String group) {
    Envelope answer = subscribe(id, pattern, group, 0, 0);
    assertEquals(Command.REPLY, answer.getCommand(), answer.toString());
  }

  public void unsubscribe(long id) {
    raw.send(Envelope.newBuilder().setCommand(Command.UNSUBSCRIBE).setId(id).build());
    Envelope answer = raw.receive(WAIT);
    assertEquals(Command.REPLY, answer.getCommand(), answer.toString());
    assertEquals(id, answer.getId());
  }

  /** Publishes {@code value} without an id: never answered. */
  public void publish(String topic, long value) {
    publish(0, topic, value);
  }

  public void publish(long id, String topic, long value) {
    raw.send(Envelope.newBuilder()
        .setCommand(Command.PUBLISH)
        .setId(id)
        .setService(topic)
        .setPayload(Any.pack(Int64Value.of(value)))
        .build());
  }

  /** Publishes with an id and returns the broker's ERROR. */
  public Envelope publishRefused(long id, String topic, StatusCode code) {
    publish(id, topic, 0);
    Envelope answer = raw.receive(WAIT);
    assertEquals(Command.ERROR, answer.getCommand(), answer.toString());
    assertEquals(id, answer.getId(), answer.toString());
    assertEquals(code, answer.getStatus().getCode(), answer.toString());
    return answer;
  }

  /** The next MESSAGE; fails on anything else or after {@link #WAIT}. */
  public Envelope message() {
    Envelope m = raw.receive(WAIT);
    assertEquals(Command.MESSAGE, m.getCommand(), m.toString());
    return m;
  }

  /** The published value a MESSAGE carries. */
  public static long value(Envelope message) {
    try {
      return message.getPayload().unpack(Int64Value.class).getValue();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  /** The envelope length of the MESSAGE last received, for crediting it. */
  public int lastLength() {
    return raw.lastLength();
  }

  public void credit(long id, int messages, long bytes) {
    raw.send(Envelope.newBuilder()
        .setCommand(Command.CREDIT)
        .setId(id)
        .setCredit(Credit.newBuilder().setMessages(messages).setBytes(bytes))
        .build());
  }

  public void disconnect() {
    raw.send(Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
  }

  @Override
  public void close() {
    raw.close();
  }
}
