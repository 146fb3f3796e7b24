// Shared by the test files: run the engine on fixture sources.
import * as fs from "node:fs";
import * as path from "node:path";
import { analyzeSources, initParser, type AnalysisResult } from "../server/src/analysis/engine";
import { KNOWN_IDS, RULES, type Rule } from "../server/src/rules";

export const ROOT = path.resolve(__dirname, "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

export async function ready(): Promise<void> {
  await initParser();
}

/** Runs the given rules (default: all) over Go files given as text, as one directory. */
export function analyze(files: Record<string, string>, rules: readonly Rule[] = RULES, dir = "/virtual"): AnalysisResult {
  const sources = Object.entries(files).map(([name, text]) => ({ file: path.join(dir, name), text }));
  return analyzeSources(sources, dir, { rules, knownRules: KNOWN_IDS });
}

/** The `.go` files of a fixture case: a single file, or every file of a case directory. */
export function caseSources(casePath: string): { file: string; text: string }[] {
  const st = fs.statSync(casePath);
  const files = st.isDirectory()
    ? fs.readdirSync(casePath).filter((f) => f.endsWith(".go")).sort().map((f) => path.join(casePath, f))
    : [casePath];
  return files.map((file) => ({ file, text: fs.readFileSync(file, "utf8") }));
}
