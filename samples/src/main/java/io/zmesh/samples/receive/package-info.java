/** The {@code receive} sample worker: subscribes to the chat rooms' topics. */
package io.zmesh.samples.receive;
