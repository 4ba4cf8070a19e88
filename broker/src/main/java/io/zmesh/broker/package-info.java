/**
 * The zmesh broker: {@link io.zmesh.broker.Broker} started with {@link
 * io.zmesh.broker.BrokerOptions}. Everything else in this package is the broker loop's
 * internals and package-private.
 */
package io.zmesh.broker;
