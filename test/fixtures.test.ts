// The fixture driver: every rule runs alone on each case of test/fixtures/<rule-id>/,
// and its findings must equal the //@diag markers of the case, both ways.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { analyzeSources } from "../server/src/analysis/engine";
import { parseGo } from "../server/src/parser";
import type { Finding } from "../server/src/analysis/types";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { caseSources, FIXTURES, ready } from "./helpers";

interface Expectation {
  file: string;
  line: number;
  column: number;
  endColumn: number;
  text: string;
  pattern?: RegExp;
}

const MARKER = /@diag\("((?:[^"\\]|\\.)*)"(?:,\s*re"((?:[^"\\]|\\.)*)")?\)/g;

/** Reads the //@diag markers of a file; the quoted text must occur on the line before the marker. */
export function expectations(file: string, text: string): Expectation[] {
  const out: Expectation[] = [];
  text.split("\n").forEach((line, i) => {
    const markerAt = line.indexOf("//@diag(");
    if (markerAt < 0) return;
    const code = line.slice(0, markerAt);
    MARKER.lastIndex = markerAt;
    for (let m = MARKER.exec(line); m; m = MARKER.exec(line)) {
      const quoted = JSON.parse(`"${m[1]}"`) as string;
      const col = code.indexOf(quoted);
      if (col < 0)
        throw new Error(
          `${path.basename(file)}:${i + 1}: marker text ${JSON.stringify(quoted)} does not occur on the line`,
        );
      out.push({
        file,
        line: i,
        column: col,
        endColumn: col + quoted.length,
        text: quoted,
        pattern: m[2] !== undefined ? new RegExp(JSON.parse(`"${m[2]}"`) as string) : undefined,
      });
    }
  });
  return out;
}

function matches(e: Expectation, f: Finding): boolean {
  if (f.file !== e.file || f.range.start.line !== e.line || f.range.start.character !== e.column) return false;
  if (f.range.end.line === e.line && f.range.end.character !== e.endColumn) return false;
  return !e.pattern || e.pattern.test(f.message);
}

function describeFinding(f: Finding): string {
  return `${path.basename(f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}-${f.range.end.line + 1}:${f.range.end.character + 1}: ${f.message}`;
}

before(ready);

for (const rule of RULES) {
  const dir = path.join(FIXTURES, rule.id);
  describe(`fixtures: ${rule.id}`, () => {
    const cases = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith(".go") || fs.statSync(path.join(dir, f)).isDirectory())
          .sort()
      : [];
    it("has fixture cases", () => assert.ok(cases.length > 0, `no fixtures in test/fixtures/${rule.id}`));
    for (const c of cases) {
      it(c, () => {
        const sources = caseSources(path.join(dir, c));
        const { findings, failures } = analyzeSources(sources, path.join(dir, c), {
          rules: [rule],
          knownRules: KNOWN_IDS,
        });
        assert.deepEqual(failures, [], "the rule threw");
        const expected = sources.flatMap((s) => expectations(s.file, s.text));
        const own = findings.filter((f) => f.rule === rule.id);
        const missed = expected.filter((e) => !own.some((f) => matches(e, f)));
        const unexpected = own.filter((f) => !expected.some((e) => matches(e, f)));
        const report = [
          ...missed.map(
            (e) =>
              `missed: ${path.basename(e.file)}:${e.line + 1}:${e.column + 1}: "${e.text}"${e.pattern ? ` ~ /${e.pattern.source}/` : ""}`,
          ),
          ...unexpected.map((f) => `unexpected: ${describeFinding(f)}`),
        ];
        assert.deepEqual(report, [], report.join("\n"));
        for (const s of sources) {
          if (path.basename(s.file).startsWith("broken_")) continue;
          // Fixtures are valid Go; only broken_* cases may hold syntax errors.
          const tree = parseGo(s.text)!;
          const broken = tree.rootNode.hasError;
          tree.delete();
          assert.ok(!broken, `${path.basename(s.file)} has syntax errors; name it broken_*.go if that is the point`);
        }
      });
    }
  });
}
