// Small builders for the text edits rules attach to findings, so fixes state
// what they replace rather than compute offsets by hand.
import type { FileSyntax } from "../analysis/facts";
import type { Position, Range, TextEdit } from "../analysis/types";
import type { Node } from "../parser";

function pos(p: { row: number; column: number }): Position {
  return { line: p.row, character: p.column };
}

/** Whether a file may get fixes: never when it has syntax errors, since an edit could land in half-typed code. */
export function fixesAllowed(file: FileSyntax): boolean {
  return !file.summary.hasErrors;
}

/** Replaces the text from the start of `from` to the end of `to` (default: all of `from`). */
export function replaceNodes(file: string, from: Node, to: Node, newText: string): TextEdit {
  return { file, range: { start: pos(from.startPosition), end: pos(to.endPosition) }, newText };
}

export function replaceNode(file: string, node: Node, newText: string): TextEdit {
  return replaceNodes(file, node, node, newText);
}

/** Replaces the text between the end of `a` and the start of `b`. */
export function replaceBetween(file: string, a: Node, b: Node, newText: string): TextEdit {
  return { file, range: { start: pos(a.endPosition), end: pos(b.startPosition) }, newText };
}

/** Replaces from the start of `a` up to the start of `b`. */
export function replaceUpTo(file: string, a: Node, b: Node, newText: string): TextEdit {
  return { file, range: { start: pos(a.startPosition), end: pos(b.startPosition) }, newText };
}

/** Replaces from the end of `a` up to the end of `b`. */
export function replaceAfter(file: string, a: Node, b: Node, newText: string): TextEdit {
  return { file, range: { start: pos(a.endPosition), end: pos(b.endPosition) }, newText };
}

export function insertBefore(file: string, node: Node, newText: string): TextEdit {
  return { file, range: { start: pos(node.startPosition), end: pos(node.startPosition) }, newText };
}

export function insertAfter(file: string, node: Node, newText: string): TextEdit {
  return { file, range: { start: pos(node.endPosition), end: pos(node.endPosition) }, newText };
}

/** An insertion at the start of `line` (for whole new lines). */
export function insertLine(file: string, line: number, newText: string): TextEdit {
  const at: Range = { start: { line, character: 0 }, end: { line, character: 0 } };
  return { file, range: at, newText };
}

/** The leading whitespace of the line `node` starts on. */
export function indentOf(syntax: Pick<FileSyntax, "text">, node: Node): string {
  const lineStart = syntax.text.lastIndexOf("\n", node.startIndex - 1) + 1;
  return /^[ \t]*/.exec(syntax.text.slice(lineStart, node.startIndex))![0];
}

/** Whether `node` is the first thing on its line (so a new line can go right before it). */
export function startsLine(syntax: Pick<FileSyntax, "text">, node: Node): boolean {
  const lineStart = syntax.text.lastIndexOf("\n", node.startIndex - 1) + 1;
  return syntax.text.slice(lineStart, node.startIndex).trim() === "";
}

/** Whether the source between two offsets holds a comment (which a replacement would drop). */
export function hasComment(syntax: Pick<FileSyntax, "text">, start: number, end: number): boolean {
  const s = syntax.text.slice(start, end);
  return s.includes("//") || s.includes("/*");
}

/**
 * Whether a type text (perhaps written in another file of the package) can be
 * used in `file`: every package qualifier in it is imported there. Long or
 * multi-line texts (facts clip them) are refused.
 */
export function typeUsableIn(typeText: string, file: FileSyntax): boolean {
  if (typeText.length >= 300 || typeText.includes("\n")) return false;
  for (const m of typeText.matchAll(/\b([A-Za-z_]\w*)\.[A-Za-z_]/g)) if (!(m[1]! in file.summary.imports)) return false;
  return true;
}
