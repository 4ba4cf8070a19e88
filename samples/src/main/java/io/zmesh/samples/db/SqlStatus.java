package io.zmesh.samples.db;

import io.zmesh.Status;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.sql.SQLTransientException;

/**
 * What a database failure means to the requester, as a {@link Status}. Decided by the JDBC
 * exception class and the SQLState class (the standard's first two characters), which the
 * drivers of H2, MariaDB and PostgreSQL all set, so one mapping serves them all.
 */
final class SqlStatus {
  private static final int MAX_DETAIL = 300;

  private SqlStatus() {}

  static Status of(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (e instanceof SQLTimeoutException || state.equals("57014") || state.equals("HYT00")
        || state.equals("70100")) {
      return Status.DEADLINE_EXCEEDED.withDescription(
          "the database did not answer in time: " + detail(e));
    }
    if (e instanceof SQLTransientConnectionException
        || e instanceof SQLNonTransientConnectionException || state.startsWith("08")) {
      return Status.UNAVAILABLE.withDescription("the database is unavailable: " + detail(e));
    }
    if (isIntegrityViolation(e)) {
      // A duplicate key or a missing reference: the request conflicts with what is stored.
      return Status.INVALID_ARGUMENT.withDescription(
          "conflicts with the stored data: " + detail(e));
    }
    if (state.startsWith("22")) {
      return Status.INVALID_ARGUMENT.withDescription(
          "the database refused the value: " + detail(e));
    }
    if (state.startsWith("40") || e instanceof SQLTransientException
        || e instanceof SQLRecoverableException) {
      return Status.UNAVAILABLE.withDescription(
          "the database failed for now (try again): " + detail(e));
    }
    return Status.INTERNAL.withDescription(
        "database error" + (state.isEmpty() ? "" : " " + state) + ": " + detail(e));
  }

  /** A duplicate key or a broken reference (SQLState class 23). */
  static boolean isIntegrityViolation(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("23");
  }

  /** The driver's message, first line only and bounded: some drivers append whole statements. */
  private static String detail(SQLException e) {
    String m = String.valueOf(e.getMessage()).strip();
    int eol = m.indexOf('\n');
    if (eol >= 0) {
      m = m.substring(0, eol).strip();
    }
    return m.length() <= MAX_DETAIL ? m : m.substring(0, MAX_DETAIL) + "...";
  }
}
