/** The {@code chat} sample worker: posts and history of chat rooms, stored by {@code db}. */
package io.zmesh.samples.chat;
