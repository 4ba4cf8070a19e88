package io.zmesh.broker;

import io.zmesh.CurveKeys;
import io.zmesh.core.transport.Endpoints;
import io.zmesh.core.transport.Sockets;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;
import zmq.msg.MsgAllocatorHeap;

/**
 * The broker's ROUTER socket, made and bound with every option the broker relies on: CURVE,
 * queue sizes, the accept backlog, the frame limit ZeroMQ enforces before it allocates, frames
 * on the heap, ZMTP heartbeats. The loop thread that calls {@link #open} owns the socket.
 */
final class BrokerSocket {
  private static final Logger log = LoggerFactory.getLogger(BrokerSocket.class);
  private static final int ACCEPT_BACKLOG = 4096;
  /** The most a frame may exceed the limit and still be read and answered: 64 KiB. */
  private static final int HARD_LIMIT_SLACK = 64 << 10;

  private BrokerSocket() {}

  /**
   * The largest frame ZeroMQ lets in: the limit plus a sixteenth, at most {@link
   * #HARD_LIMIT_SLACK}. Larger frames close their connection unread.
   */
  static long hardFrameLimit(int maxMessageBytes) {
    return maxMessageBytes + Math.min(HARD_LIMIT_SLACK, maxMessageBytes / 16);
  }

  /**
   * A ROUTER bound to every endpoint of {@code options}, whose resolved addresses are added to
   * {@code endpoints}; closed again if any step fails.
   *
   * @param curve whether every connection must be CURVE (the ZAP handler is bound already)
   * @throws BindException if an endpoint cannot be bound
   */
  static ZMQ.Socket open(ZMQ.Context context, BrokerOptions options, boolean curve,
      List<String> endpoints) {
    ZMQ.Socket socket = Sockets.newSocket(context, SocketType.ROUTER);
    try {
      socket.setRouterMandatory(true);
      if (curve) {
        // Every connection is CURVE; the ZAP handler, bound before this, checks each key.
        CurveKeys.Pair keys = options.curveKeys();
        socket.setZapDomain("zmesh");
        socket.setCurveServer(true);
        socket.setCurvePublicKey(keys.publicKey().getBytes(StandardCharsets.US_ASCII));
        socket.setCurveSecretKey(keys.secretKey().getBytes(StandardCharsets.US_ASCII));
      }
      socket.setLinger(0);
      // Room for a whole connection budget of topic messages on top of request traffic: a
      // subscriber's messages are then limited by its budget, which counts each drop against
      // its subscription, before the queue fills and a send fails with EAGAIN.
      socket.setSndHWM(Sockets.HWM + options.connectionBudgetMessages());
      socket.setRcvHWM(Sockets.HWM);
      // After a broker restart every instance reconnects at once; with ZeroMQ's backlog of 100
      // the kernel drops the excess SYNs and those peers wait out TCP's retransmit timers.
      socket.setBacklog(ACCEPT_BACKLOG);
      // ZeroMQ drops a connection whose frame header announces more than this, before it
      // allocates the frame: a declared 4 MiB (or 4 GiB) frame costs nothing. A frame a little
      // over the limit is still read, to be answered with a typed error.
      socket.setMaxMsgSize(hardFrameLimit(options.maxMessageBytes()));
      // On the heap, where -Xmx bounds it and the GC returns it: JeroMQ puts frames over 1 MiB
      // in direct buffers, outside both.
      socket.setMsgAllocator(new MsgAllocatorHeap());
      // ZMTP heartbeats: a connection that completes no frame for liveness x interval (one
      // that announced a frame and stalls, say) is closed by ZeroMQ, and what it held is freed.
      int ivl = (int) Math.max(1, options.heartbeatInterval().toMillis());
      socket.setHeartbeatIvl(ivl);
      socket.setHeartbeatTimeout((int) Math.min(Integer.MAX_VALUE,
          (long) ivl * options.liveness()));
      for (String endpoint : options.binds()) {
        try {
          socket.bind(endpoint);
        } catch (ZMQException e) {
          throw new BindException(endpoint, describe(e), e);
        } catch (IllegalArgumentException e) {
          throw new BindException(endpoint, e.getMessage(), e);
        }
        endpoints.add(socket.getLastEndpoint());
        if (!curve && !Endpoints.isLoopback(endpoint)) {
          log.warn("listening on {} without CURVE: any process that reaches it can register as"
              + " any worker, read every request and topic and use the admin services; give"
              + " the broker a key and an allow-list (--curve-key, --allow) or bind loopback",
              endpoint);
        }
      }
      return socket;
    } catch (RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** "address already in use (EADDRINUSE)" rather than JeroMQ's "Errno 48". */
  private static String describe(ZMQException e) {
    ZMQ.Error error;
    try {
      error = ZMQ.Error.findByCode(e.getErrorCode());
    } catch (IllegalArgumentException unknown) {
      return e.getMessage();
    }
    if (error == ZMQ.Error.NOERROR) {
      return e.getMessage();
    }
    String text = error.getMessage();
    return Character.toLowerCase(text.charAt(0)) + text.substring(1) + " (" + error.name() + ")";
  }
}
