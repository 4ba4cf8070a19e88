package io.zmesh.core.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EndpointsTest {
  @Test
  void theGrammarAcceptsTcpIpcAndInprocAndBindsMayUseWildcards() {
    assertNull(Endpoints.check("tcp://127.0.0.1:5555", false));
    assertNull(Endpoints.check("tcp://[::1]:5555", false));
    assertNull(Endpoints.check("ipc:///tmp/zmesh", false));
    assertNull(Endpoints.check("inproc://broker", false));
    assertNull(Endpoints.check("tcp://*:*", true));
    assertTrue(Endpoints.check("tcp://127.0.0.1:*", false).contains("no port"));
    assertTrue(Endpoints.check("tcp://*:5555", false).contains("no host"));
    assertTrue(Endpoints.check("tcp://127.0.0.1:70000", true).contains("not in [1, 65535]"));
    assertTrue(Endpoints.check("127.0.0.1:5555", false).contains("scheme tcp:// is required"));
  }

  @Test
  void loopbackAndInProcessEndpointsAreLoopback() {
    assertTrue(Endpoints.isLoopback("tcp://127.0.0.1:5555"));
    assertTrue(Endpoints.isLoopback("tcp://127.0.0.1:*"));
    assertTrue(Endpoints.isLoopback("tcp://127.9.9.9:1"));
    assertTrue(Endpoints.isLoopback("tcp://[::1]:5555"));
    assertTrue(Endpoints.isLoopback("tcp://localhost:5555"));
    assertTrue(Endpoints.isLoopback("ipc:///tmp/zmesh"));
    assertTrue(Endpoints.isLoopback("inproc://broker"));
  }

  @Test
  void wildcardsAndOtherAddressesAreNot() {
    assertFalse(Endpoints.isLoopback("tcp://*:5555"));
    assertFalse(Endpoints.isLoopback("tcp://0.0.0.0:5555"));
    assertFalse(Endpoints.isLoopback("tcp://[::]:5555"));
    assertFalse(Endpoints.isLoopback("tcp://10.0.0.1:5555"));
    assertFalse(Endpoints.isLoopback("tcp://no-such-host.invalid:5555"));
  }
}
