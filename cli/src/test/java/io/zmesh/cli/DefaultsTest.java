package io.zmesh.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's default values pass that command's own checks: a default a converter refuses
 * would make the command unusable without the option.
 */
class DefaultsTest {
  @Test
  void everyCommandParsesWithItsDefaults() {
    List<String> refused = new ArrayList<>();
    walk(Main.commandLine(), refused);
    assertTrue(refused.isEmpty(), String.join("\n", refused));
  }

  private static void walk(CommandLine command, List<String> refused) {
    try {
      command.parseArgs();
    } catch (CommandLine.MissingParameterException e) {
      // a required option or parameter: no default to check
    } catch (CommandLine.ParameterException e) {
      refused.add(command.getCommandSpec().qualifiedName() + ": " + e.getMessage());
    }
    for (CommandLine sub : command.getSubcommands().values()) {
      walk(sub, refused);
    }
  }
}
