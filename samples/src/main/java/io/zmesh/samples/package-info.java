/**
 * The sample application, built on the public SDK only: {@code db} (SQL over JDBC), {@code
 * chat}, and {@code receive} (the HTTP and WebSocket gateway serving the chat page); {@link
 * io.zmesh.samples.Samples}, the main that runs any of them; {@code zmesh demo}, which runs them
 * all as processes; and {@code gateway-bench}, the gateway's load figure.
 */
package io.zmesh.samples;
