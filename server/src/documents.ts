// The text of each open file, kept in step with the editor's incremental
// changes. Each change is turned into an edit (offsets and positions in UTF-16
// code units, like LSP and web-tree-sitter) measured on the text before it.
// Lines end at "\n", "\r\n" or "\r", as in LSP; the line starts are updated
// around each change instead of rescanning the whole text.
import { positionOfOffset } from "./analysis/lines";
import type { Position, Range } from "./analysis/types";

/** One change as the editor sends it: a range replaced, or the whole text when there is no range. */
export interface ContentChange {
  range?: Range;
  text: string;
}

/** A change measured on the text before it, for the tree and for shifting cached findings. */
export interface TextChange {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  start: Position;
  oldEnd: Position;
  newEnd: Position;
  /** The whole lines the change replaced, as they were before it ("" when it replaced the whole text). */
  replacedLines: string;
}

export interface ApplyResult {
  /** The changes in order, each measured on the text before it. */
  changes: TextChange[];
  /** A change replaced the whole text: cached trees and findings are worth nothing. */
  replacedAll: boolean;
  /** Things the editor got wrong (out-of-range positions, versions going backwards), for the log. */
  problems: string[];
}

export class OpenDocument {
  private content: string;
  /** Offset of the first character of each line. */
  private starts: number[];
  private ver: number;

  constructor(
    readonly uri: string,
    /** The file path (or the uri for documents that are not files). */
    readonly file: string,
    readonly languageId: string,
    version: number,
    text: string,
  ) {
    this.content = text;
    this.starts = lineStarts(text, 0, text.length, [0]);
    this.ver = version;
  }

  get version(): number {
    return this.ver;
  }

  get text(): string {
    return this.content;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The position of an offset (clamped to the text). */
  positionAt(offset: number): Position {
    return positionOfOffset(this.starts, Math.max(0, Math.min(offset, this.content.length)));
  }

  /** The offset of a position; a character past the end of its line means the line's end, as LSP says. */
  offsetAt(p: Position): number {
    if (p.line >= this.starts.length) return this.content.length;
    if (p.line < 0) return 0;
    const start = this.starts[p.line]!;
    let end = p.line + 1 < this.starts.length ? this.starts[p.line + 1]! : this.content.length;
    while (end > start && (this.content[end - 1] === "\n" || this.content[end - 1] === "\r")) end--;
    return start + Math.max(0, Math.min(p.character, end - start));
  }

  /** Applies the changes of one didChange notification in order. */
  apply(changes: readonly ContentChange[], version: number): ApplyResult {
    const out: ApplyResult = { changes: [], replacedAll: false, problems: [] };
    if (version <= this.ver)
      out.problems.push(`version ${version} does not follow ${this.ver}; applying the changes anyway`);
    this.ver = version;
    for (const change of changes) {
      if (!change.range) {
        const oldEnd = this.positionAt(this.content.length);
        const oldLength = this.content.length;
        this.content = change.text;
        this.starts = lineStarts(change.text, 0, change.text.length, [0]);
        out.changes.push({
          startIndex: 0,
          oldEndIndex: oldLength,
          newEndIndex: change.text.length,
          start: { line: 0, character: 0 },
          oldEnd,
          newEnd: this.positionAt(change.text.length),
          replacedLines: "",
        });
        out.replacedAll = true;
        continue;
      }
      const { start, end } = change.range;
      if (!validPosition(start, this.starts.length) || !validPosition(end, this.starts.length)) {
        out.problems.push(
          `change range ${show(change.range)} is outside the document (${this.starts.length} lines); clamped`,
        );
        // A clamped change may not be what the editor did: parse the result from scratch.
        out.replacedAll = true;
      }
      let startIndex = this.offsetAt(start);
      let oldEndIndex = this.offsetAt(end);
      if (oldEndIndex < startIndex) {
        out.problems.push(`change range ${show(change.range)} ends before it starts; swapped`);
        [startIndex, oldEndIndex] = [oldEndIndex, startIndex];
      }
      const startPos = this.positionAt(startIndex);
      const oldEnd = this.positionAt(oldEndIndex);
      const replacedLines = this.content.slice(this.starts[startPos.line], this.lineEnd(oldEnd.line));
      this.replace(startIndex, oldEndIndex, change.text);
      const newEndIndex = startIndex + change.text.length;
      out.changes.push({
        startIndex,
        oldEndIndex,
        newEndIndex,
        start: startPos,
        oldEnd,
        newEnd: this.positionAt(newEndIndex),
        replacedLines,
      });
    }
    return out;
  }

  /** The offset of the end of a line, before its line break. */
  private lineEnd(line: number): number {
    const next = line + 1 < this.starts.length ? this.starts[line + 1]! : this.content.length;
    const nl = this.content.lastIndexOf("\n", next - 1);
    return nl >= this.starts[line]! ? nl : next;
  }

  /** Replaces [from, to) and updates the line starts around the change. */
  private replace(from: number, to: number, text: string): void {
    const delta = text.length - (to - from);
    // Rescan from the line before the change (a "\r" there may now pair with a
    // "\n" at its start) to one past its end (the same at the other side).
    const firstLine = Math.max(0, this.positionAt(from).line - 1);
    this.content = this.content.slice(0, from) + text + this.content.slice(to);
    const scanFrom = this.starts[firstLine]!;
    const scanTo = Math.min(from + text.length + 1, this.content.length);
    const middle = lineStarts(this.content, scanFrom, scanTo, []).filter((s) => s <= from + text.length + 1);
    // Old starts after the head up to one past the change are replaced by the rescanned ones.
    let tail = firstLine + 1;
    while (tail < this.starts.length && this.starts[tail]! <= to + 1) tail++;
    for (let i = tail; i < this.starts.length; i++) this.starts[i]! += delta;
    this.starts.splice(firstLine + 1, tail - firstLine - 1, ...middle);
  }
}

/** Appends to `out` the line starts created by line breaks in text[from, to). */
function lineStarts(text: string, from: number, to: number, out: number[]): number[] {
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) out.push(i + 1);
    else if (ch === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      out.push(i + 1);
    }
  }
  return out;
}

/** LSP lets a character past the end of its line mean the line's end; a line past the end is an error. */
function validPosition(p: Position, lineCount: number): boolean {
  return (
    Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.character >= 0 && p.line < lineCount
  );
}

function show(r: Range): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

/** Open documents by uri. */
export class Documents {
  private readonly byUri = new Map<string, OpenDocument>();

  open(uri: string, file: string, languageId: string, version: number, text: string): OpenDocument {
    const doc = new OpenDocument(uri, file, languageId, version, text);
    this.byUri.set(uri, doc);
    return doc;
  }

  get(uri: string): OpenDocument | undefined {
    return this.byUri.get(uri);
  }

  close(uri: string): OpenDocument | undefined {
    const doc = this.byUri.get(uri);
    this.byUri.delete(uri);
    return doc;
  }

  all(): IterableIterator<OpenDocument> {
    return this.byUri.values();
  }
}
