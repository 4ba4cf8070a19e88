package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import com.google.protobuf.util.JsonFormat;
import io.zmesh.Code;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.CliRunner.Result;
import io.zmesh.proto.ListTopicsReply;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.proto.SubscriptionInfo;
import io.zmesh.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class CliTest {
  private static Broker broker;
  private static Worker worker;

  @BeforeAll
  static void start() {
    broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
    worker = Worker.builder()
        .name("echo")
        .broker(broker.endpoint())
        .closeOnShutdown(false)
        .handle(StringValue.class, (s, ctx) -> StringValue.of("echo:" + s.getValue()))
        .handle(Int32Value.class, (i, ctx) -> {
          throw new IllegalStateException("no numbers please");
        })
        .build()
        .start();
  }

  @AfterAll
  static void stop() {
    worker.close();
    broker.close();
  }

  private static Result run(String... args) {
    return CliRunner.run(args);
  }

  @Test
  void callPrintsTheReplyAsJson() {
    Result r = run("call", "--broker", broker.endpoint(), "echo", "google.protobuf.StringValue",
        "\"hi\"");
    assertEquals(0, r.code(), r.err());
    assertEquals("\"echo:hi\"", r.out().trim());
  }

  @Test
  void callOfAnUnknownWorkerExitsWithNoWorker() {
    Result r = run("call", "--broker", broker.endpoint(), "nobody", "google.protobuf.Empty");
    assertEquals(Main.STATUS_EXIT_BASE + Code.NO_WORKER.number(), r.code());
    assertTrue(r.err().contains("NO_WORKER") && r.err().contains("'nobody'"), r.err());
  }

  @Test
  void handlerFailureExitsWithHandlerFailed() {
    Result r = run("call", "--broker", broker.endpoint(), "echo", "google.protobuf.Int32Value", "7");
    assertEquals(Main.STATUS_EXIT_BASE + Code.HANDLER_FAILED.number(), r.code());
    assertTrue(r.err().contains("no numbers please"), r.err());
  }

  @Test
  void unknownTypeAndBadJsonAreUsageErrors() {
    Result unknown = run("call", "--broker", broker.endpoint(), "echo", "no.such.Type", "{}");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("unknown message type 'no.such.Type'"), unknown.err());
    assertTrue(unknown.err().contains("google.protobuf.StringValue"), unknown.err());

    Result json = run("call", "--broker", broker.endpoint(), "echo", "google.protobuf.StringValue",
        "{not json");
    assertEquals(2, json.code());
    assertTrue(json.err().contains("JSON does not fit google.protobuf.StringValue"), json.err());
  }

  @Test
  void badArgumentsGetUsageNotAStackTrace() {
    Result missing = run("call");
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("Missing required parameters"), missing.err());
    assertTrue(!missing.err().contains("Exception"), missing.err());

    Result timeout = run("call", "--timeout", "soon", "echo", "google.protobuf.Empty");
    assertEquals(2, timeout.code());
    assertTrue(timeout.err().contains("'soon' is not a duration"), timeout.err());

    Result policy = run("broker", "--policy", "random");
    assertEquals(2, policy.code());
    assertTrue(policy.err().contains("unknown policy 'random'"), policy.err());
  }

  @Test
  void unreachableBrokerExitsWithUnavailable() {
    Result r = run("ls", "--broker", "tcp://127.0.0.1:1", "--timeout", "500ms");
    assertEquals(Main.STATUS_EXIT_BASE + Code.UNAVAILABLE.number(), r.code(), r.err());
  }

  @Test
  void lsShowsTheWorkerAsTableAndJson() throws Exception {
    Result table = run("ls", "--broker", broker.endpoint());
    assertEquals(0, table.code(), table.err());
    String[] lines = table.out().split("\n");
    assertTrue(lines[0].startsWith("NAME") && lines[0].contains("IN-FLIGHT"), table.out());
    assertTrue(lines[1].startsWith("echo") && lines[1].contains(worker.instanceId()), table.out());

    Result json = run("ls", "--json", "--broker", broker.endpoint());
    assertEquals(0, json.code(), json.err());
    ListWorkersReply.Builder parsed = ListWorkersReply.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed);
    assertEquals("echo", parsed.getWorkers(0).getName());
    assertEquals(ProcessHandle.current().pid(), parsed.getWorkers(0).getPid());
  }

  @Test
  void lsTopicsShowsTheSubscriptionsAndTotals() throws Exception {
    Result table = run("ls", "--topics", "--broker", broker.endpoint());
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().startsWith("no subscriptions"), table.out());
    assertTrue(table.out().contains("messages published 0"), table.out());

    Result json = run("ls", "--topics", "--json", "--broker", broker.endpoint(), "a.b");
    assertEquals(0, json.code(), json.err());
    JsonFormat.parser().merge(json.out(), ListTopicsReply.newBuilder());

    Result bad = run("ls", "--topics", "--broker", broker.endpoint(), "a.*");
    assertEquals(Main.STATUS_EXIT_BASE + Code.INVALID_ARGUMENT.number(), bad.code(), bad.err());
  }

  @Test
  void topicTableHasARowPerSubscription() {
    ListTopicsReply reply = ListTopicsReply.newBuilder()
        .setPublished(1200).setDelivered(2000).setUnmatched(3)
        .addSubscriptions(SubscriptionInfo.newBuilder()
            .setPattern("chat.*").setMessageType("chat.v1.Line").setClientName("chat-ui")
            .setPid(42).setHost("h1").setDelivered(1000).setDropped(0).setOutstandingMessages(2)
            .setOutstandingBytes(300).setBudgetMessages(10_000).setBudgetBytes(4L << 20)
            .setAgeMs(65_000))
        .addSubscriptions(SubscriptionInfo.newBuilder()
            .setPattern("jobs.>").setGroup("builders").setClientName("builder")
            .setPid(7).setHost("h2").setDelivered(1000).setDropped(200)
            .setOutstandingMessages(100).setOutstandingBytes(5_000).setBudgetMessages(100)
            .setBudgetBytes(1 << 20).setAgeMs(500).setSkipped(7))
        .build();
    String[] lines = TopicTable.render(reply).split("\n");
    assertTrue(lines[0].startsWith("PATTERN") && lines[0].contains("OUTSTANDING"), lines[0]);
    assertTrue(lines[1].matches("chat\\.\\*\\s+-\\s+chat\\.v1\\.Line\\s+chat-ui \\(pid 42@h1\\)"
        + "\\s+1000\\s+0\\s+0\\s+2 / 300 B\\s+10000 / 4\\.0 MiB\\s+65s"), lines[1]);
    assertTrue(lines[2].matches("jobs\\.>\\s+builders\\s+any\\s+builder \\(pid 7@h2\\)"
        + "\\s+1000\\s+200\\s+7\\s+100 / 4\\.9 KiB\\s+100 / 1\\.0 MiB\\s+500ms"), lines[2]);
    assertEquals("messages published 1200, delivered 2000, with no subscriber 3; dropped by the"
        + " subscriptions listed 200", lines[4]);
  }

  @Test
  void brokerBudgetsAreValidated() {
    Result zero = run("broker", "--subscription-budget", "0");
    assertEquals(2, zero.code(), zero.err());
    assertTrue(zero.err().contains("subscription budget must be 1 to"), zero.err());
    Result above = run("broker", "--subscription-budget", "600000");
    assertEquals(2, above.code(), above.err());
    assertTrue(above.err().contains("must not exceed the connection budget"), above.err());
    Result small = run("broker", "--subscription-budget-bytes", "100000");
    assertEquals(2, small.code(), small.err());
    assertTrue(small.err().contains("cannot hold a message of the largest size"), small.err());
    Result window = run("broker", "--publish-window", "0");
    assertEquals(2, window.code(), window.err());
    assertTrue(window.err().contains("publish window must be"), window.err());
    Result slow = run("broker", "--slow-subscriber-timeout", "2h");
    assertEquals(2, slow.code(), slow.err());
    assertTrue(slow.err().contains("slow subscriber timeout must be"), slow.err());
  }

  @Test
  void brokerTimeoutsAreValidated() {
    Result grace = run("broker", "--cancel-grace", "2h");
    assertEquals(2, grace.code(), grace.err());
    assertTrue(grace.err().contains("cancel grace must be 1 to 3600000 ms"), grace.err());
    Result order = run("broker", "--request-timeout", "2m", "--max-request-timeout", "1m");
    assertEquals(2, order.code(), order.err());
    assertTrue(order.err().contains("must not exceed the maximum"), order.err());
  }

  @Test
  void versionAndHelp() {
    Result version = run("--version");
    assertEquals(0, version.code());
    assertTrue(version.out().startsWith("zmesh "), version.out());
    for (String command : new String[] {"broker", "ls", "call", "pub", "sub"}) {
      Result help = run(command, "--help");
      assertEquals(0, help.code());
      assertTrue(help.out().contains("Usage: zmesh " + command), help.out());
    }
  }
}
