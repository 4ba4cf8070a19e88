package io.zmesh.cli;

import io.zmesh.CurveKeys;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zmesh keygen NAME}: writes a new CURVE key pair. */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {"Write a new CURVE key pair: NAME.key (the public key) and NAME.key_secret"
        + " (both keys, mode 0600). Give the broker its own pair (--curve-key), list the public"
        + " key of every other pair in its allow-list (--allow), and give each worker or client"
        + " its pair (--key or $ZMESH_KEY) and the broker's public key (--broker-key or"
        + " $ZMESH_BROKER_KEY)."})
final class KeygenCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME",
      description = "Whose key: a worker, a client, \"broker\"; names the files and the"
          + " allow-list entry printed.")
  String name;

  @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".",
      description = "Where to write the files (default: the current directory).")
  Path dir;

  @Override
  public Integer call() {
    if (name.isBlank() || name.contains("/") || name.contains("\"")) {
      throw new Main.UsageException("NAME must be a plain name, not '" + name + "'");
    }
    CurveKeys.Pair pair = CurveKeys.generate();
    Path publicFile = dir.resolve(name + ".key");
    Path secretFile;
    try {
      secretFile = CurveKeys.write(pair, publicFile, name);
    } catch (FileAlreadyExistsException e) {
      throw new Main.UsageException(e.getFile() + " exists; keygen never overwrites a key");
    } catch (IOException e) {
      spec.commandLine().getErr().println("error: cannot write " + publicFile + ": " + e);
      return 1;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("wrote " + publicFile + " (public) and " + secretFile + " (secret, mode 0600)");
    out.println("public key: " + pair.publicKey());
    out.println("allow-list entry (add what it may do: register, call, publish, subscribe,"
        + " admin):");
    out.println("key { name: \"" + name + "\" public_key: \"" + pair.publicKey() + "\" }");
    out.flush();
    return 0;
  }
}
