/**
 * The {@code chat} sample worker: rooms and posts, checked here, stored by {@code db} and
 * published to {@code chat.room.<room>}.
 */
package io.zmesh.samples.chat;
