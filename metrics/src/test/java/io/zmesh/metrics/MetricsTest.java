package io.zmesh.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.zmesh.MeshException;
import io.zmesh.testing.TestMesh;
import io.zmesh.worker.MeshClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real broker and worker, scraped over HTTP, the text format parsed. */
@Timeout(60)
class MetricsTest {
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+(\\S+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** Each sample of a text-format scrape: {@code name{k="v",...}} (labels sorted) to value. */
  private static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertTrue(m.matches(), "not a sample line: " + line);
      TreeMap<String, String> labels = new TreeMap<>();
      Matcher l = LABEL.matcher(m.group(3) == null ? "" : m.group(3));
      while (l.find()) {
        labels.put(l.group(1), l.group(2));
      }
      StringBuilder key = new StringBuilder(m.group(1)).append('{');
      labels.forEach((k, v) -> key.append(key.charAt(key.length() - 1) == '{' ? "" : ",")
          .append(k).append("=\"").append(v).append('"'));
      samples.put(key.append('}').toString(), Double.parseDouble(m.group(4)));
    }
    return samples;
  }

  private static String scrape(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    return r.body();
  }

  @Test
  void requestsLatencyQueuesAndTotalsAreScraped() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    BrokerMetrics metrics = BrokerMetrics.register(registry);
    try (TestMesh mesh = TestMesh.start(TestMesh.options().requestListener(metrics));
        MetricsServer server = MetricsServer.start("127.0.0.1", 0, mesh.broker(), metrics,
            registry)) {
      mesh.startWorker("echo", b -> b.concurrency(4).handle(StringValue.class, (s, ctx) -> {
        if (s.getValue().equals("boom")) {
          throw new IllegalStateException("boom");
        }
        return s;
      }));
      MeshClient client = mesh.client();
      for (int i = 0; i < 3; i++) {
        client.call("echo", StringValue.of("hi"), StringValue.class);
      }
      assertThrows(MeshException.class,
          () -> client.call("echo", StringValue.of("boom"), StringValue.class));
      assertThrows(MeshException.class,
          () -> client.call("nobody", StringValue.of("x"), StringValue.class));
      client.publish("news.a", StringValue.of("unheard"));
      client.call("echo", StringValue.of("after the publish"), StringValue.class);

      Map<String, Double> s = parse(scrape(server.port()));
      assertEquals(4.0, s.get("zmesh_requests_total{code=\"OK\",worker=\"echo\"}"), s.toString());
      assertEquals(1.0, s.get("zmesh_requests_total{code=\"HANDLER_FAILED\",worker=\"echo\"}"));
      assertEquals(1.0, s.get("zmesh_requests_total{code=\"NO_WORKER\",worker=\"nobody\"}"));
      assertEquals(5.0, s.get("zmesh_request_duration_seconds_count{worker=\"echo\"}"));
      assertTrue(s.get("zmesh_request_duration_seconds_sum{worker=\"echo\"}") > 0);
      assertEquals(5.0, s.get("zmesh_request_duration_seconds_bucket{le=\"+Inf\",worker=\"echo\"}"));
      assertEquals(1.0, s.get("zmesh_worker_instances{worker=\"echo\"}"));
      assertEquals(4.0, s.get("zmesh_worker_concurrency{worker=\"echo\"}"));
      assertEquals(0.0, s.get("zmesh_requests_in_flight{worker=\"echo\"}"));
      assertEquals(0.0, s.get("zmesh_queued_requests{worker=\"echo\"}"));
      assertTrue(s.get("zmesh_peers{}") >= 2, s.toString());
      assertEquals(1.0, s.get("zmesh_messages_published_total{}"));
      assertEquals(1.0, s.get("zmesh_messages_unmatched_total{}"));
      assertTrue(s.get("zmesh_memory_budget_bytes{}") >= 1 << 20, s.toString());
      assertTrue(s.get("zmesh_memory_used_bytes{}") >= 0);
      assertEquals(0.0, s.get("zmesh_refused_acts_total{}"));
      assertEquals(0.0, s.get("zmesh_internal_errors_total{}"));
      assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes{")),
          "the JVM's metrics too");
    }
  }

  @Test
  void workerNamesBeyondTheBoundShareOneLabel() {
    BoundedLabels labels = new BoundedLabels(2, BrokerMetrics.OTHER);
    assertEquals("a", labels.of("a"));
    assertEquals("b", labels.of("b"));
    assertEquals(BrokerMetrics.OTHER, labels.of("c"));
    assertEquals("a", labels.of("a"));
  }
}
