// The generic "Ignore <rule-id> on this line" fix every finding carries: a
// directive above the line with its indentation, or the rule merged into a
// directive already there; applying it silences the finding.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { parseFile } from "../server/src/analysis/engine";
import { parseDirectives } from "../server/src/analysis/suppress";
import type { Finding } from "../server/src/analysis/types";
import { applyEdits } from "../server/src/fixes/apply";
import { ignoreFix, isIgnoreFix } from "../server/src/fixes/ignore";
import { ruleById } from "../server/src/rules";
import { analyze, ready } from "./helpers";

const globalMapRace = ruleById("global-map-race")!;

before(ready);

function handler(body: string): string {
  return `package main

import "net/http"

var m = map[string]int{}

func h(w http.ResponseWriter, r *http.Request) {
${body}
}
`;
}

function run(src: string): Finding[] {
  return analyze({ "a.go": src }, [globalMapRace]).findings;
}

/** The source after applying the only finding's ignore fix. */
function ignored(src: string): string {
  const findings = run(src).filter((f) => f.rule === "global-map-race");
  assert.equal(findings.length, 1, "expected one finding");
  const fix = findings[0]!.fixes.at(-1)!;
  assert.equal(fix.title, "Ignore global-map-race on this line");
  assert.ok(isIgnoreFix(fix));
  assert.equal(fix.safe, false);
  return applyEdits(src, fix.edits);
}

describe("ignore fix", () => {
  test("inserts a directive above the line with its tab indentation, and it silences the finding", () => {
    const out = ignored(handler('\tm["a"] = 1 // warm-up'));
    assert.equal(out, handler('\t//mapctx:ignore global-map-race explain why this is safe\n\tm["a"] = 1 // warm-up'));
    assert.deepEqual(run(out), []);
  });

  test("a line inside nested blocks keeps its depth", () => {
    const body = '\tif r != nil {\n\t\tfor i := 0; i < 2; i++ {\n\t\t\tm["a"] = i\n\t\t}\n\t}';
    const out = ignored(handler(body));
    assert.equal(
      out,
      handler(
        '\tif r != nil {\n\t\tfor i := 0; i < 2; i++ {\n\t\t\t//mapctx:ignore global-map-race explain why this is safe\n\t\t\tm["a"] = i\n\t\t}\n\t}',
      ),
    );
    assert.deepEqual(run(out), []);
  });

  test("space indentation is copied as it is", () => {
    const out = ignored(handler('    m["a"] = 1'));
    assert.equal(out, handler('    //mapctx:ignore global-map-race explain why this is safe\n    m["a"] = 1'));
  });

  test("merges into a directive on the line above, keeping its reason", () => {
    const out = ignored(handler('\t//mapctx:ignore nil-map-write made above\n\tm["a"] = 1'));
    assert.equal(out, handler('\t//mapctx:ignore nil-map-write,global-map-race made above\n\tm["a"] = 1'));
    assert.deepEqual(run(out), []);
  });

  test("merges into a directive at the end of the line", () => {
    const out = ignored(handler('\tm["a"] = 1 // mapctx:ignore nil-map-write set once'));
    assert.equal(out, handler('\tm["a"] = 1 // mapctx:ignore nil-map-write,global-map-race set once'));
    assert.deepEqual(run(out), []);
  });

  test("a directive naming no rule gets the rule and the placeholder", () => {
    const out = ignored(handler('\t//mapctx:ignore\n\tm["a"] = 1'));
    assert.equal(out, handler('\t//mapctx:ignore global-map-race explain why this is safe\n\tm["a"] = 1'));
    assert.deepEqual(run(out), []);
  });

  test("comes after the rule's own fixes", () => {
    for (const f of run(handler('\tm["a"] = 1\n\tdelete(m, "b")'))) {
      assert.ok(isIgnoreFix(f.fixes.at(-1)!));
      assert.equal(f.fixes.filter(isIgnoreFix).length, 1);
    }
  });

  test("not offered inside a declaration with syntax errors or on a line inside a raw string", () => {
    const src = 'package main\n\nvar s = `a\nb`\n\nfunc f() {\n\tx := \n}\n\nfunc g() {\n\tm["a"] = 1\n}\n';
    const syntax = parseFile("/virtual/a.go", src);
    try {
      const directives = parseDirectives(src, syntax.tree);
      assert.equal(ignoreFix(syntax, directives, "global-map-race", 3), undefined, "inside a raw string");
      assert.equal(ignoreFix(syntax, directives, "global-map-race", 6), undefined, "broken declaration");
      assert.ok(ignoreFix(syntax, directives, "global-map-race", 10), "intact declaration in a broken file");
    } finally {
      syntax.tree.delete();
    }
  });
});
