// Seeded fuzzing: real Go source (the Go standard library when `go` is
// installed, else the fixtures) is mutated by deleting, duplicating and
// swapping token ranges and by inserting random bytes. On each mutant the whole
// engine runs with every rule (no rule may fail), the incremental parser
// applies the mutation edit by edit (its tree must equal a fresh parse when the
// result parses without errors; tree-sitter's error recovery may differ between
// an incremental and a fresh parse of broken code, 8 in 20,000 mutants), the
// language server's per-declaration analysis follows the same edits (and its
// exact whole-file run must then equal the engine's), and every offered fix is
// applied (the fixed text may not have more syntax errors).
// Any exception fails the test and prints the seed that reproduces it:
//   FUZZ_SEED=<seed> FUZZ_ITERATIONS=1 node scripts/run-tests.mjs fuzz
// `npm test` runs 1500 mutants (about 20 s); `npm run fuzz` runs 20,000, and
// FUZZ_ITERATIONS sets any number.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import { analyzeSources } from "../server/src/analysis/engine";
import type { FileSummary } from "../server/src/analysis/facts";
import { PackageFacts } from "../server/src/analysis/package";
import type { Finding, TextEdit } from "../server/src/analysis/types";
import { OpenDocument } from "../server/src/documents";
import { DocumentTree } from "../server/src/trees";
import { FileAnalysis } from "../server/src/workspace/incremental";
import { applyEdits } from "../server/src/fixes/apply";
import { parseGo, type Edit, type Tree } from "../server/src/parser";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { FIXTURES, ready, ROOT } from "./helpers";
import { rng } from "./support/rng";
import { lineColumnAt } from "./support/text";

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? (process.env.npm_lifecycle_event === "fuzz" ? 20_000 : 1500));
const FIRST_SEED = Number(process.env.FUZZ_SEED ?? 1);
/** Files larger than this are not picked: the point is many mutants, not big ones. */
const MAX_CHARS = 24_000;

/** Go files under `base` of at most MAX_CHARS, sorted. */
function goFiles(base: string): string[] {
  const files: string[] = [];
  const stack = [base];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) stack.push(full);
      else if (ent.isFile() && ent.name.endsWith(".go")) {
        const size = fs.statSync(full).size;
        if (size > 0 && size <= MAX_CHARS) files.push(full);
      }
    }
  }
  return files.sort();
}

/**
 * The corpus: the Go standard library (GOROOT/src is often a symlink), else
 * none; and the fixtures and examples, whose findings have fixes to apply.
 */
function corpus(): { name: string; std: string[]; own: string[] } {
  let root: string | undefined;
  try {
    root = fs.realpathSync(path.join(execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim(), "src"));
  } catch {
    root = undefined;
  }
  const std = root ? goFiles(root) : [];
  const own = [...goFiles(FIXTURES), ...goFiles(path.join(ROOT, "examples"))];
  return { name: root ? `${root} and the fixtures` : "the fixtures", std, own };
}

/** Token spans of Go-ish text: words, numbers, strings, comments, operators. */
function tokens(text: string): [number, number][] {
  const out: [number, number][] = [];
  const re =
    /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"?|`[^`]*`?|'(?:[^'\\\n]|\\.)*'?|[\p{L}_][\p{L}\p{N}_]*|\d[\w.]*|[^\s]/gu;
  for (const m of text.matchAll(re)) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

/** One replacement in the text as it is when the edit is made. */
interface Change {
  start: number;
  end: number;
  text: string;
}

/** A mutation as a sequence of changes: delete, duplicate or swap token ranges, or insert random bytes. */
function mutate(text: string, r: ReturnType<typeof rng>): { changes: Change[]; what: string[] } {
  const changes: Change[] = [];
  const what: string[] = [];
  let current = text;
  const steps = 1 + r.int(3);
  for (let s = 0; s < steps; s++) {
    const toks = tokens(current);
    if (toks.length < 4) break;
    const span = (): [number, number] => {
      const i = r.int(toks.length);
      const j = Math.min(toks.length - 1, i + r.int(r.int(2) ? 4 : 40));
      return [toks[i]![0], toks[j]![1]];
    };
    const kind = r.int(4);
    let step: Change[] = [];
    if (kind === 0) {
      const [a, b] = span();
      step = [{ start: a, end: b, text: "" }];
      what.push(`delete ${a}-${b}`);
    } else if (kind === 1) {
      const [a, b] = span();
      const at = r.pick(toks)[r.int(2)]!;
      step = [{ start: at, end: at, text: current.slice(a, b) }];
      what.push(`duplicate ${a}-${b} at ${at}`);
    } else if (kind === 2) {
      let [a, b] = span();
      let [c, d] = span();
      if (c < a) [a, b, c, d] = [c, d, a, b];
      if (c < b) {
        // Overlapping: swap the two halves of their union instead.
        const mid = toks[r.int(toks.length)]![0];
        if (mid <= a || mid >= d) continue;
        [b, c] = [mid, mid];
      }
      // The later range first, so the earlier one's offsets still hold.
      step = [
        { start: c, end: d, text: current.slice(a, b) },
        { start: a, end: b, text: current.slice(c, d) },
      ];
      what.push(`swap ${a}-${b} with ${c}-${d}`);
    } else {
      const bytes = Buffer.alloc(1 + r.int(12));
      for (let k = 0; k < bytes.length; k++)
        bytes[k] = r.int(2) ? r.int(256) : r.pick([...Buffer.from("{}()[]\"'`/*\n\t\\\0:=.,;")]);
      const at = r.int(current.length + 1);
      step = [{ start: at, end: at, text: bytes.toString("utf8") }];
      what.push(`insert ${JSON.stringify(bytes.toString("latin1"))} at ${at}`);
    }
    for (const c of step) {
      changes.push(c);
      current = current.slice(0, c.start) + c.text + current.slice(c.end);
    }
  }
  return { changes, what };
}

function pointAt(text: string, index: number): { row: number; column: number } {
  const { line, column } = lineColumnAt(text, index);
  return { row: line, column };
}

/** The tree-sitter edit for a change, with rows and columns in UTF-16 units like the indices. */
function toEdit(before: string, after: string, c: Change): Edit {
  return {
    startIndex: c.start,
    oldEndIndex: c.end,
    newEndIndex: c.start + c.text.length,
    startPosition: pointAt(before, c.start),
    oldEndPosition: pointAt(before, c.end),
    newEndPosition: pointAt(after, c.start + c.text.length),
  } as Edit;
}

/** ERROR and MISSING nodes of a tree, walked with a cursor (no recursion). */
function syntaxErrors(tree: Tree): number {
  if (!tree.rootNode.hasError) return 0;
  let n = 0;
  const cursor = tree.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.type === "ERROR" || node.isMissing) n++;
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return n;
      }
    }
  } finally {
    cursor.delete();
  }
}

