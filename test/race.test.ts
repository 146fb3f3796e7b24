// Race proofs: each program under test/race/<rule-id>/ is a tiny module whose
// `go test -race` reports a race; after mapctx applies the preferred (first
// safe) fix of each of the rule's findings, the same test passes.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigResolver } from "../server/src/analysis/config";
import { KNOWN_IDS, ruleById } from "../server/src/rules";
import { clearModuleCache } from "../server/src/workspace/gomod";
import { fixPaths } from "../server/src/workspace/fix";
import { ready, ROOT } from "./helpers";

const RACE = path.join(ROOT, "test", "race");
const hasGo = spawnSync("go", ["version"]).status === 0;
/** The race detector needs cgo and a C compiler with Go 1.19. */
function raceProblem(): string | undefined {
  if (!hasGo) return "go is not installed (bash .ci/run installs golang-go)";
  const env = (name: string) => spawnSync("go", ["env", name], { encoding: "utf8" }).stdout.trim();
  if (env("CGO_ENABLED") !== "1") return "go test -race needs cgo (CGO_ENABLED=1)";
  const cc = env("CC").split(/\s+/)[0] || "gcc";
  if (spawnSync(cc, ["--version"]).status !== 0)
    return `go test -race needs a C compiler (${cc} not found; apt-get install gcc)`;
  return undefined;
}

const programs = fs.existsSync(RACE)
  ? fs
      .readdirSync(RACE)
      .filter((d) => fs.statSync(path.join(RACE, d)).isDirectory())
      .sort()
  : [];

function goTest(dir: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("go", ["test", "-race", "-count=1", "./..."], {
      cwd: dir,
      env: { ...process.env, GOFLAGS: "-mod=mod", GOPROXY: "off", GOWORK: "off" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Copies a program to a temporary directory, with its go.mod's relative replace paths made absolute. */
function copyProgram(src: string, dest: string): void {
  fs.cpSync(src, dest, { recursive: true });
  const mod = path.join(dest, "go.mod");
  const text = fs
    .readFileSync(mod, "utf8")
    .replace(/=> (\.\.?\/\S+)/g, (_, rel: string) => `=> ${path.resolve(src, rel)}`);
  fs.writeFileSync(mod, text);
}

describe("race proofs", { skip: raceProblem() ?? false }, () => {
  const temps: string[] = [];
  before(ready);
  after(() => {
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  });

  it("has programs", () => assert.ok(programs.length > 0));

  for (const id of programs) {
    it(`${id}: go test -race fails before the fix and passes after it`, async () => {
      const rule = ruleById(id);
      assert.ok(rule, `test/race/${id} is not named after a rule`);
      const src = path.join(RACE, id);
      assert.equal(spawnSync("gofmt", ["-l", src], { encoding: "utf8" }).stdout, "", "the program is not gofmt-clean");

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mapctx-race-${id}-`));
      temps.push(dir);
      copyProgram(src, dir);
      const beforeRun = await goTest(dir);
      assert.notEqual(beforeRun.code, 0, `go test -race passed before the fix:\n${beforeRun.out}`);
      assert.match(
        beforeRun.out,
        /DATA RACE|concurrent map (read and map )?writes?/,
        `the failure is not a race:\n${beforeRun.out}`,
      );

      clearModuleCache();
      const result = fixPaths([dir], {
        rules: [rule],
        knownRules: KNOWN_IDS,
        config: new ConfigResolver(KNOWN_IDS),
        write: true,
      });
      assert.deepEqual(result.failures, [], "the rule threw");
      assert.ok(result.changes.length > 0, `mapctx offered no safe fix for ${id}`);

      const afterRun = await goTest(dir);
      const diff = result.changes.map((c) => `${path.basename(c.file)}: ${c.titles.join(", ")}`).join("\n");
      assert.equal(afterRun.code, 0, `go test -race still fails after applying\n${diff}\n${afterRun.out}`);
    });
  }
});
