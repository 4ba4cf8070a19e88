/**
 * The {@code db} sample worker: the chat's rooms, members and messages in a SQL database over
 * JDBC (HikariCP pool, Flyway migrations; embedded H2 by default, MariaDB or PostgreSQL by URL).
 */
package io.zmesh.samples.db;