function parsed(text: string): Tree {
  const t = parseGo(text);
  if (!t) throw new Error("parse returned null");
  return t;
}

/**
 * Follows the edits as the language server does for an open file: each change
 * applied to the text, the tree and the per-declaration analysis, which
 * re-analyses what it touched or else the file whole (reusing map fix sets,
 * as for a large file). Then the edits are undone one by one (declarations a
 * quote or comment hid come back from the shelf). Returns the findings of the
 * exact whole-file runs after the edits and after the undo (each null when the
 * server's tree recovered from errors otherwise than a fresh parse, so that
 * the findings may differ), or null for a mutant whose edit falls between the
 * "\r" and "\n" of a line break, which no LSP position can name.
 */
function openFileAnalysis(
  file: string,
  original: string,
  changes: Change[],
): { edited: Finding[] | null; undone: Finding[] | null } | null {
  const doc = new OpenDocument(`file://${file}`, file, "go", 1, original);
  const tree = new DocumentTree();
  const analysis = new FileAnalysis(file);
  const ctx = {
    opts: { rules: RULES, knownRules: KNOWN_IDS },
    packageFor: (s: FileSummary) => new PackageFacts(s.packageName, path.dirname(file), [s]),
  };
  const undo: Change[] = [];
  const nameable = (offset: number): boolean => doc.offsetAt(doc.positionAt(offset)) === offset;
  const type = (c: Change): boolean => {
    if (!nameable(c.start) || !nameable(c.end)) return false;
    undo.unshift({ start: c.start, end: c.start + c.text.length, text: doc.text.slice(c.start, c.end) });
    const range = { start: doc.positionAt(c.start), end: doc.positionAt(c.end) };
    const r = doc.apply([{ range, text: c.text }], doc.version + 1);
    for (const t of r.changes) {
      tree.edit(t);
      analysis.applyChange(t);
    }
    const parsedNow = tree.parse(doc.text)!;
    const update =
      analysis.update(doc.text, parsedNow.tree, parsedNow.changed, ctx, 24) ??
      analysis.startRebuild(doc.text, parsedNow.tree, ctx, true).step(Infinity)!;
    if (update.failures.length > 0) throw new Error(`rule failures while typing: ${JSON.stringify(update.failures)}`);
    return true;
  };
  try {
    tree.parse(doc.text);
    analysis.rebuild(doc.text, tree.current!, ctx);
    // The exact run, when the server's tree is the one a fresh parse gives.
    const exact = (): Finding[] | null => {
      const fresh = parsed(doc.text);
      const same = fresh.rootNode.toString() === tree.current!.rootNode.toString();
      fresh.delete();
      return same ? analysis.rebuild(doc.text, tree.current!, ctx).findings : null;
    };
    for (const c of changes) if (!type(c)) return null;
    const edited = exact();
    for (const c of [...undo]) if (!type(c)) return null;
    if (doc.text !== original) throw new Error("undoing the edits did not restore the text");
    return { edited, undone: exact() };
  } finally {
    tree.dispose();
  }
}

