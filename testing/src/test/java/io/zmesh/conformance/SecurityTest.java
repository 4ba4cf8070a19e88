package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.publish;
import static io.zmesh.conformance.RawConnection.ready;
import static io.zmesh.conformance.RawConnection.request;
import static io.zmesh.conformance.RawConnection.subscribe;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.CurveKeys;
import io.zmesh.broker.Broker;
import io.zmesh.proto.BrokerStats;
import io.zmesh.proto.BrokerStatsRequest;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Names;
import io.zmesh.proto.ReloadKeysReply;
import io.zmesh.proto.ReloadKeysRequest;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.Wire;
import io.zmesh.testing.RawPeer;
import io.zmesh.testing.TestMesh;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/protocol.md section 13, Security: a CURVE broker with an allow-list, through raw CURVE
 * sockets. Each test starts the broker with the list below.
 */
@Timeout(30)
class SecurityTest {
  private static final CurveKeys.Pair BROKER = CurveKeys.generate();
  private static final CurveKeys.Pair LIMITED = CurveKeys.generate();
  private static final CurveKeys.Pair OPS = CurveKeys.generate();
  private static final CurveKeys.Pair LEAVING = CurveKeys.generate();
  private static final CurveKeys.Pair SHRINKING = CurveKeys.generate();
  private static final CurveKeys.Pair STRANGER = CurveKeys.generate();

  @TempDir
  Path dir;
  private Path allowList;
  private Broker broker;
  private final Deque<RawConnection> opened = new ArrayDeque<>();

  private static String key(String name, CurveKeys.Pair pair, String grants) {
    return "key { name: \"" + name + "\" public_key: \"" + pair.publicKey() + "\" " + grants
        + " }\n";
  }

  private static String list(boolean withLeaving, String shrinkingRegisters) {
    return key("limited", LIMITED, "register: \"a2\" call: \"a2\" publish: \"a2.>\""
            + " subscribe: \"a2.>\" admin: \"read\"")
        + key("ops", OPS, "admin: \"write\"")
        + (withLeaving ? key("leaving", LEAVING, "register: \"a3\"") : "")
        + key("shrinking", SHRINKING, "register: \"" + shrinkingRegisters + "\"");
  }

  @BeforeEach
  void start() throws Exception {
    allowList = dir.resolve("keys.txtpb");
    Files.writeString(allowList, list(true, "a3s"), StandardCharsets.UTF_8);
    broker = Broker.start(TestMesh.rawPeerOptions().registrationWindow(Duration.ZERO)
        .curve(BROKER, allowList).build());
  }

  @AfterEach
  void stop() {
    while (!opened.isEmpty()) {
      opened.pop().close();
    }
    broker.close();
  }

  /** A CURVE connection with {@code keys}, not yet greeted. */
  private RawConnection open(CurveKeys.Pair keys) {
    RawConnection c = RawConnection.opened(broker.endpoint(), BROKER.publicKey(), keys);
    opened.push(c);
    return c;
  }

  private RawConnection connected(CurveKeys.Pair keys) {
    RawConnection c = open(keys);
    c.hello(Wire.PROTOCOL);
    return c;
  }

  @Test
  @Checks("A-1")
  void onlyKeysOnTheListGetASession() {
    assertEquals(Wire.PROTOCOL, open(LIMITED).hello(Wire.PROTOCOL).getProtocol());

    // Their handshakes never complete, so a DISCONNECT could not leave either: closed bare.
    try (RawPeer stranger = new RawPeer(broker.endpoint(), BROKER.publicKey(), STRANGER)) {
      stranger.send(RawConnection.hello(0, Wire.PROTOCOL));
      assertNull(stranger.poll(QUIET), "a key off the list was answered");
    }
    try (RawPeer plain = new RawPeer(broker.endpoint())) {
      plain.send(RawConnection.hello(0, Wire.PROTOCOL));
      assertNull(plain.poll(QUIET), "a peer without CURVE was answered");
    }
  }

