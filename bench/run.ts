// `npm run bench`: engine throughput on a corpus (default: the Go standard library
// source when `go` is installed, else examples/). Prints parse-only time, parse +
// analysis time, their ratio, lines per second and peak RSS, in one run.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { analyzeSources, initParser, normalizeText, type SourceFile } from "../server/src/analysis/engine";
import { parseGo } from "../server/src/parser";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { discover, readGoFile } from "../server/src/workspace/discover";

function goroot(): string | null {
  try {
    return execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

function corpus(): string {
  const arg = process.argv.slice(2).find((a) => !a.startsWith("-"));
  if (arg) return arg;
  const root = goroot();
  return root ? path.join(root, "src") + path.sep : path.resolve(__dirname, "..", "examples");
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  await initParser();
  const target = corpus();
  const { dirs } = discover([target]);
  const byDir: { dir: string; sources: SourceFile[] }[] = [];
  let lines = 0;
  let files = 0;
  for (const [dir, list] of dirs) {
    const sources: SourceFile[] = [];
    for (const file of list) {
      const r = readGoFile(file);
      if (!("text" in r)) continue;
      const text = normalizeText(r.text);
      sources.push({ file, text });
      for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
    }
    files += sources.length;
    byDir.push({ dir, sources });
  }
  console.log(`corpus: ${target} (${files} files, ${lines} lines, ${RULES.length} rules)`);

  const parseOnly = (): number => {
    const t0 = performance.now();
    for (const { sources } of byDir) for (const s of sources) parseGo(s.text)!.delete();
    return performance.now() - t0;
  };
  let findings = 0;
  const full = (): number => {
    findings = 0;
    const t0 = performance.now();
    for (const { dir, sources } of byDir) findings += analyzeSources(sources, dir, { rules: RULES, knownRules: KNOWN_IDS }).findings.length;
    return performance.now() - t0;
  };
  // Alternate the two passes and keep each one's best, so that warm-up and
  // background load hit both alike.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  let bestParse = Infinity;
  let bestFull = Infinity;
  for (let i = 0; i < rounds; i++) {
    bestParse = Math.min(bestParse, parseOnly());
    bestFull = Math.min(bestFull, full());
  }
  const ratio = bestFull / bestParse;
  console.log(`parse only:       ${(bestParse / 1000).toFixed(2)} s  (${Math.round(lines / (bestParse / 1000)).toLocaleString("en")} lines/s)`);
  console.log(`parse + analysis: ${(bestFull / 1000).toFixed(2)} s  (${Math.round(lines / (bestFull / 1000)).toLocaleString("en")} lines/s, ${findings} findings)`);
  console.log(`ratio:            ${ratio.toFixed(2)} (target <= 1.50)`);
  console.log(`peak RSS:         ${mib(process.resourceUsage().maxRSS * 1024)}`);
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