/** Checks one mutant; throws with a description of what went wrong. */
interface Stats {
  findings: number;
  fixes: number;
  /** Mutants whose incremental tree differs from a fresh parse in error recovery. */
  recoveries: number;
}

function check(file: string, original: string, changes: Change[], stats: Stats): void {
  // The incremental parser, one edit at a time, against a fresh parse of the result.
  let text = original;
  let tree = parsed(text);
  try {
    for (const c of changes) {
      const next = text.slice(0, c.start) + c.text + text.slice(c.end);
      tree.edit(toEdit(text, next, c));
      const t = parseGo(next, tree);
      if (!t) throw new Error("the incremental parse returned null");
      tree.delete();
      tree = t;
      text = next;
    }
    const fresh = parsed(text);
    try {
      const a = tree.rootNode.toString();
      const b = fresh.rootNode.toString();
      if (a !== b && fresh.rootNode.hasError) stats.recoveries++;
      else if (a !== b)
        throw new Error(
          `incremental tree differs from a fresh parse:\n  incremental: ${a.slice(0, 300)}\n  fresh:       ${b.slice(0, 300)}`,
        );
    } finally {
      fresh.delete();
    }
  } finally {
    tree.delete();
  }

  // The engine with every rule.
  const result = analyzeSources([{ file, text }], path.dirname(file), { rules: RULES, knownRules: KNOWN_IDS });
  if (result.failures.length > 0) throw new Error(`rule failures: ${JSON.stringify(result.failures)}`);
  stats.findings += result.findings.length;

  // The language server's analysis of the open file, edit by edit, and back.
  const server = openFileAnalysis(file, original, changes);
  if (server) {
    const key = (findings: readonly Finding[]): string[] => findings.map((f) => JSON.stringify(f));
    if (server.edited)
      assert.deepEqual(key(server.edited), key(result.findings), "the exact run after the edits equals the engine's");
    if (server.undone) {
      const opts = { rules: RULES, knownRules: KNOWN_IDS };
      const unedited = analyzeSources([{ file, text: original }], path.dirname(file), opts).findings;
      assert.deepEqual(key(server.undone), key(unedited), "the exact run after the undo equals the engine's");
    }
  }

  // Every offered fix, on this file.
  const before = parsed(text);
  const errorsBefore = syntaxErrors(before);
  before.delete();
  for (const f of result.findings) {
    for (const fix of f.fixes) {
      const edits = fix.edits.filter((e: TextEdit) => e.file === file);
      if (edits.length === 0) continue;
      stats.fixes++;
      let fixed: string;
      try {
        fixed = applyEdits(text, edits);
      } catch (e) {
        throw new Error(`fix "${fix.title}" of ${describe(f)} cannot be applied: ${(e as Error).message}`);
      }
      const t = parsed(fixed);
      const after = syntaxErrors(t);
      t.delete();
      if (after > errorsBefore) {
        throw new Error(
          `fix "${fix.title}" of ${describe(f)} adds syntax errors (${errorsBefore} -> ${after}); edits: ${JSON.stringify(edits).slice(0, 400)}`,
        );
      }
    }
  }
}

function describe(f: Finding): string {
  return `${f.rule} at ${f.range.start.line + 1}:${f.range.start.character + 1}`;
}

before(ready);

test(`fuzz: ${ITERATIONS} mutants from seed ${FIRST_SEED}`, { timeout: 30 * 60_000 }, () => {
  const { name, std, own } = corpus();
  assert.ok(own.length > 0, "no fixtures");
  const stats: Stats = { findings: 0, fixes: 0, recoveries: 0 };
  const t0 = performance.now();
  let slowest = { ms: 0, seed: 0 };
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = FIRST_SEED + i;
    const r = rng(seed);
    // Half from the standard library (when there is one), half from the fixtures.
    const file = r.pick(std.length > 0 && r.int(2) ? std : own);
    const original = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
    const { changes, what } = mutate(original, r);
    const started = performance.now();
    try {
      check(file, original, changes, stats);
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      assert.fail(
        `seed ${seed} failed on ${file} after ${what.join("; ")}\n${message}\n` +
          `reproduce: FUZZ_SEED=${seed} FUZZ_ITERATIONS=1 node scripts/run-tests.mjs fuzz (corpus ${name})`,
      );
    }
    const ms = performance.now() - started;
    if (ms > slowest.ms) slowest = { ms, seed };
  }
  const total = (performance.now() - t0) / 1000;
  console.log(
    `fuzz: ${ITERATIONS} mutants of ${std.length + own.length} files (${name}) in ${total.toFixed(1)} s; ` +
      `${stats.findings} findings, ${stats.fixes} fixes applied; ${stats.recoveries} incremental trees recovered from errors ` +
      `otherwise than a fresh parse; slowest seed ${slowest.seed} (${slowest.ms.toFixed(0)} ms)`,
  );
});
