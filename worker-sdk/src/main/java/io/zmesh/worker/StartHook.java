package io.zmesh.worker;

/**
 * Runs once when a worker starts, before it registers: open the database, warm caches. The
 * broker routes nothing to the worker until this returns (a ready handshake, like PM2's
 * {@code wait_ready}). The worker is connected meanwhile, so the hook may make requests.
 * Throwing aborts the start.
 */
@FunctionalInterface
public interface StartHook {
  void onStart(Worker worker) throws Exception;
}
