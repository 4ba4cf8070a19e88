package io.zmesh.testing;

import com.google.protobuf.StringValue;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Subscription;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A subscriber process for the topic tests: subscribes to a pattern (in a group, unless the
 * group argument is {@code -}) and prints "ready" once the broker accepted, then "got TOPIC
 * VALUE DROPPED" for each {@link StringValue} message, in the order they are handled.
 *
 * <p>Arguments: broker endpoint, pattern, group. Exits when its standard input closes (the test
 * JVM is gone), so a failed run leaves no process behind.
 */
public final class SubscriberMain {
  private SubscriberMain() {}

  public static void main(String[] args) throws Exception {
    String group = args[2].equals("-") ? "" : args[2];
    try (MeshClient client = MeshClient.connect(TestMesh.meshOptions(args[0]))) {
      Subscription s = client.subscribe(args[1], group, StringValue.class, (m, ctx) -> {
        System.out.println("got " + ctx.topic() + " " + m.getValue() + " " + ctx.dropped());
        System.out.flush();
      });
      s.ready().get(30, TimeUnit.SECONDS);
      System.out.println("ready");
      System.out.flush();
      waitForParent();
    }
    System.exit(0);
  }

  private static void waitForParent() throws IOException {
    while (System.in.read() >= 0) {
      // the parent is still there
    }
  }
}
