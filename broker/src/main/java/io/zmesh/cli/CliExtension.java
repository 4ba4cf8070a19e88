package io.zmesh.cli;

import java.util.List;

/**
 * Adds subcommands to {@code zmesh}, found with {@link java.util.ServiceLoader}: modules that
 * sit above the broker (the samples' {@code demo}) plug in without the CLI depending on them.
 */
public interface CliExtension {
  /** picocli command objects (annotated with {@code @Command}). */
  List<Object> commands();
}
