// The tabwriter fixes lay aligned runs out with, against gofmt itself: random
// var blocks (names, types, values and comments of many widths, CJK among
// them, blank lines between runs) are formatted by gofmt, and each block's
// lines must be what tabFormat makes of the block's cells.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { runeWidth, tabFormat } from "../server/src/fixes/tabwriter";
import { rng } from "./support/rng";

const hasGofmt = spawnSync("gofmt", ["--help"]).error === undefined;

const NAMES = ["a", "id", "userName", "名字", "cacheByTenantAndRegion", "x1", "π", "requestsInFlight"];
const TYPES = ["int", "string", "map[string]*User", "[]byte", "chan struct{}", "用户", "func(int) error"];
const VALUES = ["1", '"x"', "nil", "make(map[string]*User)", '"中文🙂"', "1 << 20", "time.Second"];
const COMMENTS = ["// c", "// 注释", "// a longer comment about the field", "// 🙂 emoji"];

/** The cells gofmt's printer writes for a spec of a var group with a type: names, type, `= value`, padding before a comment. */
function specCells(name: string, type: string, value: string | undefined, comment: string | undefined): string[] {
  const cells = [name, type];
  if (value !== undefined) cells.push(`= ${value}`);
  if (comment === undefined) return cells;
  while (cells.length < 4) cells.push("");
  return [...cells, comment];
}

describe("tabwriter", () => {
  test("counts runes, a surrogate pair as one", () => {
    assert.equal(runeWidth("abc"), 3);
    assert.equal(runeWidth("名字"), 2);
    assert.equal(runeWidth("🙂x"), 2);
  });

  test("empty columns take no space; a line with fewer cells ends the column's run", () => {
    assert.deepEqual(
      tabFormat([
        ["a", "", "x"],
        ["bbb", "", "y"],
      ]),
      ["a   x", "bbb y"],
    );
    assert.deepEqual(tabFormat([["a", "1"], ["long"], ["bb", "2"]]), ["a 1", "long", "bb 2"]);
    assert.deepEqual(
      tabFormat([
        ["a", "b", "// c"],
        ["aaa", "b"],
      ]),
      ["a   b // c", "aaa b"],
    );
  });

  test("lays out var blocks as gofmt does", { skip: !hasGofmt && "gofmt is not installed" }, () => {
    const r = rng(20261124);
    const blocks: string[][][] = [];
    let src = "package p\n";
    for (let b = 0; b < 200; b++) {
      const rows: string[][] = [];
      src += "\nvar (\n";
      const n = 1 + r.int(7);
      for (let i = 0; i < n; i++) {
        if (i > 0 && r.int(6) === 0) {
          rows.push([]);
          src += "\n";
        }
        const name = `${r.pick(NAMES)}${b}_${i}`;
        const type = r.pick(TYPES);
        const value = r.int(3) === 0 ? undefined : r.pick(VALUES);
        const comment = r.int(2) === 0 ? undefined : r.pick(COMMENTS);
        rows.push(specCells(name, type, value, comment));
        src += `\t${name} ${type}${value === undefined ? "" : ` = ${value}`}${comment === undefined ? "" : ` ${comment}`}\n`;
      }
      src += ")\n";
      blocks.push(rows);
    }
    const fmt = spawnSync("gofmt", [], { input: src, encoding: "utf8" });
    assert.equal(fmt.status, 0, fmt.stderr);
    const got = fmt.stdout.split(/\nvar \(\n/).slice(1);
    assert.equal(got.length, blocks.length);
    blocks.forEach((rows, b) => {
      const lines = got[b]!.slice(0, got[b]!.indexOf("\n)\n")).split("\n");
      // Blank lines split the block into runs that gofmt aligns apart.
      const want: string[] = [];
      let run: string[][] = [];
      const flush = () => {
        for (const l of tabFormat(run)) want.push(`\t${l}`);
        run = [];
      };
      for (const row of rows) {
        if (row.length > 0) run.push(row);
        else {
          flush();
          want.push("");
        }
      }
      flush();
      assert.deepEqual(want, lines, `block ${b}`);
    });
  });
});
