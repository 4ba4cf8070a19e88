package com.example.greeter;

import io.zmesh.MeshException;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

public final class GreetClient {
  public static void main(String[] args) {
    String broker = args.length > 0 ? args[0] : "tcp://127.0.0.1:5555";
    try (MeshClient client = MeshClient.connect(broker)) {
      // Blocking: the reply, or a MeshException carrying a typed Status.
      Greeting g = client.call("greeter", Greet.newBuilder().setName("ann").build(), Greeting.class);
      System.out.println(g.getText());

      // Asynchronous, with a deadline, waiting for a worker that is not registered yet.
      CompletableFuture<Greeting> later = client.request("greeter",
          Greet.newBuilder().setName("bob").build(), Greeting.class,
          CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(2)).withWaitForWorker(true));
      System.out.println(later.join().getText());

      try {
        client.call("greeter", Greet.getDefaultInstance(), Greeting.class);
      } catch (MeshException e) {
        System.out.println("refused: " + e.status());   // INVALID_ARGUMENT: name is empty
      }
    }
  }
}
