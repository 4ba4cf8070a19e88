package io.zmesh.core.transport;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

/**
 * Counts a JeroMQ signal byte while it is being written, so that the reader it wakes cannot
 * miss it.
 *
 * <p><b>Cause.</b> JeroMQ 0.6.0 hands a command to a socket or to one of its I/O threads by
 * queueing it in the target's {@code zmq.Mailbox} and calling {@code zmq.Signaler.send()},
 * which writes one byte to a pipe and only then raises its write count ({@code
 * wcursor.incrementAndGet()} after {@code w.write(dummy)}). The reader takes a byte only when
 * {@code rcursor < wcursor} says one is due ({@code Signaler.waitEvent(0)}, {@code recv()}).
 * Writing the byte makes the pipe readable and wakes the reader; on a busy core the woken reader
 * often preempts the writer before the count is raised. It then finds the command, runs it,
 * sees no byte due and leaves the byte in the pipe, which stays readable: every poll returns
 * at once and the reader spins on the core the writer needs until the scheduler hands it back,
 * milliseconds later.
 *
 * <p><b>Effect.</b> On the 2-core machine of docs/benchmarks.md the race, hit by the broker, the
 * SDK and JeroMQ's own I/O threads alike, cut request/reply throughput to about a fifth: with
 * the mend it was 4.9 times as high (docs/benchmarks.md#throughput-against-raw-jeromq).
 *
 * <p><b>Mend.</b> The pipe's write end of each signaler is replaced, through JeroMQ's private
 * fields and before the context or socket carries traffic, by a {@link CountingSink} that raises
 * the count for as long as it writes. If the fields are not what this code expects nothing is
 * changed and a warning says so once. {@code -Dzmesh.signal-fix=false} turns the mend off, to
 * measure it.
 *
 * <p><b>Removal.</b> Remove this class when JeroMQ raises the count before it writes (or stops
 * counting), and check it again on any other JeroMQ version: {@code SignalerMendTest} fails when
 * the jeromq on the class path is not the 0.6.0 this was written against.
 */
final class SignalerMend {
  private static final Logger log = LoggerFactory.getLogger(SignalerMend.class);

  /** The JeroMQ version whose {@code zmq.Signaler} this mends. */
  static final String JEROMQ_VERSION = "0.6.0";

  private static final Fields FIELDS = Fields.find();

  private SignalerMend() {}

  /** Whether contexts and sockets are mended. */
  static boolean active() {
    return FIELDS != null;
  }

  /** Mends the mailboxes of {@code context}'s I/O and reaper threads (started by a socket). */
  static void mendThreads(ZMQ.Context context) {
    if (FIELDS != null) {
      FIELDS.mendThreads(context);
    }
  }

  /** Mends the mailbox of {@code socket}. */
  static void mendSocket(ZMQ.Socket socket) {
    if (FIELDS != null) {
      FIELDS.mendMailbox(FIELDS.get(FIELDS.socketMailbox, socket.base()));
    }
  }

  /** JeroMQ's private fields the mend goes through. */
  private static final class Fields {
    final Field contextCtx;
    final Field ctxIoThreads;
    final Field ctxReaper;
    final Field ioThreadMailbox;
    final Field reaperMailbox;
    final Field socketMailbox;
    final Class<?> mailboxClass;
    final Field mailboxSignaler;
    final Field signalerSink;
    final Field signalerCursor;

    private Fields() throws ReflectiveOperationException {
      contextCtx = field(ZMQ.Context.class, "ctx");
      Class<?> ctx = Class.forName("zmq.Ctx");
      ctxIoThreads = field(ctx, "ioThreads");
      ctxReaper = field(ctx, "reaper");
      ioThreadMailbox = field(Class.forName("zmq.io.IOThread"), "mailbox");
      reaperMailbox = field(Class.forName("zmq.Reaper"), "mailbox");
      socketMailbox = field(Class.forName("zmq.SocketBase"), "mailbox");
      mailboxClass = Class.forName("zmq.Mailbox");
      mailboxSignaler = field(mailboxClass, "signaler");
      Class<?> signaler = Class.forName("zmq.Signaler");
      signalerSink = field(signaler, "w");
      signalerCursor = field(signaler, "wcursor");
      if (signalerSink.getType() != Pipe.SinkChannel.class
          || signalerCursor.getType() != AtomicLong.class) {
        throw new NoSuchFieldException("zmq.Signaler's fields have other types");
      }
    }

    static Fields find() {
      if ("false".equals(System.getProperty("zmesh.signal-fix"))) {
        return null;
      }
      try {
        return new Fields();
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.warn("JeroMQ's signalers are not what zmesh expects ({}); running without the"
            + " wake-up mend, which can cost throughput on busy machines", e.toString());
        return null;
      }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
      Field f = type.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    }

    Object get(Field field, Object owner) {
      try {
        return field.get(owner);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    void mendThreads(ZMQ.Context context) {
      Object ctx = get(contextCtx, context);
      mendMailbox(get(reaperMailbox, get(ctxReaper, ctx)));
      for (Object ioThread : (List<?>) get(ctxIoThreads, ctx)) {
        mendMailbox(get(ioThreadMailbox, ioThread));
      }
    }

    void mendMailbox(Object mailbox) {
      if (!mailboxClass.isInstance(mailbox)) {
        return; // thread-safe socket types have another mailbox; zmesh uses none of them
      }
      Object signaler = get(mailboxSignaler, mailbox);
      Pipe.SinkChannel sink = (Pipe.SinkChannel) get(signalerSink, signaler);
      if (sink instanceof CountingSink) {
        return;
      }
      AtomicLong cursor = (AtomicLong) get(signalerCursor, signaler);
      try {
        signalerSink.set(signaler, new CountingSink(sink, cursor));
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The pipe's write end, which raises the signaler's count for as long as it writes a signal
   * byte. The signaler raises the count itself after the write; lowering it again just before
   * keeps one raise per byte, and the count is already up when the write wakes the reader,
   * which is where the writer gets preempted.
   */
  static final class CountingSink extends Pipe.SinkChannel {
    private final Pipe.SinkChannel sink;
    private final AtomicLong cursor;

    CountingSink(Pipe.SinkChannel sink, AtomicLong cursor) {
      super(sink.provider());
      this.sink = sink;
      this.cursor = cursor;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      cursor.incrementAndGet();
      try {
        return sink.write(src);
      } catch (ClosedChannelException closed) {
        // The mailbox was closed under the writer (a socket or context closing while another
        // thread hands it a command): nobody is left to wake. JeroMQ would turn this into a
        // ZError.IOException with a stack trace on a normal close; the byte is dropped instead.
        int n = src.remaining();
        src.position(src.limit());
        return n;
      } finally {
        cursor.decrementAndGet();
      }
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return sink.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
      return sink.write(srcs);
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
      sink.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) throws IOException {
      sink.configureBlocking(block);
    }
  }
}
