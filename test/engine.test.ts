// The engine and file discovery: package facts across files, package clauses,
// UTF-16 columns, byte order marks, a rule that throws, and what discovery skips.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigResolver } from "../server/src/analysis/config";
import { isGenerated } from "../server/src/analysis/facts";
import { KNOWN_IDS, ruleById, type Rule } from "../server/src/rules";
import { checkPaths } from "../server/src/workspace/check";
import { discover, MAX_FILE_BYTES, readGoFile } from "../server/src/workspace/discover";
import { analyze, ready } from "./helpers";

const globalMapRace = ruleById("global-map-race")!;
const ONLY_RACE = [globalMapRace];

before(ready);

const DECLARE = `package store

// 缓存：所有请求共享
var cache = map[string]string{}
`;

const WRITE = `package store

import "net/http"

func put(w http.ResponseWriter, r *http.Request) {
\tcache[r.URL.Path] = "x"
}
`;

describe("engine", () => {
  test("a map declared in one file and written in another of the same package is found", () => {
    const { findings, failures } = analyze({ "decl.go": DECLARE, "write.go": WRITE }, ONLY_RACE);
    assert.deepEqual(failures, []);
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(path.basename(f.file), "write.go");
    assert.deepEqual(f.range, { start: { line: 5, character: 1 }, end: { line: 5, character: 18 } });
    assert.equal(path.basename(f.related[0]!.file), "decl.go", "related points at the declaration in the other file");
    assert.equal(f.related[0]!.range.start.line, 3);
  });

  test("files with different package clauses in one directory are separate packages", () => {
    const other = WRITE.replace("package store", "package store_test");
    const { findings } = analyze({ "decl.go": DECLARE, "write_test.go": other }, ONLY_RACE);
    assert.deepEqual(findings, []);
  });

  test("Chinese comments and strings before a finding do not shift its column (UTF-16)", () => {
    const line = '\tnote := "用户会话 🙂"; /* 中文注释 */ cache[note] = "值"';
    const src = `package store

// 这个包保存会话。包含 emoji 🙂 和中文。
import "net/http"

var cache = map[string]string{} // 缓存

func put(w http.ResponseWriter, r *http.Request) {
${line}
}
`;
    const { findings } = analyze({ "a.go": src }, ONLY_RACE);
    assert.equal(findings.length, 1);
    const start = line.indexOf("cache[note]"); // a JS string index counts UTF-16 code units
    assert.deepEqual(findings[0]!.range, {
      start: { line: 8, character: start },
      end: { line: 8, character: start + "cache[note]".length },
    });
    // The related declaration follows a line with an emoji (two UTF-16 units).
    assert.deepEqual(findings[0]!.related[0]!.range.start, { line: 5, character: 4 });
  });

  test("a byte order mark is stripped", () => {
    const plain = analyze({ "decl.go": DECLARE, "write.go": WRITE }, ONLY_RACE);
    const bom = analyze({ "decl.go": "\uFEFF" + DECLARE, "write.go": "\uFEFF" + WRITE }, ONLY_RACE);
    assert.equal(plain.findings.length, 1);
    assert.deepEqual(bom.findings, plain.findings);
    // On the first line too: the directive's column is not shifted by the mark.
    const first = analyze({ "a.go": "\uFEFF//mapctx:ignore global-map-race stale\npackage store\n" }, ONLY_RACE);
    assert.equal(first.findings.length, 1);
    assert.equal(first.findings[0]!.rule, "unused-ignore");
    assert.deepEqual(first.findings[0]!.range.start, { line: 0, character: 0 });
  });

  test("a rule that throws is reported once and does not stop the others", () => {
    const boom: Rule = {
      id: "boom",
      severity: "error",
      docs: globalMapRace.docs,
      related: [],
      detect() {
        throw new Error("kaput");
      },
    };
    const src = DECLARE + WRITE.replace("package store\n", "");
    const { findings, failures } = analyze({ "a.go": src }, [boom, globalMapRace]);
    assert.equal(failures.length, 1);
    assert.deepEqual(failures[0], { rule: "boom", file: path.join("/virtual", "a.go"), message: "kaput" });
    assert.deepEqual(
      findings.map((f) => f.rule),
      ["global-map-race"],
    );
    // Order does not matter: a failing rule after a working one changes nothing either.
    const reversed = analyze({ "a.go": src }, [globalMapRace, boom]);
    assert.deepEqual(reversed.findings, findings);
    assert.equal(reversed.failures.length, 1);
  });

  test("a directive for a rule that failed is not reported as unused", () => {
    const boom: Rule = {
      id: "global-map-race",
      severity: "warning",
      docs: globalMapRace.docs,
      related: [],
      detect() {
        throw new TypeError("cannot read properties of null");
      },
    };
    const src =
      DECLARE + WRITE.replace("package store\n", "").replace('= "x"', '= "x" //mapctx:ignore global-map-race ok');
    const { findings, failures } = analyze({ "a.go": src }, [boom]);
    assert.equal(failures.length, 1);
    assert.deepEqual(findings, []);
  });

  test("a file that does not parse cleanly does not stop its package", () => {
    const broken = "package store\n\nfunc half( {\n\tcache[\n";
    const { findings, failures } = analyze({ "decl.go": DECLARE, "write.go": WRITE, "broken.go": broken }, ONLY_RACE);
    assert.deepEqual(failures, []);
    assert.equal(findings.filter((f) => path.basename(f.file) === "write.go").length, 1);
  });
});

