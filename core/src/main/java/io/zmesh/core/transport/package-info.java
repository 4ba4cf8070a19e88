/**
 * Not API: the JeroMQ transport helpers the broker, the SDK and the benchmarks share: every
 * context and socket ({@link io.zmesh.core.transport.Sockets}, with the wake-up mend of JeroMQ's
 * signaler) and the wait of a socket's owner thread ({@link io.zmesh.core.transport.SocketWaiter}).
 * May change at any time.
 */
package io.zmesh.core.transport;
