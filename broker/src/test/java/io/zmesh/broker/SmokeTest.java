package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.StringValue;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void echo() throws Exception {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        Worker worker = Worker.builder().name("echo").broker(broker.endpoint())
            .handle(StringValue.class, (s, ctx) -> StringValue.of("echo:" + s.getValue()))
            .build().start();
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      StringValue r = client.call("echo", StringValue.of("hi"), StringValue.class);
      assertEquals("echo:hi", r.getValue());
    }
  }
}
