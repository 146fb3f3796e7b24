// The worker-thread pool gives exactly what the single-threaded run gives, in
// the same order; it reports progress, can be cancelled and reused, and the CLI's
// --jobs flag goes through it. Threads started before discovery serve the run, or
// are ended when it stays in one thread. A package bigger than the tree budget,
// whose later files are parsed twice, gets the same findings as one kept whole.
// Typed-key fixes, which need facts about the whole module, are the same as the editor's.
// The workspace records runs return for them hold no slice of a file's text.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { after, before, describe, test } from "node:test";
import { ConfigResolver } from "../server/src/analysis/config";
import { analyzeSources, parseFile } from "../server/src/analysis/engine";
import { workspaceFileOf, type WorkspaceFile } from "../server/src/analysis/workspace";
import { TYPED_KEY_TITLE } from "../server/src/fixes/context-key";
import { KNOWN_IDS, RULES, ruleById } from "../server/src/rules";
import { checkPaths, TREE_BUDGET_CHARS, type CheckOptions } from "../server/src/workspace/check";
import { AnalysisPool, checkPathsParallel } from "../server/src/workspace/pool";
import { analyzeCase, FIXTURES, ready, ROOT } from "./helpers";

const EXAMPLES = path.join(ROOT, "examples");

function options(extra: Partial<CheckOptions> = {}): CheckOptions {
  return { rules: RULES, knownRules: KNOWN_IDS, config: new ConfigResolver(KNOWN_IDS), keepSuppressed: true, ...extra };
}

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

