// The start-up warm-up types into a file of its own through the keystroke path
// (document, incremental re-parse, per-declaration analysis): every keystroke
// must take that path, its findings must be the engine's for the same text, and
// the language server must publish nothing for that file.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { analyzeSources } from "../server/src/analysis/engine";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { KeystrokeWarmUp } from "../server/src/workspace/warmup";
import { ready } from "./helpers";

const opts = { rules: RULES, knownRules: KNOWN_IDS };

function engineFindings(text: string): string[] {
  const r = analyzeSources([{ file: "warmup.go", text }], "", opts);
  return r.findings.map((f) => `${f.rule} ${f.range.start.line}:${f.range.start.character} ${f.message}`);
}

describe("keystroke warm-up", () => {
  before(ready);

  for (const keystrokes of [40, 7]) {
    test(`${keystrokes} keystrokes go through the per-declaration path and find what the engine finds`, () => {
      const w = new KeystrokeWarmUp(opts, keystrokes);
      const original = w.text;
      let steps = 0;
      while (w.step()) steps++;
      assert.equal(steps, keystrokes);
      assert.equal(w.result.keystrokes, keystrokes);
      assert.equal(w.result.perDeclaration, keystrokes, "no keystroke fell back to a whole-file analysis");
      // A letter typed, then deleted: an even number of keystrokes gives the text back.
      if (keystrokes % 2 === 0) assert.equal(w.text, original);
      else assert.equal(w.text.length, original.length + 1);
      const rules = new Set(w.result.findings.map((f) => f.rule));
      for (const rule of ["global-map-race", "goroutine-map-race", "context-key-builtin"])
        assert.ok(rules.has(rule), `${rule} runs in the warm-up`);
      assert.deepEqual(
        w.result.findings.map((f) => `${f.rule} ${f.range.start.line}:${f.range.start.character} ${f.message}`),
        engineFindings(w.text),
      );
      assert.equal(w.step(), false, "a finished warm-up does nothing more");
    });
  }

  test("a warm-up disposed early stops", () => {
    const w = new KeystrokeWarmUp(opts, 40);
    assert.ok(w.step());
    w.dispose();
    assert.equal(w.step(), false);
    assert.equal(w.result.keystrokes, 1);
  });
});
