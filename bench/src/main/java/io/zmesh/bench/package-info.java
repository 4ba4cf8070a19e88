/**
 * What {@code zmesh bench} measures: request/reply, pub/sub, overload and scale runs of zmesh
 * through its public API, and the raw JeroMQ baselines run the same way beside them. Not API;
 * the command line prints the results.
 */
package io.zmesh.bench;
