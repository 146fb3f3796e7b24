// Applies text edits to file contents: the CLI's `mapctx fix`, the golden tests
// and fix-all all go through here, so overlapping edits are refused the same way.
import type { Position, TextEdit } from "../analysis/types";

/** Offset of a 0-based line / UTF-16 column in `text`, clamped to the text. */
export function offsetAt(text: string, pos: Position): number {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const eol = text.indexOf("\n", offset);
  const lineEnd = eol < 0 ? text.length : eol;
  return Math.min(offset + pos.character, lineEnd);
}

/** Identical edits (same range and text) offered by several findings count once. */
export function dedupeEdits(edits: TextEdit[]): TextEdit[] {
  const seen = new Set<string>();
  return edits.filter((e) => {
    const key = `${e.file}\0${e.range.start.line}:${e.range.start.character}-${e.range.end.line}:${e.range.end.character}\0${e.newText}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface Span {
  start: number;
  end: number;
}

/** Two spans conflict when they intersect, or when both insert at one point (order would matter). */
function conflict(a: Span, b: Span): boolean {
  if (a.start === a.end && b.start === b.end) return a.start === b.start;
  return a.start < b.end && b.start < a.end;
}

/** Whether two edits of the same file text conflict. */
export function editsOverlap(text: string, a: TextEdit, b: TextEdit): boolean {
  const span = (e: TextEdit): Span => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end) });
  return conflict(span(a), span(b));
}

/**
 * Applies edits of one file. Throws when two edits overlap, since the result
 * would depend on their order.
 */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const resolved = dedupeEdits(edits)
    .map((e) => ({ start: offsetAt(text, e.range.start), end: offsetAt(text, e.range.end), text: e.newText }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < resolved.length; i++) {
    const prev = resolved[i - 1]!;
    const cur = resolved[i]!;
    if (conflict(prev, cur)) {
      throw new Error(`overlapping edits at offset ${cur.start}`);
    }
  }
  let out = "";
  let last = 0;
  for (const e of resolved) {
    out += text.slice(last, e.start) + e.text;
    last = e.end;
  }
  return out + text.slice(last);
}
