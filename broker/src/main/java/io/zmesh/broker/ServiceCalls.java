package io.zmesh.broker;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.core.internal.StatusCodec;
import io.zmesh.proto.Command;
import io.zmesh.proto.Envelope;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link BrokerService}s of the embedding application off the broker loop, on a small
 * pool of its own, and hands each reply back to the loop, which alone sends on the ROUTER.
 */
final class ServiceCalls {
  private static final Logger log = LoggerFactory.getLogger(ServiceCalls.class);

  private final Map<String, BrokerService> services;
  private final BrokerLoop loop;
  private ThreadPoolExecutor pool;

  ServiceCalls(Map<String, BrokerService> services, BrokerLoop loop) {
    this.services = services;
    this.loop = loop;
  }

  /** Whether {@code name} is one of the application's services. */
  boolean handles(String name) {
    return services.containsKey(name);
  }

  /** The admin permission a call of service {@code name} needs under an allow-list. */
  Access.Admin required(String name) {
    return services.get(name).access() == BrokerService.Access.READ
        ? Access.Admin.READ : Access.Admin.WRITE;
  }

  /** Starts {@code request} on a service thread. Broker loop only. */
  void call(Peer from, Envelope request) {
    BrokerService service = services.get(request.getService());
    long id = request.getId();
    Message argument;
    try {
      argument = AdminService.arg(request, service.defaultRequest().getClass());
    } catch (MeshException e) {
      loop.out.send(from, StatusCodec.error(id, e.code(), e.status().description()));
      return;
    }
    try {
      pool().execute(() -> {
        Envelope answer = run(service, id, argument);
        loop.execute(() -> answer(from, id, service, answer));
      });
    } catch (RejectedExecutionException e) {
      loop.out.send(from, StatusCodec.error(id, Code.OVERLOADED, "broker service '"
          + service.name() + "' has " + BrokerService.MAX_QUEUED_CALLS
          + " calls waiting; retry later"));
    }
  }

  /**
   * Sends the answer; one the connection has no room for (too many bytes unread) becomes a
   * small OVERLOADED, so that the call still ends once.
   */
  private void answer(Peer from, long id, BrokerService service, Envelope answer) {
    if (!loop.out.send(from, answer) && !from.gone) {
      loop.counters.error(Code.OVERLOADED);
      loop.out.send(from, StatusCodec.error(id, Code.OVERLOADED, "the reply of broker service '"
          + service.name() + "' was dropped: this connection has " + from.outbound
          + " bytes sent by the broker that it has not read, its limit"));
    }
  }

  private static Envelope run(BrokerService service, long id, Message argument) {
    try {
      Message reply = service.handler().handle(argument);
      return Envelope.newBuilder()
          .setCommand(Command.REPLY)
          .setId(id)
          .setPayload(Any.pack(reply))
          .build();
    } catch (MeshException e) {
      return StatusCodec.error(id, e.code(), e.status().description());
    } catch (IllegalArgumentException e) {
      return StatusCodec.error(id, Code.INVALID_ARGUMENT, String.valueOf(e.getMessage()));
    } catch (Exception | Error e) {
      log.warn("broker service '{}' failed", service.name(), e);
      return StatusCodec.error(id, Code.INTERNAL, "broker service '" + service.name()
          + "' failed: " + e);
    }
  }

  private ThreadPoolExecutor pool() {
    if (pool == null) {
      AtomicInteger n = new AtomicInteger();
      pool = new ThreadPoolExecutor(BrokerService.MAX_CONCURRENT_CALLS,
          BrokerService.MAX_CONCURRENT_CALLS, 30, TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(BrokerService.MAX_QUEUED_CALLS), r -> {
            Thread t = new Thread(r, "zmesh-broker-service-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      pool.allowCoreThreadTimeOut(true);
    }
    return pool;
  }

  /** Stops taking calls; running ones finish on their own, their replies are dropped. */
  void shutdown() {
    if (pool != null) {
      pool.shutdown();
    }
  }
}