describe("analysis pool", () => {
  before(ready);

  for (const [name, paths] of [
    ["examples/", [EXAMPLES]],
    ["test/fixtures/ (one corpus)", [FIXTURES]],
  ] as const) {
    test(`1 and 2 workers give identical results on ${name}`, async () => {
      const single = checkPaths([...paths], options());
      const inThread = await checkPathsParallel([...paths], { ...options(), jobs: 1 });
      const threaded = await checkPathsParallel([...paths], { ...options(), jobs: 2 });
      assert.ok(single.findings.length > 0 && single.filesAnalyzed > 5, "the corpus has findings");
      assert.deepEqual(inThread, single);
      assert.deepEqual(threaded, single);
    });
  }

  test("threads started before discovery serve the run, or are ended when it stays in this thread", async () => {
    const single = checkPaths([FIXTURES], options());
    const early = await checkPathsParallel([FIXTURES], { ...options(), jobs: 2, startThreadsEarly: true });
    assert.deepEqual(early, single);
    // Too few files for threads: the early ones are ended (a live one would keep the test process running).
    const small = await checkPathsParallel([EXAMPLES], {
      ...options(),
      startThreadsEarly: true,
      minFilesForThreads: 1_000_000,
    });
    assert.deepEqual(small, checkPaths([EXAMPLES], options()));
  });

  test("typed-key fixes see every package of the module, not only the paths given, in this thread and on workers", async () => {
    const module = path.join(FIXTURES, "context-key-builtin", "cross_package");
    const api = path.join(module, "api");
    const pool = new AnalysisPool(2);
    try {
      const single = checkPaths([api], options());
      assert.deepEqual(await checkPathsParallel([api], { ...options(), pool }), single);
      const keys = single.findings.filter((f) => f.rule === "context-key-builtin");
      assert.equal(keys.length, 3);
      // What the editor and `mapctx fix` offer, with the whole module as the workspace.
      const whole = analyzeCase(ruleById("context-key-builtin")!, module).findings;
      for (const f of keys) {
        const same = whole.find((w) => w.file === f.file && w.range.start.line === f.range.start.line);
        const fix = f.fixes.find((x) => x.title === TYPED_KEY_TITLE);
        assert.ok(fix && same, `line ${f.range.start.line + 1}: a typed-key fix`);
        assert.deepEqual(
          fix,
          same.fixes.find((x) => x.title === TYPED_KEY_TITLE),
        );
      }
      const reached = new Set(
        keys.flatMap((f) => f.fixes.flatMap((x) => x.edits.map((e) => path.relative(module, e.file)))),
      );
      assert.deepEqual([...reached].sort(), ["api/api.go", "auth/auth.go", "auth/auth_test.go"]);
    } finally {
      await pool.close();
    }
  });

  test("workspace records keep no file's text alive", () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const heap = (): number => {
      gc();
      return process.memoryUsage().heapUsed / 1048576;
    };
    const before = heap();
    const records: WorkspaceFile[] = [];
    // 40 files of 250 KB: records that held slices of the texts (import paths, package names) would keep 10 MB.
    for (let i = 0; i < 40; i++) {
      const text = `package p${i}\n\nimport (\n\t"encoding/json"\n\t"example.com/very/long/import/path${i}"\n)\n\n${"// padding\n".repeat(25_000)}var _ = json.Marshal\n`;
      const syntax = parseFile(`/w/p${i}/a.go`, text);
      records.push(workspaceFileOf(syntax.summary));
      syntax.tree.delete();
    }
    const grown = heap() - before;
    assert.equal(records.length, 40);
    assert.ok(records.every((r) => r.imports.includes("encoding/json")));
    assert.ok(grown < 3, `the heap grew by ${grown.toFixed(1)} MiB for 40 records`);
  });

  test("progress counts files up to the total, in order", async () => {
    const seen: [number, number][] = [];
    await checkPathsParallel([FIXTURES], { ...options(), jobs: 2, onProgress: (d, t) => seen.push([d, t]) });
    assert.ok(seen.length > 3);
    const total = seen[0]![1];
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] > seen[i - 1]![0] && seen[i]![1] === total);
    assert.deepEqual(seen.at(-1), [total, total]);
  });

  test("an abort terminates the run's workers; the pool serves the next run", async () => {
    const pool = new AnalysisPool(2);
    try {
      const ac = new AbortController();
      let calls = 0;
      const run = checkPathsParallel([FIXTURES], {
        ...options(),
        pool,
        signal: ac.signal,
        onProgress: () => {
          if (++calls === 1) ac.abort();
        },
      });
      await assert.rejects(run, (e: Error) => e.name === "AbortError");
      assert.equal(calls, 1, "no progress after the abort");
      assert.equal(pool.threads, 0, "the busy workers were ended");
      // Aborted before it starts: rejected at once.
      await assert.rejects(
        checkPathsParallel([FIXTURES], { ...options(), pool, signal: AbortSignal.abort() }),
        (e: Error) => e.name === "AbortError",
      );
      const again = await checkPathsParallel([EXAMPLES], { ...options(), pool });
      assert.deepEqual(again, checkPaths([EXAMPLES], options()));
      assert.equal(pool.threads, 2);
    } finally {
      await pool.close();
    }
    assert.equal(pool.threads, 0);
  });

  test("a worker that dies costs its directory a note; a fresh worker does the rest", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-oom-"));
    temps.push(dir);
    // 40,000 findings with their fixes do not fit a 24 MB heap: the worker runs out of memory.
    const body = Array.from(
      { length: 40_000 },
      (_, i) => `func f${i}(m map[int]int) { for k := range m { m[k] = ${i}; return } }`,
    );
    fs.mkdirSync(path.join(dir, "big"));
    fs.writeFileSync(path.join(dir, "big", "b.go"), "package b\n\n" + body.join("\n") + "\n");
    fs.mkdirSync(path.join(dir, "small"));
    fs.writeFileSync(
      path.join(dir, "small", "a.go"),
      "package a\n\nvar m = map[int]int{}\n\nfunc f() {\n\tgo func() { m[1] = 2 }()\n}\n",
    );
    const pool = new AnalysisPool(1, 24);
    try {
      const r = await checkPathsParallel([dir], { ...options(), pool });
      assert.deepEqual(r.notes, [
        {
          file: path.join(dir, "big"),
          message:
            "analysis crashed (Worker terminated due to reaching memory limit: JS heap out of memory); please report it",
        },
      ]);
      assert.deepEqual(
        r.findings.map((f) => [path.relative(dir, f.file), f.rule]),
        [["small/a.go", "global-map-race"]],
      );
    } finally {
      await pool.close();
    }
  });

  test("summaries come back when asked for", async () => {
    const pool = new AnalysisPool(1);
    try {
      const [r] = await pool.run(
        [{ dir: path.join(EXAMPLES, "cache"), files: [path.join(EXAMPLES, "cache", "balance.go")], severities: {} }],
        {
          rules: RULES.map((r) => r.id),
          withSummaries: true,
        },
      );
      assert.equal(r!.summaries?.[0]?.packageName, "cache");
      assert.equal(r!.analyzed, 1);
    } finally {
      await pool.close();
    }
  });

  test("a package over the tree budget gets the findings of one analysed whole", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-budget-"));
    temps.push(dir);
    const filler = Array.from({ length: 8000 }, (_, i) => `func f${i}(a, b int) int { return a*${i} + b }\n`).join("");
    const sources: { file: string; text: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const file = path.join(dir, `part${i}.go`);
      // Each file writes the map another file declares, so findings need the whole package.
      const text = `package big\n\nimport "net/http"\n\nvar m${i} = map[string]int{}\n\nfunc h${i}(w http.ResponseWriter, r *http.Request) {\n\tm${(i + 1) % 4}[r.URL.Path]++\n}\n\n${filler.replaceAll("func f", `func p${i}f`)}`;
      fs.writeFileSync(file, text);
      sources.push({ file, text });
    }
    assert.ok(sources.reduce((n, s) => n + s.text.length, 0) > TREE_BUDGET_CHARS, "the package is over the budget");
    const whole = analyzeSources(sources, dir, { rules: RULES, knownRules: KNOWN_IDS });
    assert.equal(whole.findings.filter((f) => f.rule === "global-map-race").length, 4);
    // The default budget, one that keeps every tree (the CLI's) and one that keeps none.
    for (const treeBudget of [undefined, 4 * TREE_BUDGET_CHARS, 1]) {
      const checked = checkPaths([dir], options({ keepSuppressed: false, treeBudget }));
      assert.deepEqual(checked.findings, whole.findings, `budget ${treeBudget}`);
      assert.deepEqual(checked.failures, []);
    }
  });
});

