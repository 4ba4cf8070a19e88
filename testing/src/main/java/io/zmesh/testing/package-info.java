/**
 * Not API: the test support zmesh's own tests share. {@link io.zmesh.testing.TestMesh} runs a
 * real broker on an ephemeral loopback port with the workers and clients a test starts; {@link
 * io.zmesh.testing.RawPeer} and {@link io.zmesh.testing.TopicPeer} speak the wire protocol on a
 * bare DEALER; {@link io.zmesh.testing.FakeBroker} is a scripted ROUTER for SDK tests; {@link
 * io.zmesh.testing.FakeTicker} is a clock a test moves; {@link io.zmesh.testing.Await} waits for
 * a condition within a bound, never for a fixed time.
 */
package io.zmesh.testing;
