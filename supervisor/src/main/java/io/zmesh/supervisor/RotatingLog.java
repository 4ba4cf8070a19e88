package io.zmesh.supervisor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A log file rotated by size: past {@code maxSize} bytes, {@code file} becomes {@code file.1},
 * {@code file.1} becomes {@code file.2} and so on up to {@code keep}; the oldest is deleted.
 * Shared by every process that writes the same path (an instance and its replacement during a
 * reload), so writes are synchronized. A file that cannot be written is reported once and then
 * skipped: logs never stop an instance.
 */
final class RotatingLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RotatingLog.class);

  private final Path file;
  private final long maxSize;
  private final int keep;
  private OutputStream out;
  private long size;
  private boolean failed;

  RotatingLog(Path file, long maxSize, int keep) {
    this.file = file;
    this.maxSize = maxSize;
    this.keep = keep;
  }

  Path file() {
    return file;
  }

  synchronized void write(byte[] bytes, int off, int len) {
    if (failed) {
      return;
    }
    try {
      if (out == null) {
        open();
      }
      if (size > 0 && size + len > maxSize) {
        rotate();
      }
      out.write(bytes, off, len);
      out.flush();
      size += len;
    } catch (IOException e) {
      failed = true;
      log.warn("cannot write log {}: {}; its lines are kept in memory only", file, e.toString());
    }
  }

  private void open() throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    size = Files.size(file);
  }

  private void rotate() throws IOException {
    out.close();
    if (keep == 0) {
      Files.deleteIfExists(file);
    } else {
      Files.deleteIfExists(numbered(keep));
      for (int i = keep - 1; i >= 1; i--) {
        if (Files.exists(numbered(i))) {
          Files.move(numbered(i), numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(file, numbered(1), StandardCopyOption.REPLACE_EXISTING);
    }
    out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    size = 0;
  }

  private Path numbered(int i) {
    return file.resolveSibling(file.getFileName() + "." + i);
  }

  @Override
  public synchronized void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // nothing more to write
      }
      out = null;
    }
  }
}
