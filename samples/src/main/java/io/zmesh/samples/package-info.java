/**
 * Sample workers ({@code db}, {@code chat}, {@code receive}) and {@code zmesh demo}, which runs
 * them. Each sample is a small main class built on the public SDK only.
 */
package io.zmesh.samples;
