// The typed-key fix of context-key-builtin beyond its goldens: why a key gets no
// fix, that the fix needs workspace facts, that every finding offers the same
// fix, and the gofmt alignment helpers it relies on.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { analyzeSources, initParser, parseFile } from "../server/src/analysis/engine";
import { workspaceFromSources } from "../server/src/analysis/workspace";
import { alignComments, rewriteSpecGroup } from "../server/src/fixes/align";
import { applyEdits } from "../server/src/fixes/apply";
import { keyBaseName, TYPED_KEY_TITLE } from "../server/src/fixes/context-key";
import { KNOWN_IDS, ruleById } from "../server/src/rules";
import { analyzeCase, FIXTURES } from "./helpers";

const rule = ruleById("context-key-builtin")!;
const CASES = path.join(FIXTURES, "context-key-builtin");

before(() => initParser());

function typedFixes(casePath: string) {
  const r = analyzeCase(rule, casePath);
  assert.deepEqual(r.failures, []);
  return { ...r, fixes: r.findings.map((f) => f.fixes.find((x) => x.title === TYPED_KEY_TITLE)) };
}

describe("typed context key fix", () => {
  it("says why a key has no fix", () => {
    const { findings } = typedFixes(path.join(CASES, "no_fix.go"));
    const messages = findings.map((f) => f.message.replace(/^.*; no typed-key fix: /, ""));
    assert.deepEqual(messages, [
      '"user" is also used by c.Value, which mapctx cannot tell is a context lookup',
      "roleKey is also used as a plain string",
      "the exported constant SessionKey may be used as a string by other packages",
    ]);
    assert.ok(findings.every((f) => !f.fixes.some((x) => x.title === TYPED_KEY_TITLE)));
  });

  it("offers nothing for a package whose keys may come from variables, and no reason for non-constant keys", () => {
    const { findings } = typedFixes(path.join(CASES, "withvalue_builtin.go"));
    const user = findings.find((f) => f.message.startsWith("context key userKey"))!;
    assert.match(
      user.message,
      /; no typed-key fix: string keys also reach context values through \w+ in package keys$/,
    );
    const conversion = findings.find((f) => f.message.startsWith("context key string(rune(id))"))!;
    assert.doesNotMatch(conversion.message, /no typed-key fix/);
    assert.ok(findings.every((f) => !f.fixes.some((x) => x.title === TYPED_KEY_TITLE)));
  });

  it("is not offered without workspace facts: other packages may use the key", () => {
    const file = path.join(CASES, "typed_keys.go");
    const text = fs.readFileSync(file, "utf8");
    const { findings } = analyzeSources([{ file, text }], CASES, { rules: [rule], knownRules: KNOWN_IDS });
    assert.ok(findings.length > 0);
    for (const f of findings) {
      assert.ok(!f.fixes.some((x) => x.title === TYPED_KEY_TITLE), f.message);
      assert.doesNotMatch(f.message, /no typed-key fix/);
    }
  });

  it("offers one fix, the same for every finding, rewriting every string key of the package", () => {
    const { fixes, findings, sources } = typedFixes(path.join(CASES, "typed_keys.go"));
    const offered = fixes.filter((x) => x !== undefined);
    assert.equal(offered.length, findings.length - 1, "every string key (not the int key) has the fix");
    for (const x of offered) assert.deepEqual(x, offered[0]);
    assert.equal(offered[0]!.safe, true);
    // After the fix only the int key is left.
    const after = applyEdits(sources[0]!.text, offered[0]!.edits);
    const ws = workspaceFromSources([{ file: sources[0]!.file, text: after }]);
    try {
      const again = analyzeSources([{ file: sources[0]!.file, text: after }], CASES, {
        rules: [rule],
        knownRules: KNOWN_IDS,
        workspace: ws,
      });
      assert.deepEqual(
        again.findings.map((f) => f.message),
        ["context key 42 has built-in type int; values from other packages can collide with it"],
      );
    } finally {
      ws.dispose();
    }
  });

  it("rewrites another package's reads with the exported constant, as one multi-file fix", () => {
    const { fixes } = typedFixes(path.join(CASES, "cross_package"));
    const fix = fixes[0]!;
    for (const x of fixes) assert.deepEqual(x, fix);
    const files = [...new Set(fix.edits.map((e) => path.relative(path.join(CASES, "cross_package"), e.file)))].sort();
    assert.deepEqual(files, ["api/api.go", "auth/auth.go", "auth/auth_test.go"]);
    assert.ok(fix.edits.some((e) => e.newText === "auth.UserKey"));
    assert.ok(fix.edits.some((e) => e.newText.includes('"example.com/shop/auth"')));
  });

  it("derives constant names from the key", () => {
    const cases: [string, boolean, string][] = [
      ["user", false, "user"],
      ["user", true, "User"],
      ["request-id", false, "requestID"],
      ["request-id", true, "RequestID"],
      ["X-Trace-Id", false, "xTraceID"],
      ["userID", false, "userID"],
      ["api_key", false, "api"],
      ["id", true, "ID"],
      ["user.name", false, "userName"],
      ["1st", false, "k1st"],
      ["", false, "empty"],
    ];
    for (const [value, exported, want] of cases)
      assert.equal(keyBaseName(value, exported), want, JSON.stringify(value));
  });
});

describe("gofmt alignment of fixes", () => {
  const at = (line: number, character: number) => ({ line, character });
  function run(text: string, edits: { line: number; from: number; to: number; text: string }[]): string | null {
    const syntax = parseFile("/v/a.go", text);
    try {
      const out = alignComments(
        syntax,
        edits.map((e) => ({
          file: "/v/a.go",
          range: { start: at(e.line, e.from), end: at(e.line, e.to) },
          newText: e.text,
        })),
      );
      return out && applyEdits(text, out);
    } finally {
      syntax.tree.delete();
    }
  }

  it("re-pads the trailing comments of a run when a line grows or shrinks", () => {
    const src = "package a\n\nfunc f() {\n\ta := 1  // x\n\tbb := 2 // y\n\tc()     // z\n}\n";
    assert.equal(
      run(src, [{ line: 3, from: 1, to: 2, text: "aaaaaaa" }]),
      "package a\n\nfunc f() {\n\taaaaaaa := 1 // x\n\tbb := 2      // y\n\tc()          // z\n}\n",
    );
  });

  it("splits a run where a new line without comment goes in", () => {
    const src = "package a\n\nfunc f() {\n\ta := 1   // x\n\tbbbb() // y\n}\n";
    assert.equal(
      run(src, [{ line: 4, from: 0, to: 0, text: "\tnew()\n" }]),
      "package a\n\nfunc f() {\n\ta := 1 // x\n\tnew()\n\tbbbb() // y\n}\n",
    );
  });

  it("re-renders a const group with the type column gofmt keeps", () => {
    const src = 'package a\n\nconst (\n\ta   = "x" // c\n\tbbb = "y"\n\tn   = 3\n)\n';
    const syntax = parseFile("/v/a.go", src);
    try {
      const decl = syntax.tree.rootNode.namedChildren.find((c) => c?.type === "const_declaration")!;
      const spec = decl.namedChildren.find((c) => c?.type === "const_spec")!;
      const e = rewriteSpecGroup(syntax, decl, new Map([[spec.id, { type: "contextKey" }]]))!;
      assert.equal(
        applyEdits(src, [e]),
        'package a\n\nconst (\n\ta   contextKey = "x" // c\n\tbbb            = "y"\n\tn              = 3\n)\n',
      );
    } finally {
      syntax.tree.delete();
    }
  });
});