  @Test
  @Checks({"A-2", "FC-2"})
  void anActTheKeyDoesNotAllowIsPermissionDenied() {
    RawConnection c = connected(LIMITED);
    c.send(ready(1, "b2", "b2-1", 1));
    c.expectError(1, StatusCode.PERMISSION_DENIED, "register as 'b2'");
    c.send(ready(2, "a2", "a2-1", 1));
    c.expectReply(2);

    c.send(request(3, "b2", "x", 1_000));
    c.expectError(3, StatusCode.PERMISSION_DENIED, "call 'b2'");
    c.send(request(4, Names.SERVICE_RELOAD_KEYS, ReloadKeysRequest.getDefaultInstance(), 1_000));
    c.expectError(4, StatusCode.PERMISSION_DENIED, Names.SERVICE_RELOAD_KEYS);
    assertTrue(c.call(5, Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
        BrokerStats.class).getPeers() >= 1, "a read service within admin read");

    c.send(subscribe(6, ">", "", 0, 0));
    c.expectError(6, StatusCode.PERMISSION_DENIED, "subscribe to '>'");
    c.send(subscribe(7, "a2.*", "", 0, 0));
    c.expectReply(7);

    c.send(publish(8, "b2.news", "x"));
    c.expectError(8, StatusCode.PERMISSION_DENIED, "publish to 'b2.news'");
    c.send(publish(0, "b2.news", "x")); // refused unanswered, as every PUBLISH with id 0
    c.send(publish(9, "a2.news", "y"));
    // Its own subscription gets "y", before the REPLY; nothing came for the refused ones, yet
    // a 1.1 connection has all three credited back ([FC-2]), whenever the broker sends it.
    boolean delivered = false;
    boolean replied = false;
    long credited = 0;
    while (!replied || credited < 3) {
      Envelope p = c.next();
      if (p.getCommand() == Command.CREDIT) {
        assertEquals(0, p.getId(), p.toString());
        credited += p.getCredit().getMessages();
      } else if (p.getCommand() == Command.MESSAGE) {
        assertFalse(replied, "the MESSAGE comes before the REPLY: " + p);
        assertEquals("y", RawConnection.text(p));
        delivered = true;
      } else {
        assertEquals(Command.REPLY, p.getCommand(), p.toString());
        assertEquals(9, p.getId(), p.toString());
        replied = true;
      }
    }
    assertTrue(delivered, "its own subscription got the message");
    assertEquals(3, credited);
  }

  @Test
  @Checks({"A-3", "S-1"})
  void aChangedListDisconnectsWhatItNoLongerAllows() throws Exception {
    RawConnection leaving = connected(LEAVING);
    leaving.send(ready(1, "a3", "a3-1", 1));
    leaving.expectReply(1);
    RawConnection shrinking = connected(SHRINKING);
    shrinking.send(ready(1, "a3s", "a3s-1", 1));
    shrinking.expectReply(1);
    RawConnection ops = connected(OPS);

    Files.writeString(allowList, list(false, "other"), StandardCharsets.UTF_8);
    ReloadKeysReply reloaded = ops.call(2, Names.SERVICE_RELOAD_KEYS,
        ReloadKeysRequest.getDefaultInstance(), ReloadKeysReply.class);
    assertEquals(3, reloaded.getKeys());
    assertEquals(2, reloaded.getDisconnected());

    Envelope gone = leaving.expectDisconnect(StatusCode.UNAUTHENTICATED);
    assertTrue(gone.getStatus().getMessage().contains("no longer on the broker's allow-list"),
        gone.toString());
    Envelope narrowed = shrinking.expectDisconnect(StatusCode.PERMISSION_DENIED);
    assertTrue(narrowed.getStatus().getMessage().contains("may no longer register as 'a3s'"),
        narrowed.toString());
    // Forgotten: what they send now is a stranger's.
    shrinking.send(request(3, Names.SERVICE_STATS, "x", 1_000));
    shrinking.expectDisconnect(3, StatusCode.UNAVAILABLE);
    assertEquals(1, ops.call(4, Names.SERVICE_STATS, BrokerStatsRequest.getDefaultInstance(),
        BrokerStats.class).getPeers());
  }
}
