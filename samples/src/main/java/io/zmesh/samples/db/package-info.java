/** The {@code db} sample worker: owns the stored chat lines. */
package io.zmesh.samples.db;
