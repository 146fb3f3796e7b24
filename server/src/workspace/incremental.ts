// Findings of an open file, kept per top-level declaration so that a keystroke
// re-analyses only the declarations it touched. Re-walking a 10k-line file
// costs tens of milliseconds; one function costs well under one. Results of
// untouched declarations are reused, their positions shifted by the edit.
//
// Declarations that leave the tree (a quote typed before them turns them into
// a string) go on a shelf (shelf.ts): when the same text comes back, their
// results are taken from there instead of analysing hundreds of them again.
//
// Rules may look beyond the declaration they report in (a write elsewhere in
// the file may prove a map guarded), so the per-declaration answer can lag
// behind; the owner calls rebuild() once typing pauses, which analyses the
// file whole exactly as the CLI does.
import { finishFindings, runRules, type AnalysisOptions, type RuleFailure } from "../analysis/engine";
import { mayHaveDirective } from "../analysis/suppress";
import {
  analyzeSyntax,
  detachStrings,
  mergeSummaries,
  type Captures,
  type FileSummary,
  type FileSyntax,
} from "../analysis/facts";
import type { PackageFacts } from "../analysis/package";
import { comparePositions, type Finding, type Position } from "../analysis/types";
import type { TextChange } from "../documents";
import type { Node, Tree } from "../parser";
import type { ChangedRange } from "../trees";
import { FixMemo } from "./fix-memo";
import {
  editedLines,
  editedSpans,
  rememberLines,
  sameLineChanges,
  shiftAll,
  shiftFindings,
  shiftRangesInPlace,
} from "./shift";
import { Shelf, textHash } from "./shelf";

interface Decl {
  type: string;
  startIndex: number;
  endIndex: number;
  start: Position;
  end: Position;
  /** An edit touched it: it will be analysed again. */
  dirty: boolean;
  /** The declaration's share of the file summary. */
  part: FileSummary;
  /** The part without positions: equal keys mean equal package facts. */
  key: string;
  /** textHash of the declaration's text when it was analysed, and its length (see shelf.ts). */
  hash: number;
  length: number;
  /** Raw findings (before suppression directives) of the candidates in this declaration. */
  findings: Finding[];
  failures: RuleFailure[];
  /**
   * Identifiers that findings with fixes reaching outside the declaration are
   * about (a map conversion rewrites every use of the map): an edit elsewhere
   * that mentions one analyses this declaration again.
   */
  subjects?: string[];
}

export interface AnalysisContext {
  opts: AnalysisOptions;
  /** The facts of the file's package with `summary` standing for this file. */
  packageFor(summary: FileSummary): PackageFacts;
}

/** A whole-file analysis that runs in slices (see FileAnalysis.startRebuild). */
export interface RebuildJob {
  step(deadline: number): AnalysisUpdate | null;
}

export interface AnalysisUpdate {
  /** The file's findings, suppression applied, sorted. */
  findings: Finding[];
  summary: FileSummary;
  /** The file's share of its package facts changed: sibling files need another look. */
  factsChanged: boolean;
  /** Rule failures of this run. */
  failures: RuleFailure[];
  /** Declarations analysed in this run (the rest were reused). */
  analyzed: number;
  /** Map fix sets of an earlier run stood in for computing them: the result is not exact. */
  reused: boolean;
}

/** The stable JSON of a summary without positions, which edits elsewhere in the file move. */
export function factsKey(summary: FileSummary): string {
  return JSON.stringify(summary, (k, v: unknown) =>
    k === "range" || k === "hasErrors" || k === "file" ? undefined : v,
  );
}

function findingKey(f: Finding): string {
  const r = f.range;
  return `${f.rule}|${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}|${f.message}`;
}

function mergeCaptures(list: Captures[]): Captures {
  const out = {} as Record<string, unknown[]>;
  for (const caps of list) {
    for (const [k, v] of Object.entries(caps)) {
      if (!Array.isArray(v)) continue;
      (out[k] ??= []).push(...(v as unknown[]));
    }
  }
  return out as unknown as Captures;
}

