package io.zmesh.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zmesh.proto.LogLine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogsTest {
  @Test
  void rotatesBySizeAndKeepsTheNewestFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/a.log");
    try (RotatingLog log = new RotatingLog(file, 100, 2)) {
      byte[] line = "0123456789012345678901234567890123456789\n".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 10; i++) {
        log.write(line, 0, line.length);
      }
    }
    assertTrue(Files.size(file) <= 100);
    assertTrue(Files.exists(dir.resolve("sub/a.log.1")));
    assertTrue(Files.exists(dir.resolve("sub/a.log.2")));
    assertFalse(Files.exists(dir.resolve("sub/a.log.3")), "keep: 2");
    assertEquals(82, Files.size(dir.resolve("sub/a.log.1")));
  }

  @Test
  void logBookKeepsTheNewestLinesPerAppInOneSequence() {
    LogBook book = new LogBook(3);
    for (int i = 0; i < 5; i++) {
      book.add("a", 0, "out", "a" + i);
      book.add("b", 1, "err", "b" + i);
    }
    List<LogLine> all = book.read("", 0, 100);
    assertEquals(List.of("a2", "b2", "a3", "b3", "a4", "b4"),
        all.stream().map(LogLine::getText).toList());
    assertEquals(List.of("b3", "b4"),
        book.read("b", 0, 2).stream().map(LogLine::getText).toList());
    long last = book.last();
    book.add("a", 0, "zmesh", "new");
    List<LogLine> next = book.read("", last, 100);
    assertEquals(1, next.size());
    assertEquals("new", next.get(0).getText());
    assertEquals("zmesh", next.get(0).getStream());
  }

  @Test
  void logBookIsBoundedInBytes() {
    LogBook book = new LogBook(1_000_000);
    String big = "x".repeat(10_000);
    for (int i = 0; i < 200; i++) {
      book.add("a", 0, "out", big);
    }
    long held = book.read("a", 0, 1_000_000).size() * (long) big.length() * 2;
    assertTrue(held <= LogBook.BYTES_PER_APP, "held " + held);
  }
}
