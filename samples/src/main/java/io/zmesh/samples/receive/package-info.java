/**
 * The {@code receive} sample: an HTTP and WebSocket gateway that serves the chat page, makes
 * browsers' requests to workers by name and pushes topic messages to their sockets, in JSON
 * mapped to and from the mesh's protobuf types.
 */
package io.zmesh.samples.receive;
