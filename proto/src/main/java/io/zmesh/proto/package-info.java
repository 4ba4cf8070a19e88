/**
 * The zmesh wire protocol: the generated messages of {@code zmesh/v1/*.proto} and {@link
 * io.zmesh.proto.Wire}, the one codec for frames. Shared by the broker and the SDK; not meant
 * for application code.
 */
package io.zmesh.proto;
