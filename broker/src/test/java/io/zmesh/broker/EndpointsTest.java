package io.zmesh.broker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EndpointsTest {
  @Test
  void loopbackAndInProcessEndpointsAreLocal() {
    assertTrue(Endpoints.isLocal("tcp://127.0.0.1:5555"));
    assertTrue(Endpoints.isLocal("tcp://127.0.0.1:*"));
    assertTrue(Endpoints.isLocal("tcp://127.9.9.9:1"));
    assertTrue(Endpoints.isLocal("tcp://[::1]:5555"));
    assertTrue(Endpoints.isLocal("tcp://localhost:5555"));
    assertTrue(Endpoints.isLocal("ipc:///tmp/zmesh"));
    assertTrue(Endpoints.isLocal("inproc://broker"));
  }

  @Test
  void wildcardsAndOtherAddressesAreNot() {
    assertFalse(Endpoints.isLocal("tcp://*:5555"));
    assertFalse(Endpoints.isLocal("tcp://0.0.0.0:5555"));
    assertFalse(Endpoints.isLocal("tcp://[::]:5555"));
    assertFalse(Endpoints.isLocal("tcp://10.0.0.1:5555"));
    assertFalse(Endpoints.isLocal("tcp://no-such-host.invalid:5555"));
  }
}
