// The mapctx command line, run as a child process in a temporary directory: the three
// output formats, exit codes, rule selection, configuration files and their errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, describe, test } from "node:test";
import { failureLines } from "../server/src/cli";
import { docsUrl } from "../server/src/analysis/docsUrl";
import { RULES } from "../server/src/rules";
import { FIXTURES, ROOT } from "./helpers";

/** Newest modification time under the given paths. */
function newest(paths: string[]): number {
  let t = 0;
  const stack = paths.map((p) => path.join(ROOT, p));
  while (stack.length) {
    const p = stack.pop()!;
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) stack.push(path.join(p, e));
    else t = Math.max(t, st.mtimeMs);
  }
  return t;
}

// The bundle when it is at least as new as the sources (npm test builds first), else the
// TypeScript source through tsx, so a stale bundle never hides a change. MAPCTX_CLI=dist|source forces one.
const BUNDLE = path.join(ROOT, "dist", "cli.js");
const bundleTime = fs.statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const useBundle =
  process.env.MAPCTX_CLI === "dist" ||
  (process.env.MAPCTX_CLI !== "source" && bundleTime >= newest(["server/src", "package.json"]));
const COMMAND = useBundle
  ? [BUNDLE]
  : ["--import", pathToFileURL(require.resolve("tsx")).href, path.join(ROOT, "server", "src", "cli.ts")];

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

