package io.zmesh.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import io.zmesh.CurveKeys;
import io.zmesh.proto.Command;
import io.zmesh.proto.Credit;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.ErrorStatus;
import io.zmesh.proto.Hello;
import io.zmesh.proto.Ready;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Subscribe;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import io.zmesh.testing.RawPeer;
import java.time.Duration;

/**
 * One raw connection to the broker, speaking envelopes as docs/protocol.md lays them out and
 * nothing of the SDK: a client, a worker or a subscriber as the test scripts it. One thread.
 * {@link #close()} says DISCONNECT first, so a broker shared by a test class forgets it at once.
 */
final class RawConnection implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(10);
  /** How long a test listens to be sure nothing comes. */
  static final Duration QUIET = Duration.ofMillis(300);

  final RawPeer raw;
  private boolean open = true;

  private RawConnection(RawPeer raw) {
    this.raw = raw;
  }

  private RawConnection(String endpoint) {
    this(new RawPeer(endpoint));
  }

  /** A CURVE connection ({@code brokerKey}, {@code keys}) that has not said HELLO. */
  static RawConnection opened(String endpoint, String brokerKey, CurveKeys.Pair keys) {
    return new RawConnection(new RawPeer(endpoint, brokerKey, keys));
  }

  /** A connection that has not said HELLO. */
  static RawConnection opened(String endpoint) {
    return new RawConnection(endpoint);
  }

  /** A connection that said HELLO for 1.0 (the rules every version keeps) and got WELCOME. */
  static RawConnection connected(String endpoint) {
    return connected(endpoint, Wire.PROTOCOL_1_0);
  }

  /** A connection that said HELLO naming {@code protocol} and got WELCOME. */
  static RawConnection connected(String endpoint, String protocol) {
    RawConnection c = new RawConnection(endpoint);
    c.hello(protocol);
    return c;
  }

  /** A connection registered as an instance of {@code name}. */
  static RawConnection worker(String endpoint, String name, String instanceId, int concurrency) {
    RawConnection c = connected(endpoint);
    c.send(ready(1, name, instanceId, concurrency));
    c.expectReply(1);
    return c;
  }

  Welcome hello(String protocol) {
    send(hello(0, protocol));
    Envelope welcome = next();
    assertEquals(Command.WELCOME, welcome.getCommand(), welcome.toString());
    return welcome.getWelcome();
  }

  void send(Envelope packet) {
    raw.send(packet);
  }

  void send(byte[]... frames) {
    raw.send(frames);
  }

  /** The next packet other than HEARTBEAT; fails after {@link #WAIT}. */
  Envelope next() {
    return raw.receive(WAIT);
  }

  Envelope expect(Command command, long id) {
    Envelope p = next();
    assertEquals(command, p.getCommand(), p.toString());
    assertEquals(id, p.getId(), p.toString());
    return p;
  }

  /** The next packet, which must be a REQUEST the broker forwarded. */
  Envelope nextRequest() {
    Envelope r = next();
    assertEquals(Command.REQUEST, r.getCommand(), r.toString());
    return r;
  }

  Envelope expectReply(long id) {
    return expect(Command.REPLY, id);
  }

  /** The next packet is ERROR {@code code} for {@code id}, its message holding {@code part}. */
  Envelope expectError(long id, StatusCode code, String part) {
    Envelope p = expect(Command.ERROR, id);
    assertEquals(code, p.getStatus().getCode(), p.toString());
    assertTrue(p.getStatus().getMessage().contains(part),
        () -> "'" + p.getStatus().getMessage() + "' lacks '" + part + "'");
    return p;
  }

  Envelope expectDisconnect(StatusCode code) {
    return expectDisconnect(0, code);
  }

  /** The next packet is DISCONNECT {@code code} carrying {@code id} ([C-8]; 0 otherwise). */
  Envelope expectDisconnect(long id, StatusCode code) {
    Envelope p = expect(Command.DISCONNECT, id);
    assertEquals(code, p.getStatus().getCode(), p.toString());
    return p;
  }

  /** Nothing but heartbeats arrives for {@code within}. */
  void expectNothing(Duration within) {
    long end = System.nanoTime() + within.toNanos();
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      Envelope p = raw.poll(Duration.ofNanos(Math.max(1_000_000, left)));
      if (p != null && p.getCommand() != Command.HEARTBEAT) {
        fail("expected nothing, got " + p);
      }
    }
  }

  /** Calls one of the broker's services and returns its reply's payload. */
  <R extends Message> R call(long id, String service, Message request, Class<R> replyType) {
    send(request(id, service, request, 5_000));
    return unpack(expectReply(id), replyType);
  }

  static <R extends Message> R unpack(Envelope packet, Class<R> type) {
    try {
      return packet.getPayload().unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("payload of " + packet + " is not a " + type.getName(), e);
    }
  }

  static String text(Envelope packet) {
    return unpack(packet, StringValue.class).getValue();
  }

  @Override
  public void close() {
    if (open) {
      open = false;
      raw.send(Envelope.newBuilder().setCommand(Command.DISCONNECT).build());
      raw.close();
    }
  }

  // ------------------------------------------------------------ packets

  static Envelope hello(long id, String protocol) {
    return Envelope.newBuilder()
        .setCommand(Command.HELLO)
        .setId(id)
        .setHello(Hello.newBuilder().setClientName("conformance").setPid(1).setHost("test")
            .setProtocol(protocol))
        .build();
  }

  static Envelope ready(long id, String name, String instanceId, int concurrency) {
    return Envelope.newBuilder()
        .setCommand(Command.READY)
        .setId(id)
        .setReady(Ready.newBuilder().setName(name).setInstanceId(instanceId)
            .setConcurrency(concurrency).setPid(1).setHost("test"))
        .build();
  }

  static Envelope request(long id, String service, Message payload, int timeoutMs) {
    return Envelope.newBuilder()
        .setCommand(Command.REQUEST)
        .setId(id)
        .setService(service)
        .setTimeoutMs(timeoutMs)
        .setPayload(Any.pack(payload))
        .build();
  }

  static Envelope request(long id, String service, String text, int timeoutMs) {
    return request(id, service, StringValue.of(text), timeoutMs);
  }

  static Envelope reply(long id, String text) {
    return Envelope.newBuilder()
        .setCommand(Command.REPLY)
        .setId(id)
        .setPayload(Any.pack(StringValue.of(text)))
        .build();
  }

  static Envelope error(long id, StatusCode code, String message) {
    return Envelope.newBuilder()
        .setCommand(Command.ERROR)
        .setId(id)
        .setStatus(ErrorStatus.newBuilder().setCode(code).setMessage(message))
        .build();
  }

  static Envelope command(Command command, long id) {
    return Envelope.newBuilder().setCommand(command).setId(id).build();
  }

  static Envelope subscribe(long id, String pattern, String group, int budgetMessages,
      long budgetBytes) {
    return Envelope.newBuilder()
        .setCommand(Command.SUBSCRIBE)
        .setId(id)
        .setSubscribe(Subscribe.newBuilder().setPattern(pattern).setGroup(group)
            .setMessageType("google.protobuf.StringValue")
            .setBudgetMessages(budgetMessages).setBudgetBytes(budgetBytes))
        .build();
  }

  static Envelope publish(long id, String topic, String text) {
    return Envelope.newBuilder()
        .setCommand(Command.PUBLISH)
        .setId(id)
        .setService(topic)
        .setPayload(Any.pack(StringValue.of(text)))
        .build();
  }

  /** CREDIT id 0: {@code bytes} more of what the broker sent have been read (section 6). */
  static Envelope acknowledge(long bytes) {
    return credit(0, 0, bytes);
  }

  static Envelope credit(long id, int messages, long bytes) {
    return credit(id, messages, bytes, 0);
  }

  static Envelope credit(long id, int messages, long bytes, long skipped) {
    return Envelope.newBuilder()
        .setCommand(Command.CREDIT)
        .setId(id)
        .setCredit(Credit.newBuilder().setMessages(messages).setBytes(bytes).setSkipped(skipped))
        .build();
  }
}
