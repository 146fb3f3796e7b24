// Meta-tests: every registered rule is documented, has positive and negative
// fixtures, and its generated docs page and README row are up to date.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { RULES } from "../server/src/rules";
import { expectedDocs, withRuleTable } from "../scripts/gen-docs";
import { analyzeCase, caseSources, fixtureCases, FIXTURES, ready, ROOT } from "./helpers";

const HEADINGS = [
  "## What it flags",
  "## Why it matters",
  "## Example",
  "## Fix",
  "## When it stays silent",
  "## Related",
];

describe("rule metadata", () => {
  for (const rule of RULES) {
    it(`${rule.id}: file name, docs, fixtures`, () => {
      assert.ok(fs.existsSync(path.join(ROOT, "server/src/rules", `${rule.id}.ts`)), `server/src/rules/${rule.id}.ts`);
      const page = fs.readFileSync(path.join(ROOT, "docs/rules", `${rule.id}.md`), "utf8");
      for (const h of HEADINGS) assert.ok(page.includes(h), `docs/rules/${rule.id}.md lacks "${h}"`);
      const dir = path.join(FIXTURES, rule.id);
      assert.ok(fs.existsSync(dir), `test/fixtures/${rule.id}/ is missing`);
      let positives = 0;
      let negatives = 0;
      for (const c of fs.readdirSync(dir)) {
        for (const s of caseSources(path.join(dir, c))) {
          positives += (s.text.match(/\/\/@diag\(/g) ?? []).length;
          negatives += (s.text.match(/\/\/ ok\b/g) ?? []).length;
        }
      }
      assert.ok(positives >= 3, `${rule.id} has ${positives} positive markers, needs 3`);
      assert.ok(negatives >= 3, `${rule.id} has ${negatives} negative (// ok) markers, needs 3`);
    });
  }

  it("messages of the docs follow the style: titles have no trailing period", () => {
    for (const r of RULES) assert.ok(!r.docs.title.endsWith("."), `${r.id} title ends with a period`);
  });

  it("generated docs pages and the README rule table are up to date (npm run docs)", () => {
    for (const [rel, text] of expectedDocs()) {
      assert.equal(fs.readFileSync(path.join(ROOT, rel), "utf8"), text, `${rel} is stale: run npm run docs`);
    }
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.equal(readme, withRuleTable(readme), "README.md rule table is stale: run npm run docs");
  });

  it("no docs page without a registered rule", () => {
    const ids = new Set([...RULES.map((r) => r.id), "unused-ignore"]);
    for (const f of fs.readdirSync(path.join(ROOT, "docs/rules")))
      assert.ok(ids.has(f.replace(/\.md$/, "")), `docs/rules/${f} has no rule`);
    for (const f of fs.readdirSync(FIXTURES)) assert.ok(ids.has(f), `test/fixtures/${f} has no rule`);
  });
});

describe("words users read (STYLE.md)", () => {
  before(ready);
  for (const rule of RULES) {
    it(`${rule.id}: messages and fix titles on every fixture finding`, () => {
      const problems: string[] = [];
      for (const c of fixtureCases(rule.id)) {
        const result = analyzeCase(rule, path.join(FIXTURES, rule.id, c));
        for (const f of result.findings) {
          const where = `${c}:${f.range.start.line + 1}`;
          if (/[.!]$/.test(f.message)) problems.push(`${where}: message ends with punctuation: ${f.message}`);
          if (/\bline \d+|:\d+:\d+/.test(f.message))
            problems.push(`${where}: message holds a line number: ${f.message}`);
          // Lower case, unless the message opens with an identifier of the code (an exported name).
          const first = /^\w+/.exec(f.message)?.[0] ?? "";
          if (/^[A-Z]/.test(first) && !result.sources.some((src) => new RegExp(`\\b${first}\\b`).test(src.text))) {
            problems.push(`${where}: message starts with a capital: ${f.message}`);
          }
          for (const fix of f.fixes) {
            if (!/^[A-Z]/.test(fix.title) || /\.$/.test(fix.title))
              problems.push(`${where}: fix title not sentence case: ${fix.title}`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });
  }
});
