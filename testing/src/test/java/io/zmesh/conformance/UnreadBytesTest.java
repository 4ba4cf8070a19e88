package io.zmesh.conformance;

import static io.zmesh.conformance.RawConnection.QUIET;
import static io.zmesh.conformance.RawConnection.reply;
import static io.zmesh.conformance.RawConnection.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.StatusCode;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.proto.Welcome;
import io.zmesh.proto.Wire;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/protocol.md section 6, Unread bytes: what the broker sends a connection that does not
 * acknowledge what it read, and what an acknowledgement (CREDIT id 0) changes.
 */
@Timeout(60)
class UnreadBytesTest {
  private static final int BUDGET = 64 << 10;
  private static final String BIG = "x".repeat(16 << 10);

  /** A client that counts the bytes of every frame it reads, heartbeats included. */
  private static final class Counting implements AutoCloseable {
    final RawConnection c;
    long read;

    Counting(String endpoint) {
      c = RawConnection.opened(endpoint);
    }

    Welcome hello() {
      c.send(RawConnection.hello(0, Wire.PROTOCOL));
      Envelope welcome = next();
      assertEquals(Command.WELCOME, welcome.getCommand(), welcome.toString());
      return welcome.getWelcome();
    }

    Envelope next() {
      while (true) {
        Envelope p = c.raw.poll(RawConnection.WAIT);
        assertNotNull(p, "nothing within " + RawConnection.WAIT);
        read += c.raw.lastLength();
        if (p.getCommand() != Command.HEARTBEAT) {
          return p;
        }
      }
    }

    void expectNothing(Duration within) {
      long end = System.nanoTime() + within.toNanos();
      long left;
      while ((left = end - System.nanoTime()) > 0) {
        Envelope p = c.raw.poll(Duration.ofNanos(Math.max(1_000_000, left)));
        if (p != null) {
          read += c.raw.lastLength();
          if (p.getCommand() != Command.HEARTBEAT) {
            fail("expected nothing, got " + p);
          }
        }
      }
    }

    @Override
    public void close() {
      c.close();
    }
  }

  /** Requests a 16 KiB reply {@code n} times; returns how many came as REPLY, the rest OVERLOADED. */
  private static int bigReplies(Counting client, RawConnection worker, long firstId, int n) {
    int replies = 0;
    for (long id = firstId; id < firstId + n; id++) {
      client.c.send(request(id, "u", "big", 5_000));
      worker.send(reply(worker.nextRequest().getId(), BIG));
      Envelope answer = client.next();
      assertEquals(id, answer.getId(), answer.toString());
      if (answer.getCommand() == Command.REPLY) {
        replies++;
      } else {
        assertEquals(StatusCode.OVERLOADED, answer.getStatus().getCode(), answer.toString());
        assertTrue(answer.getStatus().getMessage().contains("not read"), answer.toString());
      }
    }
    return replies;
  }

  @Test
  @Checks({"U-1", "U-2", "V-3"})
  void aConnectionThatDoesNotAcknowledgeIsHeldBackUntilItDoes() {
    // The connection budget bounds unread bytes; the largest message must fit within it.
    try (BrokerUnderTest broker = BrokerUnderTest.start(b -> b.maxMessageBytes(BUDGET / 2)
        .connectionBudget(100, BUDGET));
        RawConnection worker = broker.worker("u", "u-1", 1);
        RawConnection publisher = broker.client();
        Counting client = new Counting(broker.endpoint())) {
      assertEquals(BUDGET, client.hello().getOutboundBudgetBytes());
      client.c.send(RawConnection.subscribe(500, "u.>", "", 0, 0));
      assertEquals(Command.REPLY, client.next().getCommand());

      // Large packets stop at the budget: three 16 KiB replies fit in 64 KiB, the fourth does
      // not, and ends its request with OVERLOADED instead.
      assertEquals(3, bigReplies(client, worker, 1, 6));

      // Small packets pass until the budget is used up; then the connection's own requests
      // are refused at once, unforwarded.
      long id = 10_000;
      while (client.read < BUDGET) {
        client.c.send(request(++id, "u-nobody", "x", 1_000));
        assertEquals(StatusCode.NO_WORKER, client.next().getStatus().getCode());
      }
      client.c.send(request(++id, "u", "refused", 5_000));
      Envelope refused = client.next();
      assertEquals(StatusCode.OVERLOADED, refused.getStatus().getCode(), refused.toString());
      assertTrue(refused.getStatus().getMessage().contains("not read"), refused.toString());
      worker.expectNothing(QUIET);
      // A topic message for it is dropped and counted as its subscription's.
      publisher.send(RawConnection.publish(1, "u.news", BIG));
      publisher.expectReply(1);
      client.expectNothing(QUIET);
      SubscriptionInfo sub = broker.topics("u.news").getSubscriptions(0);
      assertEquals(1, sub.getDropped(), sub.toString());

      // Acknowledging what it read lets everything through again; never answered.
      client.c.send(RawConnection.acknowledge(client.read));
      client.expectNothing(QUIET);
      assertEquals(1, bigReplies(client, worker, 1_000, 1));

      // Credit beyond what was sent does not raise the budget: the count stops at zero.
      client.c.send(RawConnection.acknowledge(1L << 40));
      client.expectNothing(QUIET);
      assertEquals(3, bigReplies(client, worker, 2_000, 4));
    }
  }
}
