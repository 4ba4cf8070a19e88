package io.zmesh.cli;

import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.worker.CallOptions;
import io.zmesh.worker.MeshClient;
import java.time.Duration;

/**
 * One request to a supervisor's service, with the two ways it can be missing told apart: no
 * broker answers at the endpoint (UNAVAILABLE), or a broker without a supervisor does
 * (NO_WORKER). Either way the message says how to start one.
 */
final class SupervisorCall {
  private SupervisorCall() {}

  /** Connects within {@code --connect-timeout}; the caller closes the client. */
  static MeshClient connect(BrokerOption broker) {
    try {
      return broker.connect();
    } catch (MeshException e) {
      if (e.code() == Code.UNAVAILABLE) {
        // A CURVE broker never answers a plain client: say so when no key was given.
        boolean plain = broker.options().build().brokerKey() == null;
        throw Status.UNAVAILABLE.withDescription("no supervisor is running: nothing answers at "
            + broker.broker + " within " + broker.connectTimeout.toMillis() + " ms (start one"
            + " with 'zmesh up', or give --broker" + (plain ? "; a broker with CURVE answers"
            + " only clients with its key, --broker-key and --key" : "") + ")").asException(e);
      }
      throw e;
    }
  }

  static <R extends Message> R call(MeshClient client, BrokerOption broker, String service,
      Message request, Class<R> replyType, Duration timeout) {
    try {
      return client.call(service, request, replyType, CallOptions.DEFAULT.withTimeout(timeout));
    } catch (MeshException e) {
      if (e.code() == Code.NO_WORKER) {
        throw Status.NO_WORKER.withDescription("no supervisor is running at " + broker.broker
            + ": the broker there was not started by 'zmesh up'").asException(e);
      }
      throw e;
    }
  }
}