// The CLI, from the TypeScript source (workers under tsx) and, when built and fresh, from the bundle.
function newest(dir: string): number {
  let t = 0;
  const stack = [dir];
  while (stack.length) {
    const p = stack.pop()!;
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) stack.push(path.join(p, e));
    else t = Math.max(t, st.mtimeMs);
  }
  return t;
}

const bundleFresh = ["cli.js", "worker.js"].every(
  (f) =>
    (fs.statSync(path.join(ROOT, "dist", f), { throwIfNoEntry: false })?.mtimeMs ?? 0) >=
    newest(path.join(ROOT, "server", "src")),
);
const COMMANDS: [string, string[]][] = [
  ["source", ["--import", pathToFileURL(require.resolve("tsx")).href, path.join(ROOT, "server", "src", "cli.ts")]],
  ...(bundleFresh ? [["bundle", [path.join(ROOT, "dist", "cli.js")]] as [string, string[]]] : []),
];

describe("mapctx check --jobs", () => {
  for (const [kind, command] of COMMANDS) {
    test(`--jobs 2 prints what --jobs 1 prints (${kind})`, () => {
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [...command, "check", ...args], { cwd: ROOT, encoding: "utf8" });
      const one = run("--jobs", "1", "--format", "json", "examples/", "test/fixtures/");
      const two = run("--jobs=2", "--format", "json", "examples/", "test/fixtures/");
      assert.equal(one.status, 1, one.stderr);
      assert.equal(two.status, one.status, two.stderr);
      assert.equal(two.stdout, one.stdout);
      assert.equal(two.stderr, one.stderr);
      assert.ok(JSON.parse(one.stdout).findings.length > 10);
    });
  }

  test("--jobs takes a positive whole number", () => {
    for (const bad of ["0", "-1", "two", "1.5"]) {
      const r = spawnSync(process.execPath, [...COMMANDS[0]![1], "check", "--jobs", bad, "examples/"], {
        cwd: ROOT,
        encoding: "utf8",
      });
      assert.equal(r.status, 2, `--jobs ${bad}`);
      assert.match(r.stderr, /^mapctx: --jobs must be a positive whole number/, r.stderr);
    }
  });
});
