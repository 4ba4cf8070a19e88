package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.cli.CliRunner.Result;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BrokerCliTest {

  @Test
  void anEndpointInUseIsNamedWithItsCauseAndExitsTwo() {
    try (Broker taken = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build())) {
      String endpoint = taken.endpoint();
      PrintStream saved = System.err;
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      Result r;
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      try {
        r = CliRunner.run("broker", "--bind", endpoint);
      } finally {
        System.setErr(saved);
      }
      assertEquals(Main.EXIT_USAGE, r.code(), r.err());
      assertTrue(r.err().contains("cannot bind " + endpoint + ": address already in use"),
          r.err());
      String logged = log.toString(StandardCharsets.UTF_8);
      assertFalse(logged.contains("broker stopped"), logged);
    }
  }

  @Test
  void requireCurveRefusesToStartWithoutIt() {
    Result r = CliRunner.run("broker", "--require-curve", "--bind", "tcp://127.0.0.1:*");
    assertEquals(Main.EXIT_USAGE, r.code(), r.err());
    assertTrue(r.err().contains("CURVE is required"), r.err());
  }
}
