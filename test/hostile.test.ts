// Hostile input never crashes and never hangs: each bad file gets findings or
// one clear message and the run goes on with the other files. Through the
// engine (in this thread and on worker threads) and through the CLI.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { ConfigResolver } from "../server/src/analysis/config";
import { analyzeSources } from "../server/src/analysis/engine";
import { MAX_CHAIN, MAX_NESTING } from "../server/src/analysis/limits";
import type { Finding } from "../server/src/analysis/types";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { checkPaths, type CheckOptions } from "../server/src/workspace/check";
import { checkPathsParallel } from "../server/src/workspace/pool";
import { ready, ROOT } from "./helpers";

/** A handler writing package-level map m; the finding is at `m[` on the line holding MARK. */
function racy(pkg = "main", before = "", prefix = ""): string {
  return `${before}package ${pkg}

import "net/http"

var m = map[string]int{}

func h(w http.ResponseWriter, r *http.Request) {
\t${prefix}m[r.URL.Path]++ // MARK
}
`;
}

/** Where the racy finding must start, from the text as an editor shows it (BOM dropped, CRLF split). */
function expectedStart(text: string): { line: number; character: number } {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const line = lines.findIndex((l) => l.includes("// MARK"));
  return { line, character: lines[line]!.indexOf("m[r.URL") };
}

function raceFindings(r: { findings: Finding[] }, file: string): Finding[] {
  return r.findings.filter((f) => f.rule === "global-map-race" && f.file === file);
}

