package io.zmesh.cli;

import java.util.List;

/** Plain-text tables for the command line's output. */
final class Columns {
  private Columns() {}

  /**
   * Appends {@code rows}, the first a header, in columns two spaces apart: left-aligned, or with
   * every column but the first right-aligned (for figures) when {@code figures}.
   */
  static void append(List<String[]> rows, boolean figures, StringBuilder out) {
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        String pad = " ".repeat(width[i] - row[i].length());
        if (figures && i > 0) {
          line.append(pad).append(row[i]);
        } else {
          line.append(row[i]).append(pad);
        }
        line.append("  ");
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
  }
}