describe("discovery", () => {
  const temps: string[] = [];
  after(() => {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  });

  function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-engine-"));
    temps.push(dir);
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
  }

  function listed(dir: string, paths = [dir]): string[] {
    const { dirs } = discover(paths, new ConfigResolver(KNOWN_IDS));
    return [...dirs.values()].flat().map((f) => path.relative(dir, f).split(path.sep).join("/"));
  }

  test("vendor, testdata, node_modules, hidden and underscore directories are skipped", () => {
    const racy = DECLARE + WRITE.replace("package store\n", "");
    const dir = tree({
      "a.go": racy,
      "sub/b.go": racy,
      "vendor/v/v.go": racy,
      "testdata/t.go": racy,
      "node_modules/n/n.go": racy,
      ".git/g.go": racy,
      ".hidden/h.go": racy,
      "_old/o.go": racy,
      "sub/vendor/x.go": racy,
      "notes.txt": "not go",
    });
    assert.deepEqual(listed(dir), ["a.go", "sub/b.go"]);
    // A file named explicitly is taken even inside a skipped directory.
    assert.deepEqual(listed(dir, [path.join(dir, "testdata", "t.go")]), ["testdata/t.go"]);
  });

  test("a generated file is not reported on, but its declarations are package facts", () => {
    const generated = "// Code generated by go generate; DO NOT EDIT.\n\n" + DECLARE;
    const dir = tree({ "cache_gen.go": generated, "put.go": WRITE });
    const result = checkPaths([dir], {
      rules: ONLY_RACE,
      knownRules: KNOWN_IDS,
      config: new ConfigResolver(KNOWN_IDS),
    });
    assert.equal(result.filesAnalyzed, 1);
    assert.deepEqual(
      result.findings.map((f) => [path.basename(f.file), f.rule]),
      [["put.go", "global-map-race"]],
    );
    // The fixes would have to rewrite the generated declaration: none is offered.
    assert.deepEqual(
      result.findings[0]!.fixes.map((f) => f.title).filter((t) => !t.startsWith("Ignore")),
      [],
    );
  });

  test("generated files are skipped", () => {
    const generated =
      "// Code generated by stringer; DO NOT EDIT.\n\n" + DECLARE + WRITE.replace("package store\n", "");
    const dir = tree({ "gen.go": generated, "x.go": "package store\n" });
    assert.deepEqual(readGoFile(path.join(dir, "gen.go")), { skip: "generated", source: generated });
    const result = checkPaths([dir], {
      rules: ONLY_RACE,
      knownRules: KNOWN_IDS,
      config: new ConfigResolver(KNOWN_IDS),
    });
    assert.equal(result.filesAnalyzed, 1);
    assert.deepEqual(result.findings, []);
    assert.ok(isGenerated("// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n"));
    // The marker must be a whole line before the package clause.
    assert.ok(!isGenerated("package x\n\n// Code generated by hand. DO NOT EDIT.\n"));
    assert.ok(!isGenerated("// This code generated nothing. DO NOT EDIT. please\npackage x\n"));
  });

  test("an oversized file is left out with a note", () => {
    const dir = tree({ "small.go": "package store\n" });
    fs.writeFileSync(path.join(dir, "big.go"), "package store\n// " + "x".repeat(MAX_FILE_BYTES) + "\n");
    const r = readGoFile(path.join(dir, "big.go"));
    assert.ok("note" in r && /over the 4 MiB limit/.test(r.note), JSON.stringify(r).slice(0, 200));
    const result = checkPaths([dir], {
      rules: ONLY_RACE,
      knownRules: KNOWN_IDS,
      config: new ConfigResolver(KNOWN_IDS),
    });
    assert.equal(result.filesAnalyzed, 1);
    assert.deepEqual(
      result.notes.map((n) => path.basename(n.file)),
      ["big.go"],
    );
  });

  test("a symlink loop does not hang discovery", { timeout: 10_000 }, (t) => {
    const dir = tree({ "a.go": "package store\n", "sub/b.go": "package sub\n" });
    try {
      fs.symlinkSync(dir, path.join(dir, "sub", "loop"), "dir");
      fs.symlinkSync(path.join(dir, "sub"), path.join(dir, "sub", "self"), "dir");
    } catch (e) {
      t.skip(`cannot create symlinks here (${(e as NodeJS.ErrnoException).code})`);
      return;
    }
    assert.deepEqual(listed(dir), ["a.go", "sub/b.go"]);
  });

  test("a missing path is a user error", () => {
    assert.throws(() => discover([path.join(os.tmpdir(), "mapctx-no-such-dir")]), { name: "UserError" });
  });
});