/** Deterministic bytes (xorshift32), so a failure reproduces. */
function randomBytes(seed: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const temps: string[] = [];
after(() => {
  for (const t of temps) {
    // chmod 000 directories and files must be readable again to be removed.
    try {
      fs.chmodSync(path.join(t, "unreadable", "x.go"), 0o644);
    } catch {
      /* not there */
    }
    fs.rmSync(t, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-hostile-"));
  temps.push(dir);
  return dir;
}

function write(dir: string, rel: string, content: string | Buffer): string {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function options(extra: Partial<CheckOptions> = {}): CheckOptions {
  return { rules: RULES, knownRules: KNOWN_IDS, config: new ConfigResolver(KNOWN_IDS), ...extra };
}

const IS_ROOT = process.getuid?.() === 0;
const SOURCE = fs.readFileSync(path.join(ROOT, "examples", "cache", "balance.go"), "utf8");

/**
 * One workspace holding every kind of hostile file, each in its own directory
 * (its own package), and one good file whose finding must survive them all.
 */
function hostileWorkspace(): { dir: string; good: string; expect: Map<string, RegExp> } {
  const dir = tempDir();
  const expect = new Map<string, RegExp>(); // file -> the one message it must get
  const good = write(dir, "good/a.go", racy());
  // Truncated at several points, mid-token included.
  for (const cut of [1, 9, 40, 200, 555, Math.floor(SOURCE.length / 2), SOURCE.length - 3]) {
    write(dir, `truncated/t${cut}.go`, SOURCE.slice(0, cut));
  }
  write(dir, "random/r.go", randomBytes(7, 64 * 1024));
  write(dir, "random/short.go", randomBytes(11, 300));
  const N = 10_000;
  const parens = write(dir, "deep/parens.go", `package deep\n\nvar x = ${"(".repeat(N)}1${")".repeat(N)}\n`);
  const blocks = write(dir, "deep/blocks.go", `package deep\n\nfunc f() {\n${"{\n".repeat(N)}${"}\n".repeat(N)}}\n`);
  const gos = write(
    dir,
    "deep/gos.go",
    `package deep\n\nfunc g() {\n${"go func() {\n".repeat(N)}${"}()\n".repeat(N)}}\n`,
  );
  for (const f of [parens, blocks, gos])
    expect.set(f, new RegExp(`^not analysed: the code nests more than ${MAX_NESTING} levels deep$`));
  const chain = write(dir, "deep/chain.go", `package deep\n\nfunc c() {\n\t_ = x${".Get(1)".repeat(N)}\n}\n`);
  expect.set(chain, new RegExp(`^not analysed: the code chains more than ${MAX_CHAIN} operators in one expression$`));
  const big = write(dir, "big/huge.go", "package big\n\n" + "var _ = 1\n".repeat(Math.ceil((10 * 1024 * 1024) / 10)));
  expect.set(big, /^skipped: 10\.0 MiB is over the 4 MiB limit$/);
  write(dir, "empty/empty.go", "");
  write(dir, "comment/only.go", "// Package comment holds only this comment, ünïcödé included.\n");
  // A directory named like a Go file: walked as a directory.
  write(dir, "odd/x.go/inner.go", racy("inner"));
  // Symlink loops: a directory that contains itself, and Go files that point at each other.
  fs.mkdirSync(path.join(dir, "loops"), { recursive: true });
  fs.symlinkSync(path.join(dir, "loops"), path.join(dir, "loops", "again"), "dir");
  fs.symlinkSync(path.join(dir, "loops", "b.go"), path.join(dir, "loops", "a.go"));
  fs.symlinkSync(path.join(dir, "loops", "a.go"), path.join(dir, "loops", "b.go"));
  for (const f of ["a.go", "b.go"]) expect.set(path.join(dir, "loops", f), /^cannot read file \(ELOOP\)$/);
  if (!IS_ROOT) {
    const locked = write(dir, "unreadable/x.go", racy());
    fs.chmodSync(locked, 0);
    expect.set(locked, /^cannot read file \(EACCES\)$/);
  }
  return { dir, good, expect };
}

describe("hostile input", () => {
  before(ready);

  test(
    "a workspace of hostile files: one message per bad file, the good file's finding, in and out of threads",
    { timeout: 120_000 },
    async () => {
      const { dir, good, expect } = hostileWorkspace();
      const single = checkPaths([dir], options());
      const threaded = await checkPathsParallel([dir], { ...options(), jobs: 2 });
      assert.deepEqual(threaded, single, "threads give what one thread gives");
      {
        const r = single;
        assert.deepEqual(r.failures, [], "no rule failed");
        assert.equal(raceFindings(r, good).length, 1, "the good file is still analysed");
        assert.equal(
          raceFindings(r, path.join(dir, "odd", "x.go", "inner.go")).length,
          1,
          "files inside a directory named x.go",
        );
        const byFile = new Map<string, string[]>();
        for (const n of r.notes) byFile.set(n.file, [...(byFile.get(n.file) ?? []), n.message]);
        for (const [file, re] of expect) {
          const got = byFile.get(file) ?? [];
          assert.equal(got.length, 1, `one message for ${path.relative(dir, file)}, got ${JSON.stringify(got)}`);
          assert.match(got[0]!, re);
        }
        const unexpected = [...byFile.keys()].filter((f) => !expect.has(f));
        assert.deepEqual(unexpected, [], "no other file got a message");
      }
    },
  );

  test("an unreadable file gets a note", (t) => {
    if (IS_ROOT) {
      // Root reads a chmod 000 file anyway, so the case cannot be set up; the file that
      // disappears between discovery and reading (next test) takes the same path.
      t.skip("running as root: chmod 000 does not stop root from reading");
      return;
    }
    const dir = tempDir();
    const file = write(dir, "x.go", racy());
    fs.chmodSync(file, 0);
    try {
      const r = checkPaths([dir], options());
      assert.deepEqual(r.notes, [{ file, message: "cannot read file (EACCES)" }]);
    } finally {
      fs.chmodSync(file, 0o644);
    }
  });

  test("a file that disappears between discovery and reading gets a note, the run goes on", () => {
    const dir = tempDir();
    write(dir, "a/a.go", racy());
    const gone = write(dir, "b/b.go", racy("b"));
    const c = write(dir, "c/c.go", racy("c"));
    const r = checkPaths([dir], options({ onProgress: (done) => done === 1 && fs.rmSync(gone) }));
    assert.deepEqual(r.notes, [{ file: gone, message: "cannot read file (ENOENT)" }]);
    assert.equal(raceFindings(r, c).length, 1);
    assert.equal(r.filesAnalyzed, 2);
  });

  test("non-UTF-8 bytes and a NUL byte: findings at the right column", () => {
    // A NUL inside the statement breaks that statement only; no crash, no failure.
    const broken = analyzeSources([{ file: "/v/x.go", text: racy("main", "", "/*\0*/ ") }], "/v", {
      rules: RULES,
      knownRules: KNOWN_IDS,
    });
    assert.deepEqual(broken.failures, []);
    const cases: [string, Buffer][] = [
      ["invalid UTF-8 in a comment before the target", Buffer.from(racy("main", "", "/*\xff\xfe\x80*/ "), "latin1")],
      [
        "invalid UTF-8 in a string",
        Buffer.concat([Buffer.from(racy()), Buffer.from('\nvar s = "\xc3\x28\xa0\xa1"\n', "latin1")]),
      ],
      // Go forbids NUL in source and tree-sitter ends a token there: a syntax error, the rest still analysed.
      ["a NUL byte in a comment above the target", Buffer.from(racy("main", "", "// a\0b\n\t"))],
      ["a NUL byte in the code of another declaration", Buffer.from(racy() + "\nvar bad = 1\0 + 2\n")],
    ];
    for (const [name, bytes] of cases) {
      const text = bytes.toString("utf8"); // what reading the file gives
      const r = analyzeSources([{ file: "/v/x.go", text }], "/v", { rules: RULES, knownRules: KNOWN_IDS });
      assert.deepEqual(r.failures, [], name);
      const found = raceFindings(r, "/v/x.go");
      assert.equal(found.length, 1, `${name}: ${JSON.stringify(r.findings.map((f) => f.message))}`);
      assert.deepEqual(found[0]!.range.start, expectedStart(text), name);
    }
  });

  test("CRLF line endings and a byte order mark keep columns right", () => {
    const lf = racy("main", "", "/* é */ ");
    const variants = {
      crlf: lf.replace(/\n/g, "\r\n"),
      bom: "\uFEFF" + lf,
      "bom+crlf": "\uFEFF" + lf.replace(/\n/g, "\r\n"),
    };
    const base = raceFindings(
      analyzeSources([{ file: "/v/x.go", text: lf }], "/v", { rules: RULES, knownRules: KNOWN_IDS }),
      "/v/x.go",
    );
    assert.equal(base.length, 1);
    for (const [name, text] of Object.entries(variants)) {
      const r = analyzeSources([{ file: "/v/x.go", text }], "/v", { rules: RULES, knownRules: KNOWN_IDS });
      const found = raceFindings(r, "/v/x.go");
      assert.equal(found.length, 1, name);
      assert.deepEqual(found[0]!.range, base[0]!.range, name);
      assert.deepEqual(found[0]!.range.start, expectedStart(text), name);
    }
  });

  test("a 50,000-line file is analysed, with its finding", { timeout: 60_000 }, () => {
    // A map-range-pick finding: global-map-race's fixes re-format the whole file
    // for each finding, which takes 20 s here (reported; not this test's subject).
    const head =
      'package main\n\nfunc first(m map[string]int) string {\n\tfor k := range m {\n\t\treturn k\n\t}\n\treturn ""\n}\n';
    const body = Array.from({ length: 50_000 }, (_, i) => `func f${i}(a, b int) int { return a + b*${i} }`).join("\n");
    const text = head + body + "\n";
    const t0 = performance.now();
    const r = analyzeSources([{ file: "/v/x.go", text }], "/v", { rules: RULES, knownRules: KNOWN_IDS });
    const ms = performance.now() - t0;
    assert.deepEqual(r.failures, []);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, f.range.start.line]),
      [["map-range-pick", 3]],
    );
    console.log(`50,000 lines (${(text.length / 1048576).toFixed(1)} MiB): ${ms.toFixed(0)} ms`);
  });

  test("every rule on a 10,000-level nesting returns at once, with no findings", { timeout: 60_000 }, () => {
    const N = 10_000;
    for (const [name, text] of [
      ["parenthesised expression", `package p\n\nvar x = ${"(".repeat(N)}m[1]${")".repeat(N)}\n`],
      [
        "nested blocks",
        `package p\n\nvar m = map[int]int{}\n\nfunc f() {\n${"{ m[1] = 2\n".repeat(N)}${"}\n".repeat(N)}}\n`,
      ],
      [
        "else-if chain",
        `package p\n\nvar m = map[int]int{}\n\nfunc f(a bool) {\n\tif a {\n${"\t} else if a {\n\t\tgo f(a)\n\t\tm[1] = 2\n".repeat(N)}\t}\n}\n`,
      ],
      ["binary chain", `package p\n\nfunc f() {\n\tx := 1${" + c.Get(1)".repeat(N)}\n}\n`],
    ]) {
      const t0 = performance.now();
      const r = analyzeSources([{ file: "/v/x.go", text: text! }], "/v", { rules: RULES, knownRules: KNOWN_IDS });
      const ms = performance.now() - t0;
      assert.deepEqual(r, { findings: [], failures: [] }, name!);
      assert.ok(ms < 10_000, `${name}: ${ms.toFixed(0)} ms`);
    }
    // Just under the limit, the rules run and still finish.
    const M = MAX_NESTING - 10;
    const text = `package p\n\nvar m = map[int]int{}\n\nfunc f() {\n${"go func() {\n".repeat(M)}m[1] = 2\n${"}()\n".repeat(M)}}\n`;
    const t0 = performance.now();
    const r = analyzeSources([{ file: "/v/x.go", text }], "/v", { rules: RULES, knownRules: KNOWN_IDS });
    assert.deepEqual(r.failures, []);
    assert.ok(r.findings.length > 0, "analysed below the limit");
    console.log(`${M} nested goroutines: ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

// The CLI: the same workspace, and broken configuration files.
const CLI = ["--import", pathToFileURL(require.resolve("tsx")).href, path.join(ROOT, "server", "src", "cli.ts")];

function mapctx(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [...CLI, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, MAPCTX_DEBUG: "" },
  });
  if (r.error) throw r.error;
  return r;
}

describe("hostile input through the CLI", () => {
  test("the run goes on: findings on stdout, one line per bad file on stderr", { timeout: 120_000 }, () => {
    const { dir, good, expect } = hostileWorkspace();
    for (const jobs of ["1", "2"]) {
      const r = mapctx(dir, "check", "--jobs", jobs, "--format", "json", ".");
      assert.equal(r.status, 1, r.stderr);
      const findings = JSON.parse(r.stdout).findings as { file: string; rule: string }[];
      assert.ok(
        findings.some((f) => f.file === path.relative(dir, good) && f.rule === "global-map-race"),
        r.stdout,
      );
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, expect.size, r.stderr);
      for (const [file, re] of expect) {
        const line = lines.find((l) => l.startsWith(path.relative(dir, file) + ": "));
        assert.ok(line, `no message for ${file} in\n${r.stderr}`);
        assert.match(line.slice(path.relative(dir, file).length + 2), re);
      }
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    }
  });

  test("a CRLF file: the text report gives the editor's column", () => {
    const dir = tempDir();
    const text = racy("main", "", "/* é */ ").replace(/\n/g, "\r\n");
    write(dir, "x.go", text);
    const r = mapctx(dir, "check", "x.go");
    const start = expectedStart(text);
    assert.match(
      r.stdout,
      new RegExp(`^x\\.go:${start.line + 1}:${start.character + 1}: map m is written`, "m"),
      r.stdout,
    );
  });

  test("a directory named x.go given as the path is walked", () => {
    const dir = tempDir();
    write(dir, "x.go/a.go", racy());
    const r = mapctx(dir, "check", "x.go");
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^x\.go[/\\]a\.go:8:\d+: map m is written/m);
  });

  for (const [name, content, message] of [
    ["invalid JSON", "{ rules: ", /\.mapctx\.json: invalid JSON/],
    ["a top-level array", "[]", /\.mapctx\.json: the configuration must be a JSON object/],
    ["rules of the wrong type", '{"rules": ["global-map-race"]}', /"rules" must be an object/],
    ["a severity of the wrong type", '{"rules": {"global-map-race": 3}}', /"rules\.global-map-race" must be one of/],
    ["exclude of the wrong type", '{"exclude": "vendor"}', /"exclude" must be an array of non-empty glob strings/],
    ["binary garbage", randomBytes(3, 200), /\.mapctx\.json: invalid JSON/],
  ] as const) {
    test(`a .mapctx.json with ${name}: exit 2 and one clear line`, () => {
      const dir = tempDir();
      write(dir, "x.go", racy());
      write(dir, ".mapctx.json", content);
      const r = mapctx(dir, "check", ".");
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^mapctx: /);
      assert.match(lines[0]!, message);
      assert.equal(r.stdout, "");
    });
  }
});