interface TopNode {
  type: string;
  startIndex: number;
  endIndex: number;
  /** Read from the tree only when asked for. */
  start?: Position;
  end?: Position;
  /** Index among the root's named children (-1 when unknown). */
  named: number;
  node?: Node;
}

/** The named top-level nodes of a tree, read with a cursor so that untouched ones cost no Node objects. */
function topLevel(tree: Tree, positions: boolean): TopNode[] {
  const out: TopNode[] = [];
  const cursor = tree.walk();
  try {
    if (!cursor.gotoFirstChild()) return out;
    do {
      if (!cursor.nodeIsNamed) continue;
      const t: TopNode = {
        type: cursor.nodeType,
        startIndex: cursor.startIndex,
        endIndex: cursor.endIndex,
        named: out.length,
      };
      if (positions) {
        const sp = cursor.startPosition;
        const ep = cursor.endPosition;
        t.start = { line: sp.row, character: sp.column };
        t.end = { line: ep.row, character: ep.column };
      }
      out.push(t);
    } while (cursor.gotoNextSibling());
  } finally {
    cursor.delete();
  }
  return out;
}

/** Sorted, merged spans (touching ones merge too). */
function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = spans.filter(([a, b]) => b >= a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

const WORD = /[A-Za-z_]\w*/g;

/**
 * The subjects of a declaration's findings whose fixes edit outside it: the
 * identifiers in a finding's range that its message names (`map cache is
 * written here` at `cache[k]` gives cache). Undefined when there are none.
 */
function subjectsOf(d: Pick<Decl, "start" | "end" | "findings">, tree: Tree): string[] | undefined {
  let out: Set<string> | undefined;
  for (const f of d.findings) {
    const reaches = f.fixes.some((x) =>
      x.edits.some(
        (e) =>
          e.file !== f.file || comparePositions(e.range.start, d.start) < 0 || comparePositions(e.range.end, d.end) > 0,
      ),
    );
    if (!reaches) continue;
    const r = f.range;
    const node = tree.rootNode.descendantForPosition(
      { row: r.start.line, column: r.start.character },
      { row: r.end.line, column: r.end.character },
    );
    if (!node) continue;
    // Only the finding's own lines: the smallest node around a `for ... range m` header is the whole loop.
    const first = r.start.line - node.startPosition.row;
    const lines = node.text.split("\n").slice(first, first + r.end.line - r.start.line + 1);
    const named = new Set(f.message.match(WORD) ?? []);
    for (const m of lines.join("\n").matchAll(WORD)) if (named.has(m[0])) (out ??= new Set()).add(m[0]);
  }
  return out && [...out];
}

function overlaps(t: TopNode, d: Decl): boolean {
  return t.startIndex < d.endIndex && d.startIndex < t.endIndex;
}

/**
 * The named top-level nodes that overlap or touch the spans, in order, each
 * once. Where a span starts is found by counting the cached declarations
 * before it that are still there (tree-sitter's "first child for index"
 * misses nodes after a gap in large trees); the final count check in
 * update() catches a wrong count.
 */
function nodesIn(tree: Tree, spans: readonly [number, number][], olds: readonly Decl[]): TopNode[] {
  const out: TopNode[] = [];
  const root = tree.rootNode;
  let last: Node | null = null;
  let oi = 0;
  let keptBefore = 0;
  for (const [a, b] of spans) {
    let n: Node | null;
    if (last && last.endIndex >= a - 1) n = last.nextNamedSibling;
    else {
      while (oi < olds.length && olds[oi]!.endIndex < a) {
        const d = olds[oi++]!;
        if (!d.dirty && !out.some((t) => overlaps(t, d))) keptBefore++;
      }
      n = root.namedChild(keptBefore + out.length);
    }
    for (; n && n.startIndex <= b; n = n.nextNamedSibling) {
      last = n;
      const sp = n.startPosition;
      const ep = n.endPosition;
      out.push({
        type: n.type,
        startIndex: n.startIndex,
        endIndex: n.endIndex,
        start: { line: sp.row, character: sp.column },
        end: { line: ep.row, character: ep.column },
        named: -1,
        node: n,
      });
    }
  }
  return out;
}

function* partsOf(decls: Iterable<Decl>): Iterable<FileSummary> {
  for (const d of decls) yield d.part;
}

/** Map types a set of summaries declares. */
function mapTypeNames(parts: Iterable<FileSummary>, into = new Set<string>()): Set<string> {
  for (const p of parts) for (const t of p.types) if (t.kind === "map") into.add(t.name);
  return into;
}

export class FileAnalysis {
  private decls: Decl[] = [];
  /** Findings of a whole-file run that lie in no declaration; kept until the next rebuild. */
  private orphans: Finding[] = [];
  /** Whether the text had a suppression directive at the last run (see finish). */
  private mayHaveDirectives = true;
  /** Why the last update() returned null, for the trace. */
  missed = "";
  private orphanFailures: RuleFailure[] = [];
  private current: FileSummary | null = null;
  /** Changes since the last analysis, in order: positions are shifted through them lazily. */
  private changes: TextChange[] = [];
  /** Map fix sets of earlier runs (see fix-memo.ts), and the changes they have not followed yet. */
  private readonly memo: FixMemo;
  private memoChanges: TextChange[] = [];
  /** The file's facts without positions: the declarations' keys, joined. */
  private facts = "";
  /** Declarations that left the tree, for when their text comes back. */
  private readonly shelf = new Shelf<Decl>();

  constructor(readonly file: string) {
    this.memo = new FixMemo(file);
  }

  /** Forgets the remembered fix sets (the package's other files or the configuration changed). */
  forgetFixes(): void {
    this.memo.clear();
    this.shelf.clear();
  }

  get summary(): FileSummary | null {
    return this.current;
  }

  /** Forgets everything: the next update analyses the file whole. */
  reset(): void {
    this.decls = [];
    this.orphans = [];
    this.orphanFailures = [];
    this.current = null;
    this.changes = [];
    this.memo.clear();
    this.memoChanges = [];
    this.facts = "";
    this.shelf.clear();
  }

  /**
   * Marks the declarations a change touches and moves the others' offsets;
   * call it for each change, before the re-parse. Positions of the cached
   * results move in update(), only for declarations that moved.
   */
  applyChange(c: TextChange): void {
    const delta = c.newEndIndex - c.oldEndIndex;
    this.changes.push(c);
    this.memoChanges.push(c);
    this.shelf.record(c);
    for (const d of this.decls) {
      if (d.endIndex < c.startIndex) continue;
      if (d.startIndex > c.oldEndIndex) {
        d.startIndex += delta;
        d.endIndex += delta;
      } else {
        d.dirty = true;
        d.startIndex = Math.min(d.startIndex, c.startIndex);
        d.endIndex = d.endIndex > c.oldEndIndex ? d.endIndex + delta : c.newEndIndex;
      }
    }
  }

  /** Analyses every declaration: the exact result, the same as the engine's for the whole file. */
  rebuild(text: string, tree: Tree, ctx: AnalysisContext): AnalysisUpdate {
    return this.startRebuild(text, tree, ctx).step(Infinity)!;
  }

  /** Moves the remembered fix sets through the changes since the last run, dropping those an edit may have changed. */
  private followEdits(text: string): void {
    this.memo.applyChanges(text, this.memoChanges);
    this.memoChanges = [];
  }

  /** Runs the rules with the fix memo; `reuse` lets it answer (else it only records). Returns whether it answered. */
  private runWithMemo(
    syntax: FileSyntax,
    pkg: PackageFacts,
    opts: AnalysisOptions,
    reuse: boolean,
  ): { run: ReturnType<typeof runRules>; reused: boolean } {
    this.memo.reading = reuse;
    this.memo.facts = this.facts;
    const before = this.memo.hits;
    const run = runRules(syntax, pkg, { ...opts, fixMemo: this.memo });
    return { run, reused: this.memo.hits !== before };
  }

  /**
   * The whole-file analysis as a job that runs in slices: step() works until
   * the deadline (a performance.now() time) and returns the result once done.
   * The tree must not change in between; the owner drops the job on an edit.
   * Slices are declarations (facts) and then one rule at a time. With `reuse`,
   * map fix sets of earlier runs that no edit touched since are reused, and
   * the result is exact only when `reused` says none was.
   */
  startRebuild(text: string, tree: Tree, ctx: AnalysisContext, reuse = false): RebuildJob {
    this.followEdits(text);
    let reused = false;
    let keys: string[] = [];
    const oldKey = this.decls.map((d) => d.key).join("\n");
    const hadSummary = this.current !== null;
    const tops = topLevel(tree, true);
    const nodes = tree.rootNode.namedChildren;
    const parts: (FileSummary | undefined)[] = new Array<FileSummary | undefined>(tops.length);
    const caps: (Captures | undefined)[] = new Array<Captures | undefined>(tops.length);
    const none = new Set<string>();
    let named: Set<string> | undefined;
    let phase: "types" | "others" | "rules" = "types";
    let i = 0;
    let rule = 0;
    let syntax: FileSyntax | undefined;
    let pkg: PackageFacts | undefined;
    const raw: Finding[] = [];
    const failures: RuleFailure[] = [];
    const analyze = (k: number, namedMapTypes: ReadonlySet<string>): void => {
      const syn = analyzeSyntax(this.file, text, tree, { decls: [nodes[k]!], namedMapTypes });
      detachStrings(syn.summary);
      parts[k] = syn.summary;
      caps[k] = syn.caps;
    };
    const step = (deadline: number): AnalysisUpdate | null => {
      // Types first: a var in any declaration may be of a map type declared in another.
      for (; phase === "types" && i < tops.length; i++) {
        if (tops[i]!.type === "type_declaration") analyze(i, none);
        if (i % 16 === 15 && performance.now() > deadline) return (i++, null);
      }
      if (phase === "types") {
        phase = "others";
        i = 0;
        named = mapTypeNames(parts.filter((p): p is FileSummary => p !== undefined));
      }
      for (; phase === "others" && i < tops.length; i++) {
        if (tops[i]!.type !== "type_declaration") analyze(i, named!);
        if (i % 16 === 15 && performance.now() > deadline) return (i++, null);
      }
      if (phase === "others") {
        phase = "rules";
        const summary = mergeSummaries(this.file, parts as FileSummary[], tree.rootNode.hasError);
        pkg = ctx.packageFor(summary);
        syntax = { file: this.file, text, tree, summary, caps: mergeCaptures(caps as Captures[]) };
        keys = parts.map((p) => factsKey(p!));
        this.facts = keys.join("\n");
        if (performance.now() > deadline) return null;
      }
      for (; rule < ctx.opts.rules.length; rule++) {
        if (rule > 0 && performance.now() > deadline) return null;
        const one = this.runWithMemo(syntax!, pkg!, { ...ctx.opts, rules: [ctx.opts.rules[rule]!] }, reuse);
        raw.push(...one.run.raw);
        failures.push(...one.run.failures);
        if (one.reused) reused = true;
      }
      const decls = tops.map(
        (t, k): Decl => ({
          type: t.type,
          startIndex: t.startIndex,
          endIndex: t.endIndex,
          start: t.start!,
          end: t.end!,
          dirty: false,
          part: parts[k]!,
          key: keys[k]!,
          hash: textHash(text, t.startIndex, t.endIndex),
          length: t.endIndex - t.startIndex,
          findings: [],
          failures: [],
        }),
      );
      // Declarations that are gone (a quote typed before them) may come back.
      const present = new Set(decls.map((d) => `${d.length}:${d.hash}`));
      for (const d of this.decls) if (!present.has(`${d.length}:${d.hash}`)) this.shelf.put(d, this.changes.length);
      this.decls = decls;
      this.orphans = [];
      this.orphanFailures = failures;
      this.changes = [];
      for (const f of raw) {
        const owner = this.ownerOf(f.range.start);
        if (owner) owner.findings.push(f);
        else this.orphans.push(f);
        rememberLines(f);
      }
      for (const d of this.decls) if (d.findings.length > 0) d.subjects = subjectsOf(d, tree);
      this.current = syntax!.summary;
      return {
        findings: this.finish(text, tree, ctx.opts),
        summary: syntax!.summary,
        factsChanged: !hadSummary || oldKey !== this.facts,
        failures,
        analyzed: tops.length,
        reused,
      };
    };
    return { step };
  }

  /**
   * Re-analyses the declarations that edits touched or whose syntax changed
   * (`changed`: ranges of the new tree), reusing the others. Only the
   * top-level nodes around those places are read from the tree. Returns
   * null, changing nothing, when more than `maxFresh` declarations would be
   * analysed (or nothing is cached yet): then analyse the file whole.
   */
  update(
    text: string,
    tree: Tree,
    changed: readonly ChangedRange[],
    ctx: AnalysisContext,
    maxFresh = Infinity,
  ): AnalysisUpdate | null {
    this.missed = "nothing analysed yet";
    if (this.current === null) return null;
    this.followEdits(text);
    const changes = this.changes;
    this.changes = [];
    const root = tree.rootNode;

    // Where the top level may differ: the edited text, the changed syntax, the touched declarations.
    const edited = editedSpans(changes);
    const regions = mergeSpans([
      ...edited,
      ...changed.map((r) => [r.startIndex, r.endIndex] as [number, number]),
      ...this.decls.filter((d) => d.dirty).map((d) => [d.startIndex, d.endIndex] as [number, number]),
    ]);
    const found = nodesIn(tree, regions, this.decls);
    const touched = mergeSpans([...edited, ...changed.map((r) => [r.startIndex, r.endIndex] as [number, number])]);

    const next: (Decl | null)[] = [];
    const fresh: { i: number; top: TopNode; node: Node }[] = [];
    const restored: { i: number; top: TopNode; decl: Decl }[] = [];
    let moved = false;
    const first = changes.reduce<Position | null>(
      (a, c) => (a === null || comparePositions(c.start, a) < 0 ? c.start : a),
      null,
    );
    // Identifiers on the edited lines: declarations whose findings are about one are analysed again.
    const editedText = editedLines(text, changes, edited);
    const editedWords = new Set<string>();
    if (this.decls.some((d) => d.subjects)) {
      for (const m of editedText.matchAll(WORD)) editedWords.add(m[0]);
    }
    const keep = (old: Decl): void => {
      // Findings whose fixes rewrite other places (a map conversion edits
      // every use of the map) depend on the code that mentions the map.
      if (old.subjects?.some((w) => editedWords.has(w))) {
        const node = root.namedChild(next.length);
        const at = shiftAll(old.start, changes);
        if (
          node &&
          node.type === old.type &&
          node.startPosition.row === at.line &&
          node.startPosition.column === at.character
        ) {
          const ep = node.endPosition;
          const top: TopNode = {
            type: node.type,
            startIndex: node.startIndex,
            endIndex: node.endIndex,
            start: at,
            end: { line: ep.row, character: ep.column },
            named: next.length,
            node,
          };
          fresh.push({ i: next.length, top, node });
          next.push(null);
          return;
        }
      }
      next.push(old);
    };
    let k = 0;
    const olds = this.decls;
    for (const t of found) {
      // Cached declarations before this node that no node of the regions overlaps are still there.
      while (k < olds.length && olds[k]!.endIndex <= t.startIndex) {
        const d = olds[k++]!;
        if (!d.dirty && !found.some((f) => overlaps(f, d))) keep(d);
      }
      const same = olds.find(
        (d) => !d.dirty && d.type === t.type && d.startIndex === t.startIndex && d.endIndex === t.endIndex,
      );
      if (same && !touched.some(([a, b]) => a < t.endIndex && t.startIndex < b)) {
        keep(same);
        continue;
      }
      // A declaration that was there before, word for word (a quote typed and deleted again).
      const back = this.shelf.find(t.type, text, t.startIndex, t.endIndex);
      if (back && !restored.some((r) => r.decl === back)) {
        restored.push({ i: next.length, top: t, decl: back });
        next.push(null);
        continue;
      }
      fresh.push({ i: next.length, top: t, node: t.node! });
      next.push(null);
    }
    for (; k < olds.length; k++) {
      const d = olds[k]!;
      if (!d.dirty && !found.some((f) => overlaps(f, d))) keep(d);
    }
    if (next.length !== root.namedChildCount || fresh.length > maxFresh) {
      // Too much changed for this path (or the cached picture does not add
      // up, which should not happen): the caller analyses the file whole.
      this.missed =
        next.length !== root.namedChildCount
          ? `${next.length} declarations known, ${root.namedChildCount} in the tree`
          : `${fresh.length} declarations changed`;
      this.changes = changes;
      return null;
    }
    // Typing that keeps every line where it was moves only declarations starting on an edited line.
    const lines = sameLineChanges(changes);
    for (const old of next) {
      if (!old) continue;
      const start = lines && !lines.has(old.start.line) ? old.start : shiftAll(old.start, changes);
      if (start.line !== old.start.line || start.character !== old.start.character) {
        // Untouched but moved: its results move with it.
        moved = true;
        shiftRangesInPlace(old.part, changes);
        old.findings = shiftFindings(old.findings, changes, undefined, lines);
        old.start = start;
        old.end = shiftAll(old.end, changes);
      } else if (first && old.findings.length > 0) {
        // In place, but a finding may point at a place that moved.
        old.findings = shiftFindings(old.findings, changes, first, lines);
      }
    }
    if (this.orphans.length > 0) this.orphans = shiftFindings(this.orphans, changes, undefined, lines);
    const kept = new Set(next.filter((d): d is Decl => d !== null));
    const removed = this.decls.filter((d) => !kept.has(d));
    const added: Decl[] = [];
    for (const r of restored) {
      const d = this.shelf.take(r.decl, r.top.start!);
      d.startIndex = r.top.startIndex;
      d.endIndex = r.top.endIndex;
      d.dirty = false;
      next[r.i] = d;
      kept.add(d);
      added.push(d);
    }

    const named = mapTypeNames(partsOf(kept));
    const parts = new Map<number, { part: FileSummary; caps: Captures }>();
    const analyze = (f: (typeof fresh)[number]): void => {
      const syn = analyzeSyntax(this.file, text, tree, { decls: [f.node], namedMapTypes: named });
      detachStrings(syn.summary);
      parts.set(f.i, { part: syn.summary, caps: syn.caps });
    };
    for (const f of fresh) if (f.top.type === "type_declaration") analyze(f);
    mapTypeNames(
      [...parts.values()].map((p) => p.part),
      named,
    );
    for (const f of fresh) if (f.top.type !== "type_declaration") analyze(f);

    const created: Decl[] = [];
    for (const f of fresh) {
      const { part } = parts.get(f.i)!;
      const d: Decl = {
        type: f.top.type,
        startIndex: f.top.startIndex,
        endIndex: f.top.endIndex,
        start: f.top.start!,
        end: f.top.end!,
        dirty: false,
        part,
        key: factsKey(part),
        hash: textHash(text, f.top.startIndex, f.top.endIndex),
        length: f.top.endIndex - f.top.startIndex,
        findings: [],
        failures: [],
      };
      next[f.i] = d;
      created.push(d);
    }
    this.decls = next as Decl[];
    // Only what a change swept away in bulk (a quote hiding the rest of the file) is worth keeping:
    // the one declaration typed in is replaced by its new self, and cached strings of its facts
    // would keep that version of the text alive.
    if (removed.length > 1) for (const d of removed) this.shelf.put(d, changes.length);
    if (added.length > 0) {
      // In document order among the created ones, for the comparisons below.
      const isNew = new Set([...created, ...added]);
      created.length = 0;
      for (const d of this.decls) if (isNew.has(d)) created.push(d);
    }
    const factsChanged = removed.map((d) => d.key).join("\n") !== created.map((d) => d.key).join("\n");
    if (factsChanged) this.facts = this.decls.map((d) => d.key).join("\n");
    const hasErrors = root.hasError;
    // Typing inside a body changes no fact and moves nothing: keep the summary
    // (and so the package facts built from it).
    const same =
      !moved &&
      !factsChanged &&
      hasErrors === this.current.hasErrors &&
      JSON.stringify(removed.map((d) => d.part)) === JSON.stringify(created.map((d) => d.part));
    const summary = same
      ? this.current
      : mergeSummaries(
          this.file,
          this.decls.map((d) => d.part),
          hasErrors,
        );
    this.current = summary;
    const pkg = ctx.packageFor(summary);
    const failures: RuleFailure[] = [];
    let reused = false;
    for (const f of fresh) {
      const d = next[f.i]!;
      const syntax = { file: this.file, text, tree, summary, caps: parts.get(f.i)!.caps };
      const { run, reused: hit } = this.runWithMemo(syntax, pkg, ctx.opts, true);
      if (hit) reused = true;
      d.findings = run.raw;
      d.failures = run.failures;
      d.subjects = d.findings.length > 0 ? subjectsOf(d, tree) : undefined;
      failures.push(...run.failures);
    }
    return {
      findings: this.finish(text, tree, ctx.opts, editedText),
      summary,
      factsChanged,
      failures,
      analyzed: fresh.length,
      reused,
    };
  }

  private ownerOf(p: Position): Decl | undefined {
    // Declarations are sorted and disjoint: binary search by start.
    let lo = 0;
    let hi = this.decls.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const d = this.decls[mid]!;
      if (comparePositions(p, d.start) < 0) hi = mid - 1;
      else if (comparePositions(p, d.end) > 0) lo = mid + 1;
      else return d;
    }
    return undefined;
  }

  /**
   * All cached raw findings with the file's directives applied. `edited`: the
   * lines the changes since the last run touched; when neither they nor the
   * text before had a directive, the text is not searched for one again.
   */
  private finish(text: string, tree: Tree, opts: AnalysisOptions, edited?: string): Finding[] {
    const seen = new Set<string>();
    const raw: Finding[] = [];
    const directives = mayHaveDirective(edited !== undefined && !this.mayHaveDirectives ? edited : text);
    this.mayHaveDirectives = directives;
    const failed = new Set<string>();
    for (const f of this.orphanFailures) failed.add(f.rule);
    const add = (f: Finding): void => {
      const key = findingKey(f);
      if (seen.has(key)) return;
      seen.add(key);
      // Directives mark findings as suppressed: give them copies when there are any.
      raw.push(directives ? { ...f } : f);
    };
    for (const d of this.decls) {
      for (const f of d.failures) failed.add(f.rule);
      for (const f of d.findings) add(f);
    }
    for (const f of this.orphans) add(f);
    const ran = new Set<string>();
    for (const r of opts.rules) {
      if (failed.has(r.id)) continue;
      if ((opts.severityFor?.(r.id, this.file) ?? r.severity) !== "off") ran.add(r.id);
    }
    return finishFindings({ file: this.file, text, tree }, raw, ran, opts, directives ? undefined : []);
  }
}
