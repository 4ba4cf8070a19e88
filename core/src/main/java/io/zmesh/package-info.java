/**
 * The error model shared by the broker, the SDK and the command line: a {@link io.zmesh.Status}
 * is a {@link io.zmesh.Code} with a description, carried by {@link io.zmesh.MeshException}. The
 * codes' numbers are those of the wire protocol (docs/protocol.md) and of the CLI's exit codes.
 */
package io.zmesh;
