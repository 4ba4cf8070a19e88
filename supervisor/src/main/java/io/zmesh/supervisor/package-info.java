/**
 * The supervisor of {@code zmesh up}: {@link io.zmesh.supervisor.Supervisor} runs a broker and
 * every app of an {@link io.zmesh.supervisor.Ecosystem} file as child processes. Everything
 * else in this package is its internals and package-private.
 */
package io.zmesh.supervisor;
