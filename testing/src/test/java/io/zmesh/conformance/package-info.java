/**
 * The conformance suite of docs/protocol.md: a real broker on an ephemeral loopback port,
 * driven through raw DEALER sockets only ({@link io.zmesh.conformance.RawConnection}), one test
 * per rule, each naming the rule's tag with {@link io.zmesh.conformance.Checks}; and a peer in
 * Python written from the page ({@link io.zmesh.conformance.PythonPeerTest}).
 */
package io.zmesh.conformance;
