// `npm run bench`: engine throughput on a corpus (default: the Go standard library
// source when `go` is installed, else examples/). Prints parse-only time, parse +
// analysis time, their ratio, lines per second and peak RSS, in one run. Then
// `mapctx check` (the built CLI) over the corpus without tests, with 1 and 2
// worker threads, beside a single-threaded parse-only pass over the same files:
// wall time, files per second and the CLI process's peak RSS.
// `--check-only` runs only that second part.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { analyzeSources, initParser, normalizeText, type SourceFile } from "../server/src/analysis/engine";
import { parseGo } from "../server/src/parser";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { discover, readGoFile } from "../server/src/workspace/discover";
import { corpus as goCorpus } from "./corpus";

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  await initParser();
  const target = goCorpus() + path.sep;
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

  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const withoutTests = byDir.flatMap((d) => d.sources).filter((s) => !s.file.endsWith("_test.go"));
  if (process.argv.includes("--check-only")) return checkBench(withoutTests, rounds);

  const parseOnly = (): number => {
    const t0 = performance.now();
    for (const { sources } of byDir) for (const s of sources) parseGo(s.text)!.delete();
    return performance.now() - t0;
  };
  let findings = 0;
  const full = (): number => {
    findings = 0;
    const t0 = performance.now();
    for (const { dir, sources } of byDir)
      findings += analyzeSources(sources, dir, { rules: RULES, knownRules: KNOWN_IDS }).findings.length;
    return performance.now() - t0;
  };
  // Alternate the two passes and keep each one's best, so that warm-up and
  // background load hit both alike.
  let bestParse = Infinity;
  let bestFull = Infinity;
  for (let i = 0; i < rounds; i++) {
    bestParse = Math.min(bestParse, parseOnly());
    bestFull = Math.min(bestFull, full());
  }
  const ratio = bestFull / bestParse;
  console.log(
    `parse only:       ${(bestParse / 1000).toFixed(2)} s  (${Math.round(lines / (bestParse / 1000)).toLocaleString("en")} lines/s)`,
  );
  console.log(
    `parse + analysis: ${(bestFull / 1000).toFixed(2)} s  (${Math.round(lines / (bestFull / 1000)).toLocaleString("en")} lines/s, ${findings} findings)`,
  );
  console.log(`ratio:            ${ratio.toFixed(2)} (target <= 1.50)`);
  console.log(`peak RSS:         ${mib(process.resourceUsage().maxRSS * 1024)}`);

  await checkBench(withoutTests, rounds);
}

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "dist", "cli.js");

/** Builds the bundles when they are missing or older than the sources. */
function ensureBuilt(): void {
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) t = Math.max(t, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
    return t;
  };
  const built = ["cli.js", "worker.js"].map(
    (f) => fs.statSync(path.join(ROOT, "dist", f), { throwIfNoEntry: false })?.mtimeMs ?? 0,
  );
  if (Math.min(...built) < newest(path.join(ROOT, "server", "src"))) {
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs")], { stdio: "inherit" });
  }
}

interface CliRun {
  ms: number;
  rssKiB: number;
  cpuMs: number;
  findings: number;
}

/** One `mapctx check --jobs N --format json FILE...`; the CLI reports its own peak RSS (worker threads included). */
function runCheck(files: string[], jobs: number): CliRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, "check", "--jobs", String(jobs), "--format", "json", ...files], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, MAPCTX_PEAK_RSS: "1" },
  });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`mapctx check --jobs ${jobs} exited with ${r.status}: ${r.stderr}`);
  const rss = /mapctx: peak RSS (\d+) KiB, CPU (\d+) ms/.exec(r.stderr);
  if (!rss) throw new Error(`mapctx check did not report its peak RSS: ${r.stderr.slice(0, 500)}`);
  return {
    ms,
    rssKiB: Number(rss[1]),
    cpuMs: Number(rss[2]),
    findings: (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length,
  };
}

/** `mapctx check` with 1 and 2 workers beside a single-threaded parse-only pass, over the same files. */
async function checkBench(sources: SourceFile[], rounds: number): Promise<void> {
  ensureBuilt();
  const files = sources.map((s) => s.file);
  let lines = 0;
  for (const s of sources) for (let i = s.text.indexOf("\n"); i !== -1; i = s.text.indexOf("\n", i + 1)) lines++;
  const load = os.loadavg()[0]!;
  console.log(
    `\nmapctx check, no tests: ${files.length} files, ${lines} lines (load average ${load.toFixed(1)} on ${os.availableParallelism()} cores)`,
  );
  const parseOnly = (): number => {
    const t0 = performance.now();
    for (const s of sources) parseGo(s.text)!.delete();
    return performance.now() - t0;
  };
  let bestParse = Infinity;
  const best = new Map<number, CliRun>();
  for (let i = 0; i < rounds; i++) {
    bestParse = Math.min(bestParse, parseOnly());
    for (const jobs of [1, 2]) {
      const r = runCheck(files, jobs);
      const prev = best.get(jobs);
      if (!prev || r.ms < prev.ms) best.set(jobs, { ...r, rssKiB: Math.max(r.rssKiB, prev?.rssKiB ?? 0) });
      else prev.rssKiB = Math.max(prev.rssKiB, r.rssKiB);
    }
  }
  const cpu = (r: CliRun) => `CPU ${(r.cpuMs / 1000).toFixed(2)} s = ${(r.cpuMs / r.ms).toFixed(2)} cores busy`;
  const rate = (ms: number) => `${Math.round(files.length / (ms / 1000)).toLocaleString("en")} files/s`;
  const one = best.get(1)!;
  const two = best.get(2)!;
  if (one.findings !== two.findings) throw new Error(`--jobs 1 found ${one.findings}, --jobs 2 found ${two.findings}`);
  console.log(`parse only, 1 thread:  ${(bestParse / 1000).toFixed(2)} s  (${rate(bestParse)})`);
  console.log(
    `check --jobs 1:        ${(one.ms / 1000).toFixed(2)} s  (${rate(one.ms)}, ${one.findings} findings)  peak RSS ${mib(one.rssKiB * 1024)}, ${cpu(one)}`,
  );
  console.log(
    `check --jobs 2:        ${(two.ms / 1000).toFixed(2)} s  (${rate(two.ms)}, ${two.findings} findings)  peak RSS ${mib(two.rssKiB * 1024)}, ${cpu(two)}`,
  );
  const ok = (b: boolean) => (b ? "met" : "NOT MET");
  console.log(
    `targets: --jobs 2 <= parse only: ${ok(two.ms <= bestParse)} (${(two.ms / bestParse).toFixed(2)}x); peak RSS < 300 MiB: ${ok(Math.max(one.rssKiB, two.rssKiB) < 300 * 1024)}`,
  );
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
