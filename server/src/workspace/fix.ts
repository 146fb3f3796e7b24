// `mapctx fix`: applies the preferred fix of each finding to files on disk (or
// only computes the result), in rounds, since fixes that overlap an earlier
// choice are offered again, rebased, once the earlier one is applied.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigResolver } from "../analysis/config";
import { analyzeSources, normalizeText, type RuleFailure, type SourceFile } from "../analysis/engine";
import type { Finding, Fix, TextEdit } from "../analysis/types";
import { applyEdits, editsOverlap } from "../fixes/apply";
import { isIgnoreFix } from "../fixes/ignore";
import type { Rule } from "../analysis/rule";
import { discover, readGoFile, type Note } from "./discover";
import { diskWorkspace, workspaceFiles } from "./disk-facts";
import { moduleForFile } from "./gomod";

export interface FixOptions {
  rules: readonly Rule[];
  knownRules: ReadonlySet<string>;
  config: ConfigResolver;
  /** Also apply fixes that are not marked safe (never the ignore fix). */
  unsafe?: boolean;
  /** Compute the result without writing files. */
  write: boolean;
  /** Most analysis rounds; each applies the fixes that did not overlap. */
  maxRounds?: number;
}

export interface FileChange {
  file: string;
  before: string;
  after: string;
  /** Titles of the fixes applied to this file, in order, one per fix. */
  titles: string[];
}

export interface FixResult {
  changes: FileChange[];
  notes: Note[];
  failures: RuleFailure[];
}

/** The fix `mapctx fix` applies for a finding: its first safe one (or first non-ignore one with --unsafe). */
export function preferredFix(f: Finding, unsafe: boolean): Fix | undefined {
  return f.fixes.find((x) => !isIgnoreFix(x) && (x.safe || unsafe) && x.edits.length > 0);
}

function sameEdit(a: TextEdit, b: TextEdit): boolean {
  return (
    a.file === b.file &&
    a.newText === b.newText &&
    a.range.start.line === b.range.start.line &&
    a.range.start.character === b.range.start.character &&
    a.range.end.line === b.range.end.line &&
    a.range.end.character === b.range.end.character
  );
}

export function fixPaths(paths: string[], opts: FixOptions): FixResult {
  const { dirs, notes } = discover(paths, opts.config);
  const failures: RuleFailure[] = [];
  /** Current text of every file read or changed, normalized; BOMs are restored on write. */
  const texts = new Map<string, string>();
  const original = new Map<string, string>();
  const titles = new Map<string, string[]>();
  const members = new Map<string, string[]>();
  for (const [dir, files] of dirs) {
    const list: string[] = [];
    for (const file of files) {
      const r = readGoFile(file);
      if ("text" in r) {
        original.set(file, r.text);
        texts.set(file, normalizeText(r.text));
        list.push(file);
      } else if ("note" in r) notes.push({ file, message: r.note });
    }
    members.set(dir, list);
  }
  const textOf = (file: string): string | undefined => {
    if (!texts.has(file)) {
      // A multi-file fix may reach a package outside the given paths.
      const r = readGoFile(file);
      if (!("text" in r)) return undefined;
      original.set(file, r.text);
      texts.set(file, normalizeText(r.text));
    }
    return texts.get(file);
  };

  let pending = new Set(members.keys());
  const maxRounds = opts.maxRounds ?? 4;
  // Fixes that rewrite every use of a context key see the whole modules of the given paths.
  const known = workspaceFiles(members.keys(), opts.config);
  for (let round = 0; round < maxRounds && pending.size > 0; round++) {
    const chosen = new Map<string, TextEdit[]>();
    const applied: { fix: Fix; files: Set<string> }[] = [];
    const workspace = diskWorkspace(known, textOf);
    try {
      for (const dir of pending) {
        const sources: SourceFile[] = (members.get(dir) ?? []).map((file) => ({ file, text: texts.get(file)! }));
        if (sources.length === 0) continue;
        const result = analyzeSources(sources, dir, {
          rules: opts.rules,
          knownRules: opts.knownRules,
          moduleFor: moduleForFile,
          severityFor: (rule, file) => opts.config.forFile(file).rules[rule],
          workspace,
        });
        if (round === 0) failures.push(...result.failures);
        for (const f of result.findings) {
          const fix = preferredFix(f, !!opts.unsafe);
          if (!fix) continue;
          let fresh = false;
          let conflict = false;
          for (const e of fix.edits) {
            const text = textOf(e.file);
            if (text === undefined) {
              conflict = true;
              break;
            }
            const taken = chosen.get(e.file) ?? [];
            if (taken.some((c) => sameEdit(c, e))) continue;
            fresh = true;
            if (taken.some((c) => editsOverlap(text, c, e))) {
              conflict = true;
              break;
            }
          }
          // A fix whose edits were all chosen already (several findings share one conversion) counts once.
          if (conflict || !fresh) continue;
          for (const e of fix.edits) {
            const taken = chosen.get(e.file) ?? [];
            if (!taken.some((c) => sameEdit(c, e))) taken.push(e);
            chosen.set(e.file, taken);
          }
          applied.push({ fix, files: new Set(fix.edits.map((e) => e.file)) });
        }
      }
    } finally {
      workspace.dispose();
    }
    if (applied.length === 0) break;
    const next = new Set<string>();
    for (const [file, edits] of chosen) {
      texts.set(file, applyEdits(texts.get(file)!, edits));
      const dir = path.dirname(file);
      if (members.has(dir)) next.add(dir);
    }
    for (const a of applied) {
      for (const file of a.files) titles.set(file, [...(titles.get(file) ?? []), a.fix.title]);
    }
    pending = next;
  }

  const changes: FileChange[] = [];
  for (const [file, list] of [...titles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const before = original.get(file)!;
    const bom = before.charCodeAt(0) === 0xfeff ? "\ufeff" : "";
    const after = bom + texts.get(file)!;
    if (after === before) continue;
    changes.push({ file, before, after, titles: list });
    if (opts.write) fs.writeFileSync(file, after);
  }
  return { changes, notes, failures };
}
