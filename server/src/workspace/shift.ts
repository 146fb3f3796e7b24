// Moving positions with the text: results computed for an earlier text of an
// open document (findings, their fixes, cached fix sets) follow its edits
// instead of being computed again. Each change is measured on the text
// before it, so a series is applied in order.
import { comparePositions, type Finding, type Fix, type Position, type Range } from "../analysis/types";
import type { TextChange } from "../documents";

/** Where `p` is after the change; positions inside the replaced text move to its start. */
export function shiftPosition(p: Position, c: TextChange): Position {
  if (comparePositions(p, c.start) < 0) return p;
  if (comparePositions(p, c.oldEnd) < 0) return c.start;
  if (p.line === c.oldEnd.line) {
    const character = c.newEnd.character + p.character - c.oldEnd.character;
    return c.newEnd.line === p.line && character === p.character ? p : { line: c.newEnd.line, character };
  }
  if (c.newEnd.line === c.oldEnd.line) return p;
  return { line: p.line + c.newEnd.line - c.oldEnd.line, character: p.character };
}

/** Where `p` is after a series of changes. */
export function shiftAll(p: Position, changes: readonly TextChange[]): Position {
  let q = p;
  for (const c of changes) q = shiftPosition(q, c);
  return q;
}

/** The range after the changes; the same object when it did not move. */
export function shiftRange(r: Range, changes: readonly TextChange[]): Range {
  const start = shiftAll(r.start, changes);
  const end = shiftAll(r.end, changes);
  return start === r.start && end === r.end ? r : { start, end };
}

/**
 * `list` with `move` applied to each element; the same array when every
 * element came back unchanged (most cached findings do: a keystroke moves
 * only what follows it), so nothing is allocated for them.
 */
function mapLazily<T>(list: T[], move: (x: T) => T): T[] {
  let out: T[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    const y = move(x);
    if (y !== x) (out ??= list.slice())[i] = y;
  }
  return out ?? list;
}

/** The fix after changes to `file`; the same object when none of its edits there moved. */
export function shiftFix(fix: Fix, file: string, changes: readonly TextChange[]): Fix {
  const edits = mapLazily(fix.edits, (e) => {
    if (e.file !== file) return e;
    const shifted = shiftRange(e.range, changes);
    return shifted === e.range ? e : { ...e, range: shifted };
  });
  return edits === fix.edits ? fix : { ...fix, edits };
}

/** The finding after the changes; the same object when none of its positions moved (so its diagnostic is reused). */
export function shiftFinding(f: Finding, changes: readonly TextChange[]): Finding {
  const file = f.file;
  const range = shiftRange(f.range, changes);
  const related = mapLazily(f.related, (r) => {
    if (r.file !== file) return r;
    const shifted = shiftRange(r.range, changes);
    return shifted === r.range ? r : { ...r, range: shifted };
  });
  const fixes = mapLazily(f.fixes, (fix) => shiftFix(fix, file, changes));
  return range === f.range && related === f.related && fixes === f.fixes ? f : { ...f, range, related, fixes };
}

/** A finding none of whose positions lie at or after the earliest change. */
function unmoved(f: Finding, first: Position): boolean {
  if (comparePositions(f.range.end, first) >= 0) return false;
  for (const r of f.related) if (r.file === f.file && comparePositions(r.range.end, first) >= 0) return false;
  for (const fix of f.fixes)
    for (const e of fix.edits) if (e.file === f.file && comparePositions(e.range.end, first) >= 0) return false;
  return true;
}

/** The lines a finding names a position on in its own file, computed once per finding. */
const linesCache = new WeakMap<Finding, Set<number>>();

function linesOf(f: Finding): Set<number> {
  let lines = linesCache.get(f);
  if (!lines) {
    lines = new Set<number>();
    const add = (r: Range): void => {
      lines!.add(r.start.line);
      lines!.add(r.end.line);
    };
    add(f.range);
    for (const r of f.related) if (r.file === f.file) add(r.range);
    for (const fix of f.fixes) for (const e of fix.edits) if (e.file === f.file) add(e.range);
    linesCache.set(f, lines);
  }
  return lines;
}

