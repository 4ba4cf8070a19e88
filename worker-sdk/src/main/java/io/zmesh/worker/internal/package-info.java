/**
 * Not API: the SDK's connection, timers and codecs. Public only so the SDK's packages and the
 * broker can share them; may change at any time.
 */
package io.zmesh.worker.internal;
