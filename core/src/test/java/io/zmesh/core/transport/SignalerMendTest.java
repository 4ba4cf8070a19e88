package io.zmesh.core.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

class SignalerMendTest {

  @Test
  void writtenForThisJeromq() throws IOException {
    // A JeroMQ bump must re-check the mend: is the race still there, are the fields the same?
    // See SignalerMend's "Removal" paragraph, then update JEROMQ_VERSION.
    Properties pom = new Properties();
    try (InputStream in = ZMQ.class.getResourceAsStream(
        "/META-INF/maven/org.zeromq/jeromq/pom.properties")) {
      assertNotNull(in, "jeromq's pom.properties is not on the class path");
      pom.load(in);
    }
    assertEquals(SignalerMend.JEROMQ_VERSION, pom.getProperty("version"));
  }

  @Test
  void findsJeromqSignalers() {
    // Fails when a JeroMQ upgrade renames the fields the mend goes through.
    assertTrue(Sockets.mended());
  }

  @Test
  void countIsUpWhileTheSignalByteIsWritten() throws IOException {
    Pipe pipe = Pipe.open();
    AtomicLong cursor = new AtomicLong();
    long[] seenDuringWrite = new long[1];
    Pipe.SinkChannel observing = new Pipe.SinkChannel(pipe.sink().provider()) {
      @Override
      public int write(ByteBuffer src) throws IOException {
        seenDuringWrite[0] = cursor.get();
        return pipe.sink().write(src);
      }

      @Override
      public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return pipe.sink().write(srcs, offset, length);
      }

      @Override
      public long write(ByteBuffer[] srcs) throws IOException {
        return pipe.sink().write(srcs);
      }

      @Override
      protected void implCloseSelectableChannel() throws IOException {
        pipe.sink().close();
      }

      @Override
      protected void implConfigureBlocking(boolean block) throws IOException {
        pipe.sink().configureBlocking(block);
      }
    };
    SignalerMend.CountingSink sink = new SignalerMend.CountingSink(observing, cursor);
    assertEquals(1, sink.write(ByteBuffer.wrap(new byte[1])));
    assertEquals(1, seenDuringWrite[0], "the reader woken by the write must see the byte due");
    assertEquals(0, cursor.get(), "the signaler's own raise after the write makes it one");
    sink.close();
    pipe.source().close();
  }

  @Test
  void aSignalToAClosedMailboxIsDroppedNotThrown() throws IOException {
    // A socket closing while another thread hands it a command: nobody is left to wake.
    Pipe pipe = Pipe.open();
    SignalerMend.CountingSink sink = new SignalerMend.CountingSink(pipe.sink(), new AtomicLong());
    pipe.sink().close();
    ByteBuffer signal = ByteBuffer.wrap(new byte[1]);
    assertEquals(1, sink.write(signal));
    assertEquals(0, signal.remaining());
    pipe.source().close();
  }

  @Test
  void mendedSocketsCarryTrafficBothWays() {
    ZMQ.Context context = Sockets.newContext(0);
    try (ZMQ.Socket router = Sockets.newSocket(context, SocketType.ROUTER);
        ZMQ.Socket dealer = Sockets.newSocket(context, SocketType.DEALER)) {
      router.setReceiveTimeOut(5_000);
      dealer.setReceiveTimeOut(5_000);
      router.bind("tcp://127.0.0.1:*");
      dealer.connect(router.getLastEndpoint());
      for (int i = 0; i < 20_000; i++) {
        byte[] body = ByteBuffer.allocate(4).putInt(i).array();
        assertTrue(dealer.send(body, 0));
        byte[] id = router.recv(0);
        assertNotNull(id, "request " + i + " lost");
        assertArrayEquals(body, router.recv(0));
        router.send(id, ZMQ.SNDMORE);
        router.send(body, 0);
        assertArrayEquals(body, dealer.recv(0), "reply " + i + " lost");
      }
    } finally {
      context.term();
    }
  }
}
