package io.zmesh.supervisor;

import java.util.List;

/** An ecosystem file that cannot be run: every problem found, each with its line and field. */
public final class EcosystemException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  EcosystemException(String file, List<String> problems) {
    super(file + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
        + "\n  " + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Each problem as {@code line N: field.path: what is wrong}, in file order. */
  public List<String> problems() {
    return problems;
  }
}
