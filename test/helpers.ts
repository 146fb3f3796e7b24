// Shared by the test files: run the engine on fixture sources.
import * as fs from "node:fs";
import * as path from "node:path";
import { analyzeSources, initParser, normalizeText, type AnalysisResult } from "../server/src/analysis/engine";
import { workspaceFromSources } from "../server/src/analysis/workspace";
import { KNOWN_IDS, RULES, type Rule } from "../server/src/rules";
import { moduleForFile } from "../server/src/workspace/gomod";
import type { Finding, TextEdit } from "../server/src/analysis/types";
import { applyEdits } from "../server/src/fixes/apply";
import { isIgnoreFix } from "../server/src/fixes/ignore";

export const ROOT = path.resolve(__dirname, "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

export async function ready(): Promise<void> {
  await initParser();
}

/** Runs the given rules (default: all) over Go files given as text, as one directory. */
export function analyze(
  files: Record<string, string>,
  rules: readonly Rule[] = RULES,
  dir = "/virtual",
): AnalysisResult {
  const sources = Object.entries(files).map(([name, text]) => ({ file: path.join(dir, name), text }));
  return analyzeSources(sources, dir, { rules, knownRules: KNOWN_IDS });
}

/**
 * The `.go` files of a fixture case: a single file, or every file of a case
 * directory, subdirectories included (a case with a go.mod may hold several
 * packages, one per subdirectory).
 */
export function caseSources(casePath: string): { file: string; text: string }[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (e.name.endsWith(".go")) files.push(path.join(dir, e.name));
    }
  };
  if (fs.statSync(casePath).isDirectory()) walk(casePath);
  else files.push(casePath);
  return files.map((file) => ({ file, text: fs.readFileSync(file, "utf8") }));
}

/** The cases of a rule's fixture folder: `.go` files and case directories, sorted. */
export function fixtureCases(ruleId: string): string[] {
  const dir = path.join(FIXTURES, ruleId);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".go") || fs.statSync(path.join(dir, f)).isDirectory())
    .sort();
}

/**
 * Runs one rule alone on a fixture case, as the fixture driver does, with the
 * case's Go module (a directory case may carry its own go.mod and go version).
 */
export function analyzeCase(
  rule: Rule,
  casePath: string,
): AnalysisResult & { sources: { file: string; text: string }[] } {
  const sources = caseSources(casePath);
  // The case is the whole workspace: fixes that rewrite every use of something (typed context keys) see all of it.
  const workspace = workspaceFromSources(
    sources.map((s) => ({ file: s.file, text: normalizeText(s.text) })),
    moduleForFile,
  );
  const result: AnalysisResult = { findings: [], failures: [] };
  try {
    const byDir = new Map<string, { file: string; text: string }[]>();
    for (const s of sources) byDir.set(path.dirname(s.file), [...(byDir.get(path.dirname(s.file)) ?? []), s]);
    for (const [dir, list] of byDir) {
      const r = analyzeSources(list, dir, {
        rules: [rule],
        knownRules: KNOWN_IDS,
        moduleFor: moduleForFile,
        workspace,
      });
      result.findings.push(...r.findings);
      result.failures.push(...r.failures);
    }
  } finally {
    workspace.dispose();
  }
  return { ...result, sources };
}

export interface GoldenSection {
  title: string;
  text: string;
}

const SECTION = /^-- (.+) --$/;

/** `-- <title> --` lines each followed by a whole file text. */
export function formatGolden(sections: GoldenSection[]): string {
  return sections.map((s) => `-- ${s.title} --\n${s.text}`).join("");
}

export function parseGolden(text: string): GoldenSection[] {
  const out: GoldenSection[] = [];
  const lines = text.split(/(?<=\n)/);
  for (const line of lines) {
    const m = SECTION.exec(line.replace(/\n$/, ""));
    if (m) out.push({ title: m[1]!, text: "" });
    else if (out.length) out[out.length - 1]!.text += line;
    else
      throw new Error(`golden text must start with a "-- <title> --" line, not ${JSON.stringify(line.slice(0, 40))}`);
  }
  return out;
}

/** The golden file of a fixture source: `<file>.go.golden` beside it. */
export function goldenPath(file: string): string {
  return `${file}.golden`;
}

/**
 * The golden sections a case's findings produce, per file: one section per
 * distinct fix title (except the generic ignore fixes), in the order the titles
 * first appear, holding the file after all edits with that title. Files no fix
 * changes are absent.
 */
export function expectedGoldens(
  findings: Finding[],
  sources: { file: string; text: string }[],
): Map<string, GoldenSection[]> {
  const byTitle = new Map<string, TextEdit[]>();
  for (const f of findings) {
    for (const fix of f.fixes) {
      if (isIgnoreFix(fix)) continue;
      const list = byTitle.get(fix.title) ?? [];
      list.push(...fix.edits);
      byTitle.set(fix.title, list);
    }
  }
  const out = new Map<string, GoldenSection[]>();
  for (const [title, edits] of byTitle) {
    for (const e of edits) {
      if (!sources.some((s) => s.file === e.file))
        throw new Error(`fix "${title}" edits ${e.file}, which is not part of the case`);
    }
    for (const s of sources) {
      const mine = edits.filter((e) => e.file === s.file);
      if (mine.length === 0 && !(sources.length === 1 && edits.length === 0)) continue;
      let text: string;
      try {
        text = applyEdits(s.text, mine);
      } catch (e) {
        throw new Error(`fix "${title}" on ${path.basename(s.file)}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const list = out.get(s.file) ?? [];
      list.push({ title, text });
      out.set(s.file, list);
    }
  }
  return out;
}
