package io.zmesh.samples.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.zmesh.Code;
import io.zmesh.MeshException;
import io.zmesh.broker.Broker;
import io.zmesh.broker.BrokerOptions;
import io.zmesh.samples.proto.AppendReply;
import io.zmesh.samples.proto.AppendRequest;
import io.zmesh.samples.proto.RangeReply;
import io.zmesh.samples.proto.RangeRequest;
import io.zmesh.worker.MeshClient;
import io.zmesh.worker.Worker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DbWorkerTest {
  @Test
  void appendsAndReadsRanges() {
    try (Broker broker = Broker.start(BrokerOptions.builder().bind("tcp://127.0.0.1:*").build());
        Worker db = DbWorker.create(broker.endpoint()).start();
        MeshClient client = MeshClient.connect(broker.endpoint())) {
      for (int i = 0; i < 5; i++) {
        AppendReply r = client.call("db", AppendRequest.newBuilder()
            .setKey("k").setValue(ByteString.copyFromUtf8("v" + i)).build(), AppendReply.class);
        assertEquals(i, r.getIndex());
      }
      RangeReply range = client.call("db",
          RangeRequest.newBuilder().setKey("k").setFrom(3).setLimit(10).build(), RangeReply.class);
      assertEquals(5, range.getTotal());
      assertEquals(2, range.getValuesCount());
      assertEquals("v3", range.getValues(0).toStringUtf8());

      RangeReply missing = client.call("db",
          RangeRequest.newBuilder().setKey("other").build(), RangeReply.class);
      assertEquals(0, missing.getTotal());

      MeshException e = assertThrows(MeshException.class, () -> client.call("db",
          AppendRequest.getDefaultInstance(), AppendReply.class));
      assertEquals(Code.INVALID_ARGUMENT, e.code());
    }
  }
}
