package io.zmesh.worker;

import java.time.Duration;
import java.util.Map;

/**
 * What a handler knows about the request it is handling, and its way to make further requests.
 *
 * <p>Requests made through the context inherit the deadline: their timeout is the smaller of
 * the one asked for and the time this request has left, so a chain of calls never outlives the
 * original caller's patience.
 */
public interface RequestContext extends Requester {
  /** This worker's name. */
  String worker();

  /** This worker instance's id. */
  String instanceId();

  /** The headers the requester sent. Unmodifiable. */
  Map<String, String> headers();

  /** Time left until the requester's deadline; zero or negative once it has passed. */
  Duration timeRemaining();

  /**
   * Whether the requester is no longer waiting: it cancelled, or its deadline passed. A long
   * handler may check this and stop early; its reply would be dropped anyway. Until the handler
   * returns the worker's credit stays taken, and a worker still busy with a cancelled request
   * after the broker's cancel grace (10 s by default) is disconnected, failing its other
   * requests in flight: a handler that may overrun its deadline should check this.
   */
  boolean isCancelled();
}
