// `npm run bench:rules`: what each rule costs on top of parsing and fact
// gathering, on the 10k-line generated editor file (dense with findings) and
// on a corpus (default: the Go standard library source, else examples/).
// Each figure is the best of three runs of parse + facts + that one rule, less
// the best of three runs of parse + facts alone, so figures within a few
// milliseconds of zero are noise.
import { analyzeSources, initParser, normalizeText, type SourceFile } from "../server/src/analysis/engine";
import { KNOWN_IDS, RULES, type Rule } from "../server/src/rules";
import { discover, readGoFile } from "../server/src/workspace/discover";
import { corpus } from "./corpus";
import { bigFile } from "./gofile";

function load(root: string): { dir: string; sources: SourceFile[] }[] {
  const out: { dir: string; sources: SourceFile[] }[] = [];
  for (const [dir, list] of discover([root]).dirs) {
    const sources: SourceFile[] = [];
    for (const file of list) {
      const r = readGoFile(file);
      if ("text" in r) sources.push({ file, text: normalizeText(r.text) });
    }
    out.push({ dir, sources });
  }
  return out;
}

function best(packages: { dir: string; sources: SourceFile[] }[], rules: readonly Rule[], runs: number): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    for (const p of packages) analyzeSources(p.sources, p.dir, { rules, knownRules: KNOWN_IDS });
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function table(title: string, packages: { dir: string; sources: SourceFile[] }[], runs: number): void {
  const base = best(packages, [], runs);
  console.log(`${title}: parse + facts ${base.toFixed(1)} ms; cost of each rule on top:`);
  for (const r of RULES)
    console.log(`  ${r.id.padEnd(28)} ${(best(packages, [r], runs) - base).toFixed(1).padStart(8)} ms`);
  console.log(`  ${"all rules".padEnd(28)} ${(best(packages, RULES, runs) - base).toFixed(1).padStart(8)} ms`);
}

async function main(): Promise<void> {
  await initParser();
  table("10k-line editor file", [{ dir: "/bench", sources: [{ file: "/bench/big.go", text: bigFile(10_000) }] }], 3);
  const root = corpus();
  table(root, load(root), process.argv.includes("--quick") ? 1 : 2);
}

void main();
