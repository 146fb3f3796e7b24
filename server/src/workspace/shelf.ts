// Results of top-level declarations that left the tree, kept for when their
// text comes back. A quote or a `/*` typed in a large file turns everything
// after it into one string or comment, and deleting it brings hundreds of
// declarations back unchanged: their findings are taken from the shelf and
// moved to where the declaration now starts instead of being computed again.
// The shelf records every change to the text, so that what a shelved finding
// names outside its declaration can follow the edits.
// Like every per-declaration result, they are later checked by the exact
// whole-file run once typing pauses.
import type { FileSummary } from "../analysis/facts";
import { comparePositions, type Finding, type Position, type Range } from "../analysis/types";
import type { TextChange } from "../documents";
import { shiftAll, shiftRangesInPlace } from "./shift";

/** What the shelf needs of a cached declaration. */
export interface Shelvable {
  type: string;
  start: Position;
  end: Position;
  /** Raw findings of the declaration, at `start`'s coordinates. */
  findings: Finding[];
  /** The declaration's share of the file summary. */
  part: FileSummary;
  /** textHash of the declaration's text when it was analysed, and its length. */
  hash: number;
  length: number;
}

/**
 * A hash of `text[start, end)`: two 32-bit multiplicative lanes folded into
 * 53 bits. Together with the node type and length, equal hashes stand for
 * equal text (a false match would show stale findings until the exact run).
 */
export function textHash(text: string, start: number, end: number): number {
  let a = 0x811c9dc5;
  let b = 0x27d4eb2f ^ (end - start);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x9e3779b1);
    b ^= b >>> 13;
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

function keyOf(type: string, length: number, hash: number): string {
  return `${type}:${length}:${hash}`;
}

/** Where a finding's positions go: `map` applied to its range, related locations and fix edits in its file. */
function mapFinding(f: Finding, map: (p: Position) => Position): Finding {
  const range = (r: Range): Range => ({ start: map(r.start), end: map(r.end) });
  return {
    ...f,
    range: range(f.range),
    related: f.related.map((r) => (r.file === f.file ? { ...r, range: range(r.range) } : r)),
    fixes: f.fixes.map((fix) => ({
      ...fix,
      edits: fix.edits.map((e) => (e.file === f.file ? { ...e, range: range(e.range) } : e)),
    })),
  };
}

interface Entry<D> {
  decl: D;
  /** Index in the change log of the first change the declaration's positions have not followed. */
  at: number;
}

/** Changes kept while nothing is shelved: those an update has not applied to its declarations yet. */
const IDLE_LOG = 256;
/** Beyond this many changes, what is shelved is dropped rather than followed. */
const MAX_LOG = 4096;

export class Shelf<D extends Shelvable> {
  /** By type, length and hash; insertion order is age (the oldest go first). */
  private readonly entries = new Map<string, Entry<D>>();
  /** Every change to the text since the oldest entry was shelved; `base` is the index of log[0]. */
  private log: TextChange[] = [];
  private base = 0;

  constructor(private readonly capacity = 4096) {}

  get size(): number {
    return this.entries.size;
  }

  /** Records a change to the text, in order (call it for every change). */
  record(c: TextChange): void {
    // Positions are all the log is for: the replaced text (a whole file, for a large paste) is not kept.
    this.log.push(c.replacedLines === "" ? c : { ...c, replacedLines: "" });
    if (this.entries.size === 0 && this.log.length > 2 * IDLE_LOG) this.trim(this.log.length - IDLE_LOG);
    else if (this.log.length > MAX_LOG) this.clear();
  }

  /**
   * Keeps a declaration that left the tree. Its positions are those of the
   * text before the last `pending` recorded changes.
   */
  put(d: D, pending: number): void {
    const at = this.base + this.log.length - pending;
    if (at < this.base) return;
    const key = keyOf(d.type, d.length, d.hash);
    this.entries.delete(key);
    this.entries.set(key, { decl: d, at });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The shelved declaration whose text is `text[start, end)`, if any; it stays on the shelf. */
  find(type: string, text: string, start: number, end: number): D | undefined {
    if (this.entries.size === 0) return undefined;
    return this.entries.get(keyOf(type, end - start, textHash(text, start, end)))?.decl;
  }

  /**
   * Takes a found declaration off the shelf, its results moved to the current
   * text: what lies inside it moves as one block to `to`, where it now starts
   * (its text is the same); what its findings name elsewhere in the file (a map
   * conversion edits every use of the map) follows the changes made since it
   * was shelved, as cached results of untouched declarations do.
   */
  take(d: D, to: Position): D {
    const key = keyOf(d.type, d.length, d.hash);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    const changes = entry ? this.log.slice(entry.at - this.base) : [];
    const from = d.start;
    const end = d.end;
    const moved = comparePositions(from, to) !== 0;
    if (moved || changes.length > 0) {
      // Everything from the old start on moves as one block: one change replacing the text before it.
      const block: TextChange[] = [
        {
          startIndex: 0,
          oldEndIndex: 0,
          newEndIndex: 0,
          start: { line: 0, character: 0 },
          oldEnd: from,
          newEnd: to,
          replacedLines: "",
        },
      ];
      const map = (p: Position): Position =>
        comparePositions(p, from) >= 0 && comparePositions(p, end) <= 0 ? shiftAll(p, block) : shiftAll(p, changes);
      d.findings = d.findings.map((f) => mapFinding(f, map));
      shiftRangesInPlace(d.part, block);
      d.end = shiftAll(end, block);
      d.start = to;
    }
    if (this.entries.size === 0) this.trim(this.log.length - IDLE_LOG);
    return d;
  }

  clear(): void {
    this.entries.clear();
    this.trim(this.log.length);
  }

  /** Drops the first `n` changes of the log. */
  private trim(n: number): void {
    if (n <= 0) return;
    this.log = this.log.slice(n);
    this.base += n;
  }
}
