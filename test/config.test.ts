// `.mapctx.json`: validation with errors that name the file and the key, the nearest
// file up the tree winning, a fixed --config file, and exclude globs.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { ConfigResolver, loadConfigFile, validateConfig } from "../server/src/analysis/config";
import { UserError } from "../server/src/analysis/types";
import { KNOWN_IDS } from "../server/src/rules";

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-config-"));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Asserts that `fn` throws a one-line UserError mentioning every part. */
function throwsUserError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes("\n"), `message spans lines: ${e.message}`);
    for (const p of parts) assert.ok(e.message.includes(p), `${JSON.stringify(e.message)} should mention ${p}`);
    return true;
  });
}

describe("configuration", () => {
  test("a valid file: severities, off, exclude and $schema", () => {
    const c = validateConfig(
      { $schema: "x", rules: { "global-map-race": "error", "unused-ignore": "off" }, exclude: ["gen/**"] },
      "cfg.json",
      KNOWN_IDS,
      "/root",
    );
    assert.deepEqual(c, {
      rules: { "global-map-race": "error", "unused-ignore": "off" },
      exclude: ["gen/**"],
      root: "/root",
    });
    assert.deepEqual(validateConfig({}, "cfg.json", KNOWN_IDS, "/r"), { rules: {}, exclude: [], root: "/r" });
  });

  test("errors name the file and the key", () => {
    const v = (value: unknown) => () => validateConfig(value, "/p/.mapctx.json", KNOWN_IDS, "/p");
    throwsUserError(v([]), "/p/.mapctx.json", "JSON object");
    throwsUserError(v({ exclude: [], severity: "error" }), "/p/.mapctx.json", '"severity"');
    throwsUserError(v({ rules: ["global-map-race"] }), "/p/.mapctx.json", '"rules"');
    throwsUserError(v({ rules: { "global-map-race": "fatal" } }), "/p/.mapctx.json", "rules.global-map-race", "fatal");
    throwsUserError(v({ rules: { "global-map-race": 1 } }), "rules.global-map-race");
    throwsUserError(v({ rules: { "no-such-rule": "off" } }), "/p/.mapctx.json", "rules.no-such-rule");
    throwsUserError(v({ exclude: "gen/**" }), '"exclude"');
    throwsUserError(v({ exclude: ["ok", ""] }), '"exclude"');
  });

  test("unreadable and invalid JSON files", () => {
    const dir = tree({ "bad.json": "{ rules: }", "trailing.json": '{"rules": {},}' });
    throwsUserError(() => loadConfigFile(path.join(dir, "bad.json"), KNOWN_IDS), "bad.json", "invalid JSON");
    throwsUserError(() => loadConfigFile(path.join(dir, "trailing.json"), KNOWN_IDS), "trailing.json", "invalid JSON");
    throwsUserError(() => loadConfigFile(path.join(dir, "missing.json"), KNOWN_IDS), "missing.json", "ENOENT");
    const c = loadConfigFile(path.join(tree({ "c.json": '{"exclude": ["x"]}' }), "c.json"), KNOWN_IDS);
    assert.ok(c.file?.endsWith("c.json"));
  });

  test("the nearest file up the tree applies to a Go file", () => {
    const dir = tree({
      ".mapctx.json": '{"rules": {"global-map-race": "off"}}',
      "a/.mapctx.json": '{"rules": {"global-map-race": "error"}}',
      "a/b/c/x.go": "",
      "d/y.go": "",
    });
    const r = new ConfigResolver(KNOWN_IDS);
    assert.equal(r.forFile(path.join(dir, "a/b/c/x.go")).rules["global-map-race"], "error");
    assert.equal(r.forFile(path.join(dir, "a/b/c/x.go")).file, path.join(dir, "a", ".mapctx.json"));
    assert.equal(r.forFile(path.join(dir, "d/y.go")).rules["global-map-race"], "off");
    assert.equal(r.forFile(path.join(dir, "z.go")).file, path.join(dir, ".mapctx.json"));
    // A directory named .mapctx.json is not a configuration.
    const odd = tree({ "p/.mapctx.json/keep": "", "p/q.go": "" });
    assert.equal(new ConfigResolver(KNOWN_IDS).forFile(path.join(odd, "p", "q.go")).file, undefined);
  });

  test("a broken file further up is reported only for files it applies to", () => {
    const dir = tree({ ".mapctx.json": "{", "ok/.mapctx.json": "{}", "ok/x.go": "" });
    const r = new ConfigResolver(KNOWN_IDS);
    assert.equal(r.forFile(path.join(dir, "ok", "x.go")).file, path.join(dir, "ok", ".mapctx.json"));
    throwsUserError(() => r.forFile(path.join(dir, "y.go")), path.join(dir, ".mapctx.json"), "invalid JSON");
  });

  test("a fixed configuration applies everywhere", () => {
    const dir = tree({ "a/.mapctx.json": '{"rules": {"global-map-race": "error"}}', "fixed.json": "{}" });
    const fixed = loadConfigFile(path.join(dir, "fixed.json"), KNOWN_IDS);
    const r = new ConfigResolver(KNOWN_IDS, fixed);
    assert.equal(r.forFile(path.join(dir, "a", "x.go")), fixed);
    assert.equal(r.forFile(path.join(os.tmpdir(), "elsewhere.go")), fixed);
  });

  test("exclude globs are relative to the configuration's directory", () => {
    const dir = tree({
      "svc/.mapctx.json": JSON.stringify({ exclude: ["gen/**", "**/*_mock.go", "legacy"] }),
    });
    const r = new ConfigResolver(KNOWN_IDS);
    const svc = path.join(dir, "svc");
    assert.ok(r.isExcluded(path.join(svc, "gen"), true));
    assert.ok(r.isExcluded(path.join(svc, "gen", "x.go"), false));
    assert.ok(r.isExcluded(path.join(svc, "store_mock.go"), false));
    assert.ok(r.isExcluded(path.join(svc, "deep", "er", "store_mock.go"), false));
    assert.ok(r.isExcluded(path.join(svc, "legacy"), true));
    assert.ok(!r.isExcluded(path.join(svc, "store.go"), false));
    assert.ok(!r.isExcluded(path.join(svc, "api", "gen.go"), false));
    // Files outside the configuration's tree are not matched against its globs.
    assert.ok(!r.isExcluded(path.join(dir, "gen", "x.go"), false));
  });
});
