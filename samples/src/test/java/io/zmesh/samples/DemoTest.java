package io.zmesh.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * README's demo with {@code --script-only}: broker, db, two chat and receive as real processes,
 * a request by name, a worker-to-worker call, a topic message reaching a WebSocket, then a
 * clean stop.
 */
@Timeout(180)
class DemoTest {
  @TempDir
  Path dir;

  @Test
  void scriptRunsAcrossProcessesAndStopsCleanly() {
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new Demo());
    cl.setOut(new PrintWriter(out, true));
    int code = cl.execute("--bind", "tcp://127.0.0.1:*", "--port", "0", "--data",
        dir.resolve("data").toString(), "--script-only");
    String text = out.toString();
    assertEquals(0, code, text);
    for (String expected : new String[] {
        "workers registered: db x1, chat x2, receive x1",
        "chat page: http://127.0.0.1:",
        "-> chat[", "ann joined",
        "PostMessage \"db, in SQL\" -> chat[", "stored as #3",
        "#3 ann: db, in SQL",
        "<- {\"id\":1,\"ok\":true,\"subscribed\":\"chat.room.demo\"}",
        "\"type\":\"zmesh.samples.PostAck\"",
        "<- {\"topic\":\"chat.room.demo\"", "\"text\":\"hi from a WebSocket\"",
        "\"code\":\"NO_WORKER\",\"message\":\"no worker named 'search' is registered\"",
        "\"message\":\"the text is empty\"",
        "unknown user 'eve' in room 'demo'",
        "unknown type 'zmesh.samples.Nothing'",
        "not JSON",
        "from Java, the same: NO_WORKER",
        "receive ", "db ",
        "stopped"}) {
      assertTrue(text.contains(expected), "missing '" + expected + "' in:\n" + text);
    }
    // Every process left the broker by saying so: each drained and disconnected.
    assertTrue(text.contains("[broker] [INFO] BrokerLoop - db/"), text);
    assertTrue(!text.contains("Exception in thread") && !text.contains("did not print"), text);
  }
}
