package io.zmesh.worker;

import com.google.protobuf.Descriptors.Descriptor;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.Status;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import io.zmesh.proto.Ready;
import io.zmesh.proto.Wire;
import io.zmesh.worker.internal.Connection;
import io.zmesh.worker.internal.Hosts;
import io.zmesh.worker.internal.Payloads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's registration with the broker. READY (name, instance, concurrency, the request types
 * and their descriptors) goes out once the start hook has run, and again after every WELCOME,
 * since the broker forgets a worker with its connection; never twice on one connection. The
 * first acceptance completes {@link #accepted()}; a refusal fails it. On close, DRAIN takes the
 * worker out of the broker's rotation.
 */
final class Registration {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private final Worker worker;
  private final Ready ready;
  private final CompletableFuture<Worker> accepted = new CompletableFuture<>();
  /** Set once the start hook has run. */
  private volatile boolean allowed;
  /** Set once the worker began to close. */
  private volatile boolean withdrawn;
  /** The connection epoch READY was last sent on; I/O thread only. */
  private long sentEpoch = -1;
  private volatile boolean registered;

  Registration(Worker worker, String version, Collection<TypedHandler<?, ?>> handlers) {
    this.worker = worker;
    List<Descriptor> types = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (TypedHandler<?, ?> h : handlers) {
      types.add(h.descriptor);
      names.add(h.typeName);
    }
    this.ready = Ready.newBuilder()
        .setName(worker.name())
        .setInstanceId(worker.instanceId())
        .setConcurrency(worker.concurrency())
        .setPid(ProcessHandle.current().pid())
        .setHost(Hosts.localName())
        .setVersion(version)
        .addAllRequestTypes(names)
        .setDescriptors(Payloads.descriptorSet(types))
        .build();
  }

  /** Completes with the worker when the broker first accepts it. */
  CompletableFuture<Worker> accepted() {
    return accepted;
  }

  /**
   * Waits for {@link #accepted()}.
   *
   * @param timeout null to wait as long as it takes
   * @throws MeshException the refusal's status, INTERNAL if the start hook failed, UNAVAILABLE
   *     if the broker did not accept within {@code timeout}, CANCELLED if interrupted
   */
  Worker awaitAccepted(Duration timeout) {
    try {
      return timeout == null ? accepted.get()
          : accepted.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw Status.UNAVAILABLE.withDescription("worker '" + worker.name()
          + "' was not registered by " + worker.connection.options().broker() + " within "
          + timeout.toMillis() + " ms").asException(e);
    } catch (ExecutionException e) {
      throw MeshException.statusOf(e.getCause()).asException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted while starting").asException(e);
    }
  }

  /** Whether the broker currently has this worker registered. */
  boolean isRegistered() {
    return registered;
  }

  /** The start hook has run: from now on READY goes out on every connection. */
  void allow() {
    allowed = true;
  }

  /** The worker began to close: READY goes out no more. */
  void withdraw() {
    withdrawn = true;
  }

  /** On the I/O thread: after the start hook, and again after every reconnect. */
  void send() {
    Connection connection = worker.connection;
    if (!allowed || withdrawn || !connection.isConnected()) {
      return;
    }
    // The start hook's hand-off and the WELCOME of the same connection can both get here; the
    // broker refuses a second READY on one connection.
    long epoch = connection.epochOnIoThread();
    if (sentEpoch == epoch) {
      return;
    }
    sentEpoch = epoch;
    // Uptime as of now: the broker shows the instance's own, even after it restarted.
    byte[] packet = Wire.encode(Envelope.newBuilder().setCommand(Command.READY)
        .setReady(ready.toBuilder().setUptimeMs(worker.uptime().toMillis())).build());
    String name = worker.name();
    connection.request(packet, connection.options().handshakeTimeout().toNanos() * 5, r -> r)
        .whenComplete((reply, failure) -> {
          if (failure == null) {
            registered = true;
            log.info("worker '{}' registered with {} as instance {}, concurrency {}", name,
                connection.options().broker(), worker.instanceId(), worker.concurrency());
            accepted.complete(worker);
            return;
          }
          Status status = MeshException.statusOf(failure);
          if (status.code() == Code.PERMISSION_DENIED || status.code() == Code.INVALID_ARGUMENT) {
            log.error("broker refused worker '{}': {}", name, status);
            accepted.completeExceptionally(status.asException());
          } else {
            log.debug("registration of '{}' not answered: {}; retrying on reconnect", name, status);
          }
        });
  }

  /** The connection was lost; READY goes out again on the next. I/O thread. */
  void onDisconnected() {
    registered = false;
  }

  /**
   * Sends DRAIN if registered and waits (up to {@code timeout}) for the broker to confirm that
   * it routes nothing more here; since the broker delivers in order, every request routed here
   * has arrived by then.
   */
  void drain(Duration timeout) {
    Connection connection = worker.connection;
    if (registered && connection.isConnected()) {
      log.info("worker '{}' draining: the broker routes nothing new here; {} in flight",
          worker.name(), worker.inFlight());
      byte[] drain = Wire.encode(Envelope.newBuilder().setCommand(Command.DRAIN).build());
      try {
        Payloads.await(connection.request(drain, timeout.toNanos(), r -> r), timeout);
      } catch (MeshException e) {
        log.debug("drain notice for '{}' not acknowledged: {}", worker.name(), e.status());
      }
    }
    registered = false;
  }
}
