/**
 * Not API: the clock, timer wheel, backoff and status codec the broker and the SDK share. Public
 * only so that those modules can use them; may change at any time.
 */
package io.zmesh.core.internal;
