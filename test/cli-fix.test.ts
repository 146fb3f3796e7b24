// `mapctx fix` on a temporary copy of a module: --diff and --dry-run write
// nothing, a real run applies the safe fixes (never the ignore fix) and a
// following `check` no longer reports what they fixed; overlapping fixes are
// applied over several rounds.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigResolver } from "../server/src/analysis/config";
import { rangeOf } from "../server/src/analysis/syntax";
import { run } from "../server/src/cli";
import { KNOWN_IDS } from "../server/src/rules";
import type { Rule } from "../server/src/analysis/rule";
import { fixPaths } from "../server/src/workspace/fix";
import { ready } from "./helpers";

const HANDLERS = `package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func auth(c *gin.Context) {
	c.Keys["user"] = "alice"
	c.Next()
}

func profile(c *gin.Context) {
	v, ok := c.Keys["v"]
	c.JSON(http.StatusOK, gin.H{"v": v, "ok": ok, "user": c.Keys["user"]})
}
`;

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function module(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-fix-"));
  temps.push(dir);
  fs.writeFileSync(path.join(dir, "go.mod"), "module example.com/web\n\ngo 1.19\n");
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

async function findings(dir: string): Promise<string[]> {
  const r = await run(["check", "--format", "json", "--rules", "gin-keys-direct", "."], dir);
  const out = JSON.parse(r.stdout) as { findings: { file: string; line: number; message: string }[] };
  return out.findings.map((f) => `${f.file}:${f.line}: ${f.message}`);
}

before(ready);

describe("mapctx fix", () => {
  test("--diff prints a unified diff and writes nothing", async () => {
    const dir = module({ "api/handlers.go": HANDLERS });
    const r = await run(["fix", "--diff", "."], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(dir, "api/handlers.go"), "utf8"), HANDLERS);
    assert.match(r.stdout, /^--- a\/api\/handlers\.go\n\+\+\+ b\/api\/handlers\.go\n@@ -7,11 \+7,11 @@\n/);
    assert.match(r.stdout, /\n-\tc\.Keys\["user"\] = "alice"\n\+\tc\.Set\("user", "alice"\)\n/);
    assert.match(r.stdout, /\n-\tv, ok := c\.Keys\["v"\]\n\+\tv, ok := c\.Get\("v"\)\n/);
    // The read in expression position has only an unsafe fix.
    assert.doesNotMatch(r.stdout, /c\.Value/);
    assert.doesNotMatch(r.stdout, /mapctx:ignore/);
  });

  test("--dry-run lists what would change and writes nothing", async () => {
    const dir = module({ "api/handlers.go": HANDLERS });
    const r = await run(["fix", "--dry-run"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${path.join("api", "handlers.go")}: 2 fixes would be applied (Use c.Set / c.Get)\n`);
    assert.equal(fs.readFileSync(path.join(dir, "api/handlers.go"), "utf8"), HANDLERS);
  });

  test("applies the safe fixes; check then reports only what has no safe fix", async () => {
    const dir = module({ "api/handlers.go": HANDLERS });
    assert.equal((await findings(dir)).length, 3);
    const r = await run(["fix", "--rules", "gin-keys-direct", "api"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${path.join("api", "handlers.go")}: 2 fixes applied (Use c.Set / c.Get)\n`);
    const text = fs.readFileSync(path.join(dir, "api/handlers.go"), "utf8");
    assert.match(text, /\tc\.Set\("user", "alice"\)\n/);
    assert.match(text, /\tv, ok := c\.Get\("v"\)\n/);
    assert.deepEqual(await findings(dir), [
      "api/handlers.go:16: c.Keys is read directly; gin guards it with a lock only inside c.Set and c.Get",
    ]);
    const again = await run(["fix", "."], dir);
    assert.equal(again.stdout, "no fixes to apply\n");
  });

  test("--unsafe also applies fixes that need review, but never the ignore fix", async () => {
    const dir = module({ "api/handlers.go": HANDLERS });
    const r = await run(["fix", "--unsafe", "."], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${path.join("api", "handlers.go")}: 3 fixes applied (Use c.Set / c.Get)\n`);
    const text = fs.readFileSync(path.join(dir, "api/handlers.go"), "utf8");
    assert.match(text, /"user": c\.Value\("user"\)/);
    assert.doesNotMatch(text, /mapctx:ignore/);
    assert.deepEqual(await findings(dir), []);
  });

  test("usage errors exit 2", async () => {
    const dir = module({ "a.go": HANDLERS });
    for (const args of [
      ["--dry-run", "--diff"],
      ["--bogus"],
      ["--rules", "no-such-rule"],
      ["--unsafe=yes"],
      ["missing/"],
    ]) {
      const r = await run(["fix", ...args], dir);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}`);
      assert.match(r.stderr, /^mapctx: /);
    }
  });

  test("fixes that overlap an earlier choice are applied in a later round", () => {
    // A stand-in rule: each `FOO` becomes `BAR` and adds a header line at the
    // top of the file; the headers collide, so one fix per round goes in.
    const fake: Rule = {
      id: "global-map-race",
      severity: "warning",
      related: [],
      docs: { title: "", flags: "", why: "", bad: "", good: "", fix: "", silent: [] },
      detect(ctx) {
        const out = [];
        const stack = [ctx.file.tree.rootNode];
        while (stack.length) {
          const n = stack.pop()!;
          if (n.type === "identifier" && n.text === "FOO") {
            const r = rangeOf(n);
            out.push({
              range: r,
              message: "FOO",
              fixes: [
                {
                  title: `Rename FOO on line ${r.start.line + 1}`,
                  safe: true,
                  edits: [
                    { file: ctx.file.file, range: r, newText: "BAR" },
                    {
                      file: ctx.file.file,
                      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
                      newText: `// renamed on line ${r.start.line + 1}\n`,
                    },
                  ],
                },
              ],
            });
          }
          for (const c of n.namedChildren) if (c) stack.push(c);
        }
        return out;
      },
    };
    const dir = module({ "a.go": "package a\n\nvar FOO = 1\n\nfunc f() int { return FOO }\n" });
    const result = fixPaths([dir], {
      rules: [fake],
      knownRules: KNOWN_IDS,
      config: new ConfigResolver(KNOWN_IDS),
      write: true,
    });
    assert.equal(result.changes.length, 1);
    assert.equal(result.changes[0]!.titles.length, 2);
    const text = fs.readFileSync(path.join(dir, "a.go"), "utf8");
    assert.doesNotMatch(text, /FOO/);
    assert.equal(text.match(/^\/\/ renamed on line/gm)?.length, 2);
  });
});
