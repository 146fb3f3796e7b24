// Suppression directives: //mapctx:ignore (line above or end of line), //mapctx:file-ignore,
// //nolint, and the unused-ignore findings for directives that silence nothing.
import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { analyzeSources } from "../server/src/analysis/engine";
import type { Finding } from "../server/src/analysis/types";
import { KNOWN_IDS, ruleById } from "../server/src/rules";
import { analyze, ready } from "./helpers";

const globalMapRace = ruleById("global-map-race")!;

before(ready);

/** A handler writing the package-level map `m`; `body` replaces the write on line 8 (0-based 7). */
function handler(body = '\tm["a"] = 1', above = ""): string {
  return `package main

import "net/http"
${above}
var m = map[string]int{}

func h(w http.ResponseWriter, r *http.Request) {
${body}
}
`;
}

function run(src: string): Finding[] {
  return analyze({ "a.go": src }, [globalMapRace]).findings;
}

function rules(findings: Finding[]): string[] {
  return findings.map((f) => `${f.range.start.line}:${f.rule}`);
}

describe("suppression", () => {
  test("without a directive the write is flagged", () => {
    assert.deepEqual(rules(run(handler())), ["7:global-map-race"]);
  });

  test("//mapctx:ignore on the line above", () => {
    assert.deepEqual(run(handler('\t//mapctx:ignore global-map-race written once at start-up\n\tm["a"] = 1')), []);
  });

  test("//mapctx:ignore at the end of the line", () => {
    assert.deepEqual(run(handler('\tm["a"] = 1 //mapctx:ignore global-map-race single writer')), []);
  });

  test("an ignore two lines above does not apply", () => {
    const src = handler('\t//mapctx:ignore global-map-race too far\n\n\tm["a"] = 1');
    assert.deepEqual(rules(run(src)).sort(), ["7:unused-ignore", "9:global-map-race"]);
  });

  test("several ids in one directive", () => {
    const src = handler('\tm["a"] = 1 //mapctx:ignore nil-map-write,global-map-race both are fine here');
    assert.deepEqual(run(src), []);
    const other = handler('\tm["a"] = 1 //mapctx:ignore nil-map-write wrong rule');
    assert.deepEqual(rules(run(other)), ["7:global-map-race"]);
  });

  test("//mapctx:file-ignore silences the rule in the whole file only", () => {
    const src = handler(
      '\tm["a"] = 1\n\tm["b"] = 2',
      "\n//mapctx:file-ignore global-map-race legacy code, rewritten in #12\n",
    );
    assert.deepEqual(run(src), []);
    const sibling = handler('\tm["c"] = 3').replace("var m = map[string]int{}\n", "").replace("func h(", "func h2(");
    const both = analyze({ "a.go": src, "b.go": sibling }, [globalMapRace]).findings;
    assert.deepEqual(
      both.map((f) => `${path.basename(f.file)}:${f.rule}`),
      ["b.go:global-map-race"],
    );
  });

  test("//nolint:mapctx, bare //nolint and //nolint naming mapctx among others", () => {
    assert.deepEqual(run(handler('\tm["a"] = 1 //nolint:mapctx // warmed once')), []);
    assert.deepEqual(run(handler('\tm["a"] = 1 //nolint')), []);
    assert.deepEqual(run(handler('\tm["a"] = 1 //nolint:errcheck,mapctx')), []);
  });

  test("//nolint for other linters only does not apply", () => {
    assert.deepEqual(rules(run(handler('\tm["a"] = 1 //nolint:errcheck,gosec // not ours'))), ["7:global-map-race"]);
  });

  test("a directive inside a string literal is not a directive", () => {
    const src = handler('\ts := "x //mapctx:ignore global-map-race"; m[s] = 1');
    assert.deepEqual(rules(run(src)), ["7:global-map-race"]);
    const raw = handler("\tk := `\n//mapctx:ignore global-map-race`; m[k] = 1");
    assert.deepEqual(rules(run(raw)), ["8:global-map-race"]);
    const nolint = handler('\ts := "//nolint"; m[s] = 1');
    assert.deepEqual(rules(run(nolint)), ["7:global-map-race"]);
  });

  test("a directive mentioned inside a longer comment is not a directive", () => {
    const src = handler('\tm["a"] = 1 // do not add //mapctx:ignore global-map-race here');
    assert.deepEqual(rules(run(src)), ["7:global-map-race"]);
  });

  test("unused-ignore: a directive that matches nothing is a hint tagged unnecessary", () => {
    const src = handler('\tm["a"] = 1\n\t_ = 2 //mapctx:ignore global-map-race stale');
    const found = run(src);
    assert.deepEqual(rules(found), ["7:global-map-race", "8:unused-ignore"]);
    const u = found[1]!;
    assert.equal(u.severity, "hint");
    assert.deepEqual(u.tags, ["unnecessary"]);
    assert.match(u.message, /global-map-race silences no finding/);
    assert.deepEqual(u.range.start, { line: 8, character: "\t_ = 2 ".length });
  });

  test("unused-ignore: unknown rule ids, a missing id, an unused file-ignore and an unused //nolint:mapctx", () => {
    const unknown = run(handler('\tm["a"] = 1 //mapctx:ignore global-map-race,no-such-rule typo'));
    assert.deepEqual(rules(unknown), ["7:unused-ignore"]);
    assert.match(unknown[0]!.message, /unknown rule no-such-rule/);
    const missing = run(handler('\tm["a"] = 1\n\t_ = 1 //mapctx:ignore'));
    assert.match(missing.find((f) => f.rule === "unused-ignore")!.message, /names no rule/);
    const file = run("//mapctx:file-ignore global-map-race nothing to hide\npackage main\n");
    assert.deepEqual(rules(file), ["0:unused-ignore"]);
    assert.match(file[0]!.message, /in this file/);
    const nolint = run("package main\n\nfunc f() {} //nolint:mapctx\n");
    assert.deepEqual(rules(nolint), ["2:unused-ignore"]);
  });

  test("a bare //nolint that silences nothing is not reported: it may be meant for another linter", () => {
    assert.deepEqual(run("package main\n\nfunc f() {} //nolint\n"), []);
    assert.deepEqual(run("package main\n\nfunc f() {} //nolint:errcheck\n"), []);
  });

  test("unused-ignore is not reported for a rule turned off or not run", () => {
    const src = handler('\tm["a"] = 1\n\t_ = 2 //mapctx:ignore global-map-race stale');
    const off = analyzeSources([{ file: "/virtual/a.go", text: src }], "/virtual", {
      rules: [globalMapRace],
      knownRules: KNOWN_IDS,
      severityFor: (rule) => (rule === "global-map-race" ? "off" : undefined),
    });
    assert.deepEqual(off.findings, []);
    const notRun = analyze({ "a.go": src }, []).findings;
    assert.deepEqual(notRun, []);
  });

  test("unused-ignore follows the configured severity and can be turned off", () => {
    const src = "package main\n\nfunc f() {} //mapctx:ignore global-map-race stale\n";
    const opts = { rules: [globalMapRace], knownRules: KNOWN_IDS };
    const warn = analyzeSources([{ file: "/v/a.go", text: src }], "/v", {
      ...opts,
      severityFor: (rule) => (rule === "unused-ignore" ? "warning" : undefined),
    });
    assert.deepEqual(
      warn.findings.map((f) => f.severity),
      ["warning"],
    );
    const off = analyzeSources([{ file: "/v/a.go", text: src }], "/v", {
      ...opts,
      severityFor: (rule) => (rule === "unused-ignore" ? "off" : undefined),
    });
    assert.deepEqual(off.findings, []);
  });

  test("keepSuppressed keeps silenced findings with the directive's reason", () => {
    const src = handler('\tm["a"] = 1 //mapctx:ignore global-map-race single writer at start-up');
    const kept = analyzeSources([{ file: "/v/a.go", text: src }], "/v", {
      rules: [globalMapRace],
      knownRules: KNOWN_IDS,
      keepSuppressed: true,
    });
    assert.equal(kept.findings.length, 1);
    assert.deepEqual(kept.findings[0]!.suppressed, { kind: "inSource", justification: "single writer at start-up" });
  });
});
