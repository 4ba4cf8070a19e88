package com.example.greeter;

import io.zmesh.Status;
import io.zmesh.worker.Worker;

public final class GreeterWorker {
  public static void main(String[] args) throws InterruptedException {
    String broker = args.length > 0 ? args[0] : "tcp://127.0.0.1:5555";
    Worker.builder()
        .name("greeter")
        .broker(broker)
        .concurrency(8)                      // the broker never sends more at once
        .onStart(w -> { /* open databases here: nothing is routed before this returns */ })
        .handle(Greet.class, (greet, ctx) -> {
          if (greet.getName().isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("name is empty").asException();
          }
          return Greeting.newBuilder().setText("hello " + greet.getName()).build();
        })
        .build()
        .start()                             // returns once the broker accepted the registration
        .awaitTermination();                 // SIGTERM drains in-flight requests, then exits
  }
}