function mapctx(cwd: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [...COMMAND, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, MAPCTX_DEBUG: "" },
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

/** A temporary directory holding the given files (paths relative to it). */
function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-cli-"));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** A handler writing package-level map `name` on line 8, column 2 (1-based). */
function racy(name = "m", pkg = "main"): string {
  return `package ${pkg}

import "net/http"

var ${name} = map[string]int{}

func h(w http.ResponseWriter, r *http.Request) {
\t${name}["a"] = 1
}
`;
}

const CLEAN = `package main

func main() {}
`;

/** The last line of a stderr that must be one clear message. */
function assertOneLineError(r: Run, ...parts: string[]): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^mapctx: /);
  for (const p of parts) assert.ok(lines[0]!.includes(p), `stderr ${JSON.stringify(lines[0])} should name ${p}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "stack trace on stderr");
}

interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  rule: string;
  severity: string;
  message: string;
  related: { file: string; line: number; column: number; endLine: number; endColumn: number; message: string }[];
  fixes: { title: string; safe: boolean; edits: unknown[] }[];
}

function json(r: Run): JsonFinding[] {
  const out = JSON.parse(r.stdout) as { version: number; findings: JsonFinding[] };
  assert.equal(out.version, 1);
  return out.findings;
}

describe(`cli (${useBundle ? "dist/cli.js" : "server/src/cli.ts via tsx"})`, () => {
  test("text: go vet style lines relative to the working directory, then a summary", () => {
    const dir = workspace({ "a.go": racy("m"), "sub/b.go": racy("n"), "sub/c.go": "package main\n" });
    const r = mapctx(dir, "check", "--rules", "global-map-race");
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, "");
    assert.deepEqual(r.stdout.split("\n"), [
      "a.go:8:2: map m is written here without a lock; handlers run concurrently (global-map-race)",
      `${path.join("sub", "b.go")}:8:2: map n is written here without a lock; handlers run concurrently (global-map-race)`,
      "2 findings (2 warnings) in 3 files",
      "",
    ]);
    // Paths stay relative to the working directory when PATH names a subdirectory.
    const sub = mapctx(dir, "check", "--rules", "global-map-race", "sub");
    assert.match(sub.stdout, /^sub[/\\]b\.go:8:2: /);
    assert.match(sub.stdout, /\n1 finding \(1 warning\) in 2 files\n$/);
  });

  test("text: no findings, exit 0", () => {
    const dir = workspace({ "main.go": CLEAN });
    const r = mapctx(dir, "check");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "no findings in 1 file\n");
    // A single file as PATH.
    const one = mapctx(dir, "check", "main.go");
    assert.equal(one.stdout, "no findings in 1 file\n");
  });

  test("json: shape, 1-based lines and UTF-16 columns after Chinese text and an emoji", () => {
    const line = '\ts := "中文🙂"; /* 注释 */ m[s] = 1 // 写入';
    const src = racy("m").replace('\tm["a"] = 1', line);
    const dir = workspace({ "svc/a.go": src });
    const r = mapctx(dir, "check", "--format", "json", "--rules", "global-map-race");
    assert.equal(r.code, 1, r.stderr);
    const findings = json(r);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    const col = line.indexOf("m[s]") + 1; // JS string indexes are UTF-16 code units
    assert.deepEqual(
      { file: f.file, line: f.line, column: f.column, endLine: f.endLine, endColumn: f.endColumn },
      { file: "svc/a.go", line: 8, column: col, endLine: 8, endColumn: col + "m[s]".length },
    );
    assert.equal(f.rule, "global-map-race");
    assert.equal(f.severity, "warning");
    assert.match(f.message, /^map m is written here without a lock/);
    assert.deepEqual(f.related, [
      { file: "svc/a.go", line: 5, column: 5, endLine: 5, endColumn: 6, message: "map m is declared here" },
    ]);
    assert.deepEqual(
      f.fixes.map((x: { title: string }) => x.title),
      ["Convert m to sync.Map", "Wrap m in an RWMutex-guarded type", "Guard m with a sync.RWMutex"],
    );
    assert.deepEqual(Object.keys(f), [
      "file",
      "line",
      "column",
      "endLine",
      "endColumn",
      "rule",
      "severity",
      "message",
      "related",
      "fixes",
    ]);
  });

  test("json and text omit suppressed findings", () => {
    const src = racy("m").replace('m["a"] = 1', 'm["a"] = 1 //mapctx:ignore global-map-race warmed once at start');
    const dir = workspace({ "a.go": src });
    const j = mapctx(dir, "check", "--format", "json");
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(json(j), []);
    assert.equal(mapctx(dir, "check").stdout, "no findings in 1 file\n");
  });

  test("sarif: 2.1.0 structure, every rule described, suppressed results marked", () => {
    const suppressed = racy("n").replace('n["a"] = 1', 'n["a"] = 1 //mapctx:ignore global-map-race single writer');
    const dir = workspace({ "a.go": racy("m"), "dir with space/b.go": suppressed.replace("func h(", "func h2(") });
    const r = mapctx(dir, "check", "--format", "sarif");
    assert.equal(r.code, 1, r.stderr);
    const log = JSON.parse(r.stdout);
    assert.equal(log.version, "2.1.0");
    assert.match(log.$schema, /sarif-2\.1\.0/);
    assert.equal(log.runs.length, 1);
    const run = log.runs[0];
    const driver = run.tool.driver;
    assert.equal(driver.name, "mapctx");
    assert.match(driver.version, /^\d+\.\d+\.\d+/);
    assert.match(driver.informationUri, /^https:\/\//);
    const ids = driver.rules.map((x: { id: string }) => x.id);
    for (const rule of RULES) assert.ok(ids.includes(rule.id), `rules[] lacks ${rule.id}`);
    assert.ok(ids.includes("unused-ignore"));
    for (const rule of driver.rules) {
      assert.equal(typeof rule.name, "string");
      assert.ok(rule.shortDescription.text.length > 0, `${rule.id}: shortDescription`);
      assert.ok(rule.fullDescription.text.length > 0, `${rule.id}: fullDescription`);
      assert.equal(rule.helpUri, docsUrl(rule.id));
      assert.match(rule.helpUri, new RegExp(`/blob/main/docs/rules/${rule.id}\\.md$`));
      assert.ok(["error", "warning", "note"].includes(rule.defaultConfiguration.level));
      const registered = RULES.find((x) => x.id === rule.id);
      const expected = { error: "error", warning: "warning", info: "note", hint: "note" }[
        registered?.severity ?? "hint"
      ];
      assert.equal(rule.defaultConfiguration.level, expected, rule.id);
    }
    assert.equal(run.results.length, 2);
    for (const res of run.results) {
      assert.equal(res.ruleId, "global-map-race");
      assert.equal(driver.rules[res.ruleIndex].id, res.ruleId);
      assert.equal(res.level, "warning");
      assert.match(res.message.text, /without a lock/);
      const loc = res.locations[0].physicalLocation;
      assert.equal(loc.artifactLocation.uriBaseId, "%SRCROOT%");
      assert.deepEqual(loc.region, { startLine: 8, startColumn: 2, endLine: 8, endColumn: 8 });
      assert.equal(res.relatedLocations[0].physicalLocation.region.startLine, 5);
      assert.match(res.partialFingerprints["mapctxFingerprint/v1"], /^[0-9a-f]{32}:1$/);
    }
    const [plain, silenced] = run.results;
    assert.equal(plain.locations[0].physicalLocation.artifactLocation.uri, "a.go");
    assert.equal(plain.suppressions, undefined);
    assert.equal(silenced.locations[0].physicalLocation.artifactLocation.uri, "dir%20with%20space/b.go");
    assert.deepEqual(silenced.suppressions, [{ kind: "inSource", justification: "single writer" }]);
    assert.ok(run.originalUriBaseIds["%SRCROOT%"].uri.endsWith("/"));
  });

  test("json and sarif carry the same fixes; a typed-key fix reaches packages outside the paths given", () => {
    // The module's auth package reads the key api sets; only api is checked.
    const module = path.join(FIXTURES, "context-key-builtin", "cross_package");
    const args = ["check", "--rules", "context-key-builtin", "api"];
    const findings = json(mapctx(module, ...args, "--format", "json"));
    const results = JSON.parse(mapctx(module, ...args, "--format", "sarif").stdout).runs[0].results;
    assert.equal(findings.length, 3);
    assert.equal(results.length, 3);
    const edit = (file: string, r: Record<string, number>, newText: string) =>
      `${file}:${r.line}:${r.column}-${r.endLine}:${r.endColumn} ${JSON.stringify(newText)}`;
    findings.forEach((f, i) => {
      const typed = f.fixes.find((x) => x.title === "Introduce a typed context key");
      assert.ok(typed, `${f.file}:${f.line}: typed-key fix`);
      const edits = typed.edits as ({ file: string; newText: string } & Record<string, number>)[];
      const sarif = results[i].fixes.find((x: { description: { text: string } }) => x.description.text === typed.title);
      assert.equal(sarif.properties.safe, true);
      const replaced: string[] = [];
      for (const change of sarif.artifactChanges)
        for (const r of change.replacements) {
          const d = r.deletedRegion;
          const region = { line: d.startLine, column: d.startColumn, endLine: d.endLine, endColumn: d.endColumn };
          replaced.push(edit(change.artifactLocation.uri, region, r.insertedContent.text));
        }
      assert.deepEqual(replaced.sort(), edits.map((e) => edit(e.file, e, e.newText)).sort());
    });
    assert.deepEqual(
      [
        ...new Set(findings.flatMap((f) => f.fixes.flatMap((x) => (x.edits as { file: string }[]).map((e) => e.file)))),
      ].sort(),
      ["api/api.go", "auth/auth.go", "auth/auth_test.go"],
    );
  });

  test("sarif: fingerprints survive lines moving and differ between findings", () => {
    const dir = workspace({ "a.go": racy("m") });
    const first = JSON.parse(mapctx(dir, "check", "--format", "sarif").stdout).runs[0].results[0];
    fs.writeFileSync(path.join(dir, "a.go"), racy("m").replace("var m", "// The cache.\n// 缓存。\nvar m"));
    const second = JSON.parse(mapctx(dir, "check", "--format", "sarif").stdout).runs[0].results[0];
    assert.equal(second.locations[0].physicalLocation.region.startLine, 10);
    assert.deepEqual(second.partialFingerprints, first.partialFingerprints);
    fs.writeFileSync(path.join(dir, "a.go"), racy("m").replace('m["a"] = 1', 'm["a"] = 1\n\tm["a"] = 1\n\tm["b"] = 1'));
    const three = JSON.parse(mapctx(dir, "check", "--format", "sarif").stdout).runs[0].results;
    const prints = three.map(
      (x: { partialFingerprints: Record<string, string> }) => x.partialFingerprints["mapctxFingerprint/v1"],
    );
    assert.equal(new Set(prints).size, 3, `fingerprints must be distinct: ${prints.join(" ")}`);
  });

  test("exit codes and --severity", () => {
    const dir = workspace({
      "a.go": racy("m"),
      "b.go": "package main\n\nfunc f() {} //mapctx:ignore global-map-race nothing here\n",
    });
    assert.equal(mapctx(dir, "check").code, 1);
    // Findings below the level are still printed but do not fail the run.
    const errorsOnly = mapctx(dir, "check", "--severity", "error");
    assert.equal(errorsOnly.code, 0);
    assert.match(errorsOnly.stdout, /a\.go:8:2: .*\(global-map-race\)/);
    // The unused directive is a hint: it fails the run only at --severity hint.
    const noRace = workspace({ "b.go": "package main\n\nfunc f() {} //mapctx:ignore global-map-race nothing here\n" });
    const atWarning = mapctx(noRace, "check");
    assert.equal(atWarning.code, 0);
    assert.match(
      atWarning.stdout,
      /b\.go:3:13: .*silences no finding.*\(unused-ignore\)\n1 finding \(1 hint\) in 1 file\n/,
    );
    assert.equal(mapctx(noRace, "check", "--severity=info").code, 0);
    assert.equal(mapctx(noRace, "check", "--severity", "hint").code, 1);
    assertOneLineError(mapctx(dir, "check", "--severity", "fatal"), "--severity", "fatal");
    assertOneLineError(mapctx(dir, "check", "--severity"), "--severity");
  });

  test("--rules runs only the named rules; unknown ids are a usage error", () => {
    const other = RULES.find((r) => r.id !== "global-map-race")!;
    const dir = workspace({ "a.go": racy("m") });
    const r = mapctx(dir, "check", "--format", "json", "--rules", other.id);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      json(r).filter((f) => f.rule === "global-map-race"),
      [],
    );
    const both = mapctx(dir, "check", "--format", "json", `--rules=${other.id},global-map-race`);
    assert.equal(json(both).filter((f) => f.rule === "global-map-race").length, 1);
    assertOneLineError(mapctx(dir, "check", "--rules", "global-map-race,no-such-rule"), "no-such-rule");
  });

  test("usage errors: unknown flag, unknown command, missing path", () => {
    const dir = workspace({ "a.go": CLEAN });
    assertOneLineError(mapctx(dir, "check", "--colour"), "--colour");
    assertOneLineError(mapctx(dir, "check", "--format", "xml"), "xml");
    assertOneLineError(mapctx(dir, "lint"), "lint");
    assertOneLineError(mapctx(dir, "check", "a.go", "missing/dir"), "missing/dir", "no such file");
    assertOneLineError(mapctx(dir, "check", "README"), "README");
    const none = mapctx(dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage:/);
  });

  test("--help, --version and rules", () => {
    const dir = workspace({});
    const help = mapctx(dir, "--help");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /mapctx check \[--format text\|json\|sarif\]/);
    const version = mapctx(dir, "--version");
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^mapctx \d+\.\d+\.\d+\n$/);
    const rules = mapctx(dir, "rules");
    assert.equal(rules.code, 0);
    const lines = rules.stdout.trimEnd().split("\n");
    assert.equal(lines.length, RULES.length + 1);
    for (const rule of RULES) {
      const line = lines.find((l) => l.startsWith(rule.id + " "));
      assert.ok(line, `mapctx rules lacks ${rule.id}`);
      assert.match(line, new RegExp(`^${rule.id}\\s+${rule.severity}\\s+\\S`));
      assert.ok(line.endsWith(rule.docs.title));
    }
  });

  test("configuration errors name the file and the key, exit 2, no stack trace", () => {
    const cases: [string, string, string[]][] = [
      ["invalid JSON", '{"rules": {', ["invalid JSON"]],
      ["unknown key", '{"rule": {}}', ['"rule"']],
      ["bad severity", '{"rules": {"global-map-race": "loud"}}', ["rules.global-map-race", "loud"]],
      ["unknown rule", '{"rules": {"no-such-rule": "off"}}', ["rules.no-such-rule"]],
      ["bad exclude", '{"exclude": "gen"}', ['"exclude"']],
    ];
    for (const [name, config, parts] of cases) {
      const dir = workspace({ ".mapctx.json": config, "pkg/a.go": racy("m") });
      const r = mapctx(dir, "check");
      assert.equal(r.stdout, "", name);
      assertOneLineError(r, ".mapctx.json", ...parts);
      // The same file given with --config.
      const moved = workspace({ "conf/custom.json": config, "a.go": CLEAN });
      assertOneLineError(mapctx(moved, "check", "--config", "conf/custom.json"), "custom.json", ...parts);
    }
    const dir = workspace({ "a.go": CLEAN });
    assertOneLineError(mapctx(dir, "check", "--config", "nope.json"), "nope.json");
  });

  test("exclude globs leave files and directories out", () => {
    const dir = workspace({
      ".mapctx.json": JSON.stringify({ exclude: ["gen/**", "**/*_mock.go"] }),
      "a.go": racy("m"),
      "gen/g.go": racy("g"),
      "svc/store_mock.go": racy("s"),
      "svc/store.go": racy("t"),
    });
    const r = mapctx(dir, "check", "--format", "json");
    assert.deepEqual(
      json(r)
        .map((f) => f.file)
        .sort(),
      ["a.go", "svc/store.go"],
    );
    assert.match(mapctx(dir, "check").stdout, /in 2 files\n$/);
  });

  test("the nearest .mapctx.json wins; --config applies everywhere", () => {
    const dir = workspace({
      ".mapctx.json": JSON.stringify({ rules: { "global-map-race": "off" } }),
      "a.go": racy("m"),
      "sub/.mapctx.json": JSON.stringify({ rules: { "global-map-race": "error" } }),
      "sub/b.go": racy("n"),
      "sub/deeper/c.go": racy("o"),
    });
    const r = mapctx(dir, "check", "--format", "json");
    assert.equal(r.code, 1);
    assert.deepEqual(
      json(r).map((f) => [f.file, f.severity]),
      [
        ["sub/b.go", "error"],
        ["sub/deeper/c.go", "error"],
      ],
    );
    assert.match(mapctx(dir, "check").stdout, /2 findings \(2 errors\) in 3 files/);
    const fixed = mapctx(dir, "check", "--format", "json", "--config", ".mapctx.json");
    assert.equal(fixed.code, 0);
    assert.deepEqual(json(fixed), []);
  });

  test("oversized files are noted on stderr and skipped", () => {
    const dir = workspace({ "a.go": CLEAN });
    fs.writeFileSync(path.join(dir, "big.go"), "package main\n\n// " + "x".repeat(4.5 * 1024 * 1024) + "\n");
    const r = mapctx(dir, "check");
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^big\.go: skipped: 4\.5 MiB is over the 4 MiB limit\n$/);
    assert.equal(r.stdout, "no findings in 1 file\n");
  });
});

test("a failing rule is reported once per rule, naming a file", () => {
  const cwd = path.join(path.sep, "work");
  const lines = failureLines(
    [
      { rule: "boom", file: path.join(cwd, "a.go"), message: "kaput" },
      { rule: "boom", file: path.join(cwd, "b.go"), message: "kaput" },
      { rule: "bang", file: path.join(cwd, "c.go"), message: "oops" },
    ],
    cwd,
  );
  assert.deepEqual(lines, [
    "mapctx: rule boom failed on a.go (and 1 other file): kaput; the other rules still ran",
    "mapctx: rule bang failed on c.go: oops; the other rules still ran",
  ]);
});
