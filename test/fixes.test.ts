// The golden driver: each rule runs alone on each fixture case, and the text
// after applying its fixes (one section per fix title) must equal the case's
// `.go.golden` files byte for byte. UPDATE_GOLDEN=1 rewrites them.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { isIgnoreFix } from "../server/src/fixes/ignore";
import { parseGo } from "../server/src/parser";
import { RULES } from "../server/src/rules";
import {
  analyzeCase,
  expectedGoldens,
  FIXTURES,
  fixtureCases,
  formatGolden,
  goldenPath,
  parseGolden,
  ready,
} from "./helpers";

const UPDATE = process.env.UPDATE_GOLDEN === "1";

before(ready);

function hasSyntaxErrors(text: string): boolean {
  const tree = parseGo(text)!;
  const broken = tree.rootNode.hasError;
  tree.delete();
  return broken;
}

/** Every `.go.golden` under a case (a file case has at most one, beside it). */
function goldensOf(casePath: string): string[] {
  if (fs.statSync(casePath).isDirectory()) {
    return fs
      .readdirSync(casePath)
      .filter((f) => f.endsWith(".go.golden"))
      .map((f) => path.join(casePath, f));
  }
  return fs.existsSync(goldenPath(casePath)) ? [goldenPath(casePath)] : [];
}

for (const rule of RULES) {
  const dir = path.join(FIXTURES, rule.id);
  describe(`fixes: ${rule.id}`, () => {
    it("has no golden file without its case", () => {
      if (!fs.existsSync(dir)) return;
      const orphans = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".go.golden") && !fs.existsSync(path.join(dir, f.slice(0, -".golden".length))));
      if (UPDATE) for (const o of orphans) fs.rmSync(path.join(dir, o));
      else assert.deepEqual(orphans, [], "golden files whose .go case is gone (UPDATE_GOLDEN=1 removes them)");
    });

    for (const c of fixtureCases(rule.id)) {
      it(c, () => {
        const casePath = path.join(dir, c);
        const { findings, failures, sources } = analyzeCase(rule, casePath);
        assert.deepEqual(failures, [], "the rule threw");

        for (const f of findings) {
          const where = `${path.basename(f.file)}:${f.range.start.line + 1}`;
          const titles = f.fixes.map((x) => x.title);
          assert.equal(
            new Set(titles).size,
            titles.length,
            `${where}: fix titles are not unique: ${titles.join(", ")}`,
          );
          f.fixes.forEach((x, i) => {
            if (!isIgnoreFix(x)) return;
            assert.equal(i, f.fixes.length - 1, `${where}: the ignore fix must come last`);
            assert.equal(x.safe, false, `${where}: the ignore fix must not be safe`);
          });
          const src = sources.find((s) => s.file === f.file);
          if (src && hasSyntaxErrors(src.text)) {
            const real = f.fixes.filter((x) => !isIgnoreFix(x)).map((x) => x.title);
            assert.deepEqual(real, [], `${where}: no fixes may be offered in a file with syntax errors`);
          }
        }

        const expected = expectedGoldens(findings, sources);
        const existing = new Set(goldensOf(casePath));
        for (const s of sources) {
          const golden = goldenPath(s.file);
          const sections = expected.get(s.file) ?? [];
          existing.delete(golden);
          for (const sec of sections) {
            assert.ok(sec.text.endsWith("\n"), `${path.basename(s.file)}: "${sec.title}" leaves no final newline`);
            assert.ok(
              !hasSyntaxErrors(sec.text),
              `${path.basename(s.file)}: "${sec.title}" leaves syntax errors:\n${sec.text}`,
            );
          }
          const want = sections.length ? formatGolden(sections) : undefined;
          if (UPDATE) {
            if (want === undefined) fs.rmSync(golden, { force: true });
            else if (!fs.existsSync(golden) || fs.readFileSync(golden, "utf8") !== want) fs.writeFileSync(golden, want);
            continue;
          }
          const name = path.relative(FIXTURES, golden);
          const have = fs.existsSync(golden) ? fs.readFileSync(golden, "utf8") : undefined;
          if (want === undefined) {
            assert.equal(have, undefined, `${name}: golden file but no fix changes ${path.basename(s.file)}`);
            continue;
          }
          assert.ok(
            have !== undefined,
            `${name} is missing; fixes offered: ${sections.map((x) => x.title).join(", ")} (UPDATE_GOLDEN=1 writes it)`,
          );
          const got = parseGolden(have);
          const wantTitles = sections.map((x) => x.title);
          const gotTitles = got.map((x) => x.title);
          const noGolden = wantTitles.filter((t) => !gotTitles.includes(t));
          const noFix = gotTitles.filter((t) => !wantTitles.includes(t));
          assert.deepEqual(
            { fixesWithoutGoldenSection: noGolden, goldenSectionsWithoutFix: noFix },
            { fixesWithoutGoldenSection: [], goldenSectionsWithoutFix: [] },
            `${name}: sections and fixes differ`,
          );
          for (const sec of sections) {
            const g = got.find((x) => x.title === sec.title)!;
            assert.equal(
              sec.text,
              g.text,
              `${name}: section "${sec.title}" differs (UPDATE_GOLDEN=1 rewrites; read the diff)`,
            );
          }
          assert.equal(have, want, `${name}: differs from the fixes' output (section order?)`);
        }
        // A directory case's golden for a file that is not (or no longer) in the case.
        if (UPDATE) for (const g of existing) fs.rmSync(g);
        else
          assert.deepEqual(
            [...existing].map((g) => path.relative(FIXTURES, g)),
            [],
            "golden files without a matching .go file",
          );
      });
    }
  });
}
