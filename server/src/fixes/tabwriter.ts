// text/tabwriter as gofmt configures it (padding 1, pad with spaces, empty
// columns discarded). Fixes that rewrite lines of an aligned run lay the run out
// again with it, so that `gofmt -l` does not list the file afterwards.

/** Width of a cell as text/tabwriter counts it: in runes (a surrogate pair is one). */
export function runeWidth(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/**
 * Lays out lines of cells, all but the last cell of a line ended by a tab
 * stop. A column is as wide as its widest cell plus one over each run of
 * consecutive lines that have it, nested in the run of the column before; a
 * column whose cells are all empty takes no space. Returns the padded lines
 * without trailing blanks (and without indentation, which is not a cell).
 */
export function tabFormat(lines: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  const out: string[] = lines.map(() => "");
  const writeLines = (l0: number, l1: number): void => {
    for (let i = l0; i < l1; i++) {
      const cells = lines[i]!;
      let s = "";
      cells.forEach((c, j) => {
        s += c;
        if (j < cells.length - 1 && j < widths.length) s += " ".repeat(Math.max(0, widths[j]! - runeWidth(c)));
      });
      out[i] = s.replace(/\s+$/, "");
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = 0;
      let discardable = true;
      for (; t < line1; t++) {
        const line = lines[t]!;
        if (column >= line.length - 1) break;
        const w = runeWidth(line[column]!);
        width = Math.max(width, w + 1);
        if (w > 0) discardable = false;
      }
      widths.push(discardable ? 0 : width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out;
}
