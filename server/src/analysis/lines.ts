// Offsets and line/character positions over a text's line starts, for code
// that works on whole texts (fixes, documents). Positions count UTF-16 units.
import type { Position } from "./types";

/** Where each line of `text` starts: 0, then the offset after every "\n". */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The line holding `offset`: the last line start at or before it. */
export function lineOfOffset(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The position of `offset`, which must lie in the text. */
export function positionOfOffset(starts: readonly number[], offset: number): Position {
  const line = lineOfOffset(starts, offset);
  return { line, character: offset - starts[line]! };
}
