package io.zmesh.broker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allow-list a CURVE broker checks keys against, read from its file again when the file
 * changes (looked at once a second by the ZAP handler's thread) or when {@code
 * zmesh.keys.reload} asks. A file that no longer reads keeps the list in force and is logged.
 * Thread-safe: the ZAP thread and the broker loop read the current list; reloads are serial.
 */
final class AccessControl {
  private static final Logger log = LoggerFactory.getLogger(AccessControl.class);

  private final Path file;
  private volatile AccessList current;
  /** Raised by every reload that changed the list; the loop then checks its peers again. */
  private volatile long version;
  private long seenModified;
  private long seenSize;
  /** Refusals logged this second, and the second: a flood of them must not flood the log. */
  private long logSecond;
  private int loggedThisSecond;
  private long notLogged;

  /** Reads {@code file}; throws IllegalArgumentException if it does not read. */
  AccessControl(Path file) {
    this.file = file;
    BasicFileAttributes seen = attributes();
    this.current = AccessList.read(file);
    remember(seen);
  }

  AccessList current() {
    return current;
  }

  long version() {
    return version;
  }

  Path file() {
    return file;
  }

  /**
   * Reads the file now and puts its list in force.
   *
   * @return the new list
   * @throws IllegalArgumentException if it does not read; the old list stays in force
   */
  synchronized AccessList reload() {
    BasicFileAttributes seen = attributes();
    AccessList fresh = AccessList.read(file);
    current = fresh;
    version++;
    remember(seen);
    log.info("allow-list {} reloaded: {} keys", file, fresh.size());
    return fresh;
  }

  /** Reloads if the file's time or size changed since it was last read. Any thread. */
  synchronized void reloadIfChanged() {
    BasicFileAttributes now = attributes();
    if (now == null || (now.lastModifiedTime().toMillis() == seenModified
        && now.size() == seenSize)) {
      return;
    }
    try {
      reload();
    } catch (IllegalArgumentException e) {
      remember(now); // logged once per change, not once a second
      log.error("{}; the keys read before stay in force", e.getMessage());
    }
  }

  private BasicFileAttributes attributes() {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      return null;
    }
  }

  private void remember(BasicFileAttributes a) {
    if (a != null) {
      seenModified = a.lastModifiedTime().toMillis();
      seenSize = a.size();
    }
  }

  /**
   * Logs a refused act with the key that tried it, at most 20 lines a second; the lines left
   * out are counted in the next one.
   */
  synchronized void logRefusal(String message) {
    long second = System.nanoTime() / 1_000_000_000L;
    if (second != logSecond) {
      logSecond = second;
      loggedThisSecond = 0;
    }
    if (loggedThisSecond++ >= 20) {
      notLogged++;
      return;
    }
    if (notLogged > 0) {
      log.warn("refused: {} ({} more refusals not logged)", message, notLogged);
      notLogged = 0;
    } else {
      log.warn("refused: {}", message);
    }
  }
}
