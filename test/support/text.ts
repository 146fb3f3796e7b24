// Positions in text for the tests and the editor benchmark, counted without
// copying the text (the benchmark's own garbage would pause it mid-measurement).

/** Line and column (UTF-16 units, lines split at "\n") of an offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart };
}
