package io.zmesh.worker;

/** What a {@link MessageHandler} knows about the message it is handling. */
public interface MessageContext {
  /** The topic the message was published to (not the pattern). */
  String topic();

  /**
   * Messages of this subscription the broker dropped just before this one (the gap), because
   * the subscriber was not keeping up with its budget; 0 when none were.
   */
  long dropped();

  /** The subscription the message arrived on. */
  Subscription subscription();
}
