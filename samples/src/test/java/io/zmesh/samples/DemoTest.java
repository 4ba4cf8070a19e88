package io.zmesh.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** The README's demo: broker and workers as real processes, requests through all of them. */
@Timeout(120)
class DemoTest {
  @Test
  void demoRunsEndToEndAcrossProcesses() {
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new Demo());
    cl.setOut(new PrintWriter(out, true));
    int code = cl.execute("--bind", "tcp://127.0.0.1:*", "--chat-instances", "2");
    String text = out.toString();
    assertEquals(0, code, text);
    assertTrue(text.contains("workers registered: db x1, chat x2, receive x1"), text);
    assertTrue(text.contains("stored as #3"), text);
    assertTrue(text.contains("#3 bob: any chat"), text);
    // Published by a chat process, received by the receive process, read back from it.
    assertTrue(text.contains("chat -> broker -> receive: 4 messages on chat.room.lobby"), text);
    assertTrue(text.contains("#3 bob: any chat (published by chat["), text);
    // The receive process's own output, relayed.
    assertTrue(text.contains("[receive] chat.room.lobby #0 ann: hello, mesh"), text);
    assertTrue(text.contains("chat.room.>") && text.contains("zmesh.samples.Posted"), text);
    assertTrue(text.contains("NO_WORKER: no worker named 'search' is registered"), text);
    assertTrue(text.contains("INVALID_ARGUMENT: a post needs a room and a text"), text);
    assertTrue(text.contains("DEADLINE_EXCEEDED: no worker named 'nobody-yet' registered"), text);
    assertTrue(text.contains("done"), text);
  }
}
