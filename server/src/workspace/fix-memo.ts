// Map fix sets carried from one analysis of an open file to the next. The
// sync.Map, wrapper and guard fixes of a map rewrite every use of it: for a
// package-level map used in a hundred functions that takes 15-20 ms, too much
// for a keystroke. While the user types, a set is reused, moved with the
// text, as long as no edit since touched a line that mentions the map or a
// place its fixes rewrite (for a local map: the declaration that holds it),
// and the file's package facts are what they were.
//
// Results built from reused sets are not exact (a `return` typed into a range
// loop over the map changes what sync.Map can take), so the owner analyses
// the file again with the memo only recording once typing pauses, and before
// it offers code actions.
import { comparePositions, type Range } from "../analysis/types";
import type { TextChange } from "../documents";
import type { MapFixMemo, MapFixSet, MemoTarget } from "../fixes/map-rewrite";
import { editedLines, shiftFix, shiftPosition, shiftRange } from "./shift";

interface Entry {
  target: MemoTarget;
  set: MapFixSet;
  /** The file's facts when the set was computed. */
  facts: string;
}

function keyOf(t: MemoTarget): string {
  return t.local ? `l:${t.name}@${t.local.at.line}:${t.local.at.character}` : `p:${t.name}`;
}

/** Whether two ranges overlap or touch. */
function touches(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}

function sameRange(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.start) === 0 && comparePositions(a.end, b.end) === 0;
}

export class FixMemo implements MapFixMemo {
  private entries = new Map<string, Entry>();
  /** Whether lookups answer; off while an exact analysis only records. */
  reading = false;
  /** Lookups answered since the owner last set it to 0. */
  hits = 0;
  /** The file's facts (its summary without positions) for the coming run; the owner sets it. */
  facts = "";

  constructor(private readonly file: string) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(t: MemoTarget): MapFixSet | undefined {
    if (!this.reading) return undefined;
    const e = this.entries.get(keyOf(t));
    if (!e || e.facts !== this.facts) return undefined;
    if (t.local && !sameRange(t.local.scope, e.target.local!.scope)) return undefined;
    this.hits++;
    return e.set;
  }

  record(t: MemoTarget, set: MapFixSet): void {
    this.entries.set(keyOf(t), { target: t, set, facts: this.facts });
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops the sets the changes may have altered and moves the others with the text; `text` is after the changes. */
  applyChanges(text: string, changes: readonly TextChange[]): void {
    if (this.entries.size === 0 || changes.length === 0) return;
    const lines = editedLines(text, changes);
    const next = new Map<string, Entry>();
    for (const e of this.entries.values()) {
      const moved = this.follow(e, lines, changes);
      if (moved) next.set(keyOf(moved.target), moved);
    }
    this.entries = next;
  }

  /** The entry after the changes, or null when one of them may have changed its set. */
  private follow(e: Entry, lines: string, changes: readonly TextChange[]): Entry | null {
    let { target, set } = e;
    // A new, changed or removed use of a package-level map is on a line that names it.
    if (!target.local && lines.includes(target.name)) return null;
    for (const c of changes) {
      const hit = { start: c.start, end: c.oldEnd };
      if (target.local ? touches(target.local.scope, hit) : this.rewrites(set, hit)) return null;
      set = this.shiftSet(set, c);
      if (target.local) {
        const { at, scope } = target.local;
        target = { name: target.name, local: { at: shiftPosition(at, c), scope: shiftRange(scope, [c]) } };
      }
    }
    return { target, set, facts: e.facts };
  }

  /** Whether a fix of the set edits this file at or next to `r`. */
  private rewrites(set: MapFixSet, r: Range): boolean {
    for (const fix of [set.syncMap, set.wrapper, set.guard]) {
      if (typeof fix === "string") continue;
      for (const edit of fix.edits) if (edit.file === this.file && touches(edit.range, r)) return true;
    }
    return false;
  }

  private shiftSet(set: MapFixSet, c: TextChange): MapFixSet {
    const move = (f: MapFixSet[keyof MapFixSet]): MapFixSet[keyof MapFixSet] =>
      typeof f === "string" ? f : shiftFix(f, this.file, [c]);
    return { syncMap: move(set.syncMap), wrapper: move(set.wrapper), guard: move(set.guard) };
  }
}
