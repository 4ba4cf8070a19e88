/**
 * Not API: the SDK's connection, request and topic machinery behind {@link
 * io.zmesh.worker.Worker} and {@link io.zmesh.worker.MeshClient}. Public only so that the SDK's
 * two packages can share it; may change at any time.
 */
package io.zmesh.worker.internal;
