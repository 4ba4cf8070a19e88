package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Int32Value;
import com.google.protobuf.StringValue;
import com.google.protobuf.util.JsonFormat;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.CliRunner.Result;
import io.zmesh.proto.ListWorkersReply;
import io.zmesh.worker.Code;
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