/**
 * Works out, ahead of the next keystroke, which lines a finding has positions
 * on: a map conversion's fix names hundreds of places, and the first keystroke
 * after a whole-file analysis would otherwise look at them all (a millisecond
 * for a few dozen such findings).
 */
export function rememberLines(f: Finding): void {
  linesOf(f);
}

/**
 * The lines the changes are on when each stays within one line and keeps the
 * line count (typing and deleting characters): only positions on those lines
 * can move. Null for changes that add or remove lines.
 */
export function sameLineChanges(changes: readonly TextChange[]): Set<number> | null {
  const lines = new Set<number>();
  for (const c of changes) {
    if (c.start.line !== c.oldEnd.line || c.newEnd.line !== c.start.line) return null;
    lines.add(c.start.line);
  }
  return lines;
}

/**
 * The findings after the changes; the same array when none moved. `first`: the
 * earliest change, when known. A keystroke moves only what is on its line, so
 * findings with no position there (a map conversion's fix names hundreds of
 * places) are passed over without looking at each place again.
 * `lines`: sameLineChanges(changes), when the caller has it.
 */
export function shiftFindings(
  findings: Finding[],
  changes: readonly TextChange[],
  first?: Position,
  lines: ReadonlySet<number> | null = sameLineChanges(changes),
): Finding[] {
  const onLines = (f: Finding): boolean => {
    const own = linesOf(f);
    for (const l of lines!) if (own.has(l)) return true;
    return false;
  };
  return mapLazily(findings, (f) => {
    if (lines && !onLines(f)) return f;
    return first && unmoved(f, first) ? f : shiftFinding(f, changes);
  });
}

/** Where an offset of the text before a change is after it; inside the replaced text it goes to the start (or end). */
export function mapIndex(x: number, c: TextChange, toEnd: boolean): number {
  if (x >= c.oldEndIndex) return x + c.newEndIndex - c.oldEndIndex;
  if (x <= c.startIndex) return x;
  return toEnd ? c.newEndIndex : c.startIndex;
}

/** The spans of the final text that each change wrote, as [start, end) offsets after all of the changes. */
export function editedSpans(changes: readonly TextChange[]): [number, number][] {
  return changes.map((c, i) => {
    let a = c.startIndex;
    let b = c.newEndIndex;
    for (const later of changes.slice(i + 1)) {
      a = mapIndex(a, later, false);
      b = mapIndex(b, later, true);
    }
    return [a, b];
  });
}

/** The whole lines of `text` (after the changes) that hold the spans, joined by newlines. */
export function linesAround(text: string, spans: readonly [number, number][]): string {
  const out: string[] = [];
  for (const [a, b] of spans) {
    const from = text.lastIndexOf("\n", a - 1) + 1;
    const eol = text.indexOf("\n", b);
    out.push(text.slice(from, eol < 0 ? text.length : eol));
  }
  return out.join("\n");
}

/**
 * The lines the changes touched, as they were before (each change's
 * `replacedLines`) and as they are in `text` after all of them: what a check
 * for "did the edit mention x" reads. `spans`: editedSpans(changes), when the
 * caller has them.
 */
export function editedLines(
  text: string,
  changes: readonly TextChange[],
  spans: readonly [number, number][] = editedSpans(changes),
): string {
  return [...changes.map((c) => c.replacedLines), linesAround(text, spans)].join("\n");
}

/**
 * Moves every Range-shaped value in plain data (summary facts carry ranges in
 * several places) by replacing it, in place: the fact objects are shared with
 * the merged summary and package facts, which should see the new positions,
 * while Range objects may be shared with findings and are never mutated.
 */
export function shiftRangesInPlace(value: unknown, changes: readonly TextChange[]): void {
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === null || typeof v !== "object") continue;
    if (isRange(v as Record<string, unknown>)) {
      const r = v as Range;
      obj[k] = { start: shiftAll(r.start, changes), end: shiftAll(r.end, changes) };
    } else shiftRangesInPlace(v, changes);
  }
}

function isRange(o: Record<string, unknown>): boolean {
  const s = o.start as Record<string, unknown> | undefined;
  const e = o.end as Record<string, unknown> | undefined;
  return typeof s?.line === "number" && typeof s.character === "number" && typeof e?.line === "number";
}
