package io.zmesh.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.zmesh.Code;
import io.zmesh.MeshException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits and failure assertions shared by the broker tests. Nothing here sleeps blind. */
public final class Await {
  /** How often a polled condition is looked at again. */
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private Await() {}

  /** Polls {@code condition} until it holds; fails naming {@code what} after {@code within}. */
  public static void until(String what, Duration within, BooleanSupplier condition) {
    until(what, within, condition, () -> "");
  }

  /** As {@link #until(String, Duration, BooleanSupplier)}, adding {@code detail} to a failure. */
  public static void until(String what, Duration within, BooleanSupplier condition,
      Supplier<String> detail) {
    long end = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - end > 0) {
        String more = detail.get();
        fail("not within " + within.toMillis() + " ms: " + what
            + (more.isEmpty() ? "" : "\n" + more));
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** The value of {@code future}, which must complete normally within {@code within}. */
  public static <T> T value(CompletableFuture<T> future, Duration within) {
    try {
      return future.get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected a reply, got " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("no reply within " + within.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The MeshException {@code future} fails with within {@code within}. */
  public static MeshException failure(CompletableFuture<?> future, Duration within) {
    try {
      Object value = future.get(within.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("expected a failure, got the reply " + value);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof MeshException) {
        return (MeshException) e.getCause();
      }
      throw new AssertionError("expected a MeshException, got " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("the request did not end within " + within.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Asserts that {@code future} fails within {@code within} with {@code code} and a description
   * containing every one of {@code parts}.
   */
  public static MeshException assertFails(Code code, CompletableFuture<?> future, Duration within,
      String... parts) {
    MeshException e = failure(future, within);
    assertStatus(code, e, parts);
    return e;
  }

  public static void assertStatus(Code code, MeshException e, String... parts) {
    assertEquals(code, e.code(), () -> "wrong code in " + e.status());
    for (String part : parts) {
      assertTrue(e.status().description().contains(part),
          () -> "description of " + e.status() + " lacks '" + part + "'");
    }
  }
}
