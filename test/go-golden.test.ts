// The Go toolchain checks the fixes: every golden section, and the fixture it
// was made from, is gofmt-clean and passes go vet as a package of a test module
// with stub packages for gin, echo, gee and fiber (test/gomod). Sections of
// cases whose go.mod says go >= 1.21 are only checked with gofmt (Go 1.19 here).
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { RULES } from "../server/src/rules";
import { moduleForFile } from "../server/src/workspace/gomod";
import { caseSources, FIXTURES, fixtureCases, goldenPath, parseGolden, ROOT } from "./helpers";

const hasGo = spawnSync("go", ["version"]).status === 0;
const GOMOD = path.join(ROOT, "test", "gomod");
/** The newest go directive the installed toolchain (Go 1.19) compiles. */
const NEWEST_VETTED = 19;

const STUB_IMPORTS = `package stubs

import (
	_ "example.com/gee"
	_ "gee"
	_ "github.com/gin-gonic/gin"
	_ "github.com/gofiber/fiber/v2"
	_ "github.com/labstack/echo/v4"
	_ "golang.org/x/sync/errgroup"
)
`;

interface Variant {
  /** `before` or the fix title. */
  label: string;
  files: { name: string; text: string }[];
}

interface Case {
  name: string;
  /** The go directive's minor version the case is vetted under. */
  minor: number;
  vet: boolean;
  variants: Variant[];
  /** A case with its own go.mod and packages in subdirectories is checked as its own module (this go.mod text). */
  ownModule?: string;
}

/** The cases that have golden files, each with its before text and one variant per fix title. */
function goldenCases(): Case[] {
  const out: Case[] = [];
  for (const rule of RULES) {
    for (const c of fixtureCases(rule.id)) {
      const casePath = path.join(FIXTURES, rule.id, c);
      const sources = caseSources(casePath);
      const goldens = new Map<string, ReturnType<typeof parseGolden>>();
      for (const s of sources) {
        const g = goldenPath(s.file);
        if (fs.existsSync(g)) goldens.set(s.file, parseGolden(fs.readFileSync(g, "utf8")));
      }
      if (goldens.size === 0) continue;
      const isDir = fs.statSync(casePath).isDirectory();
      const nameOf = (file: string) => (isDir ? path.relative(casePath, file) : path.basename(file));
      const goMod = path.join(casePath, "go.mod");
      const ownModule =
        isDir && fs.existsSync(goMod) && sources.some((s) => path.dirname(s.file) !== casePath)
          ? fs.readFileSync(goMod, "utf8")
          : undefined;
      const before = sources.map((s) => ({ name: nameOf(s.file), text: s.text }));
      const titles = [...new Set([...goldens.values()].flatMap((secs) => secs.map((x) => x.title)))];
      const variants: Variant[] = [{ label: "before", files: before }];
      for (const title of titles) {
        variants.push({
          label: title,
          files: sources.map((s) => ({
            name: nameOf(s.file),
            text: goldens.get(s.file)?.find((x) => x.title === title)?.text ?? s.text,
          })),
        });
      }
      const v = moduleForFile(sources[0]!.file)?.goVersion;
      const minor = v && v.major === 1 ? v.minor : NEWEST_VETTED;
      out.push({
        name: `${rule.id}/${c}`,
        minor: Math.min(minor, NEWEST_VETTED),
        vet: minor <= NEWEST_VETTED,
        variants,
        ...(ownModule !== undefined ? { ownModule } : {}),
      });
    }
  }
  return out;
}

/**
 * Vet reports that are the fixture's point: context-not-propagated's cases
 * lose cancel functions on purpose (vet's lostcancel check), and a section for
 * another fix of the same case still holds them.
 */
function expectedByVet(c: Case | undefined, line: string): boolean {
  return !!c && c.name.startsWith("context-not-propagated/") && /the cancel (function|var)\b/.test(line);
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, GOFLAGS: "-mod=mod", GOPROXY: "off", GOWORK: "off" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/** test/gomod/go.mod with its replace paths made absolute and the go directive set. */
function moduleFile(minor: number): string {
  const text = fs.readFileSync(path.join(GOMOD, "go.mod"), "utf8");
  return text
    .replace(/^go 1\.\d+$/m, `go 1.${minor}`)
    .replace(/=> \.\/(\S+)/g, (_, rel: string) => `=> ${path.join(GOMOD, rel)}`);
}

describe(
  "golden files compile",
  { skip: hasGo ? false : "go is not installed (bash .ci/run installs golang-go)" },
  () => {
    const cases = hasGo ? goldenCases() : [];
    /** Problems per case and variant label. */
    const problems = new Map<string, string[]>();
    const stubProblems: string[] = [];
    let tmp = "";

    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-golden-"));
      // One directory per variant, named so tool output maps back to it; one module per go version.
      const dirs = new Map<string, { c: Case; v: Variant }>();
      const modules = new Map<number, string>();
      let n = 0;
      const own: { dir: string; c: Case; v: Variant }[] = [];
      for (const c of cases) {
        if (c.ownModule !== undefined) {
          // Its packages import each other by the case's module path; the stubs are required as in the test module.
          const stubsReq = moduleFile(c.minor)
            .replace(/^module .*$/m, "")
            .replace(/^go 1\.\d+$/m, "");
          for (const v of c.variants) {
            const dir = path.join(tmp, "own", `case${n++}`);
            for (const f of v.files) {
              fs.mkdirSync(path.dirname(path.join(dir, f.name)), { recursive: true });
              fs.writeFileSync(path.join(dir, f.name), f.text);
            }
            fs.writeFileSync(path.join(dir, "go.mod"), `${c.ownModule}\n${stubsReq}`);
            own.push({ dir, c, v });
          }
          continue;
        }
        const root = path.join(tmp, c.vet ? `go1${c.minor}` : "fmtonly");
        if (!modules.has(c.vet ? c.minor : -1)) {
          fs.mkdirSync(root, { recursive: true });
          if (c.vet) fs.writeFileSync(path.join(root, "go.mod"), moduleFile(c.minor));
          modules.set(c.vet ? c.minor : -1, root);
        }
        for (const v of c.variants) {
          const name = `case${n++}`;
          const dir = path.join(root, name);
          fs.mkdirSync(dir);
          for (const f of v.files) fs.writeFileSync(path.join(dir, f.name), f.text);
          dirs.set(name, { c, v });
        }
      }
      // A package importing every stub proves the stubs themselves build.
      const stubs = modules.get(NEWEST_VETTED) ?? path.join(tmp, `go1${NEWEST_VETTED}`);
      if (!modules.has(NEWEST_VETTED)) {
        fs.mkdirSync(stubs, { recursive: true });
        fs.writeFileSync(path.join(stubs, "go.mod"), moduleFile(NEWEST_VETTED));
        modules.set(NEWEST_VETTED, stubs);
      }
      fs.mkdirSync(path.join(stubs, "case_stubs"));
      fs.writeFileSync(path.join(stubs, "case_stubs", "stubs.go"), STUB_IMPORTS);
      const blame = (line: string, current?: string): string | undefined =>
        /(?:^|[\s/])(case(?:\d+|_stubs))(?:[/\s]|$)/.exec(line)?.[1] ?? current;
      const note = (dir: string, msg: string) => {
        if (dir === "case_stubs") return void stubProblems.push(msg);
        const hit = dirs.get(dir);
        if (!hit) return;
        const key = `${hit.c.name}\0${hit.v.label}`;
        problems.set(key, [...(problems.get(key) ?? []), msg]);
      };
      const runs = [...modules.entries()].map(async ([minor, root]) => {
        const fmt = await run("gofmt", ["-l", "."], root);
        for (const line of fmt.out.split("\n").filter(Boolean)) {
          const d = blame(line);
          if (d) note(d, `gofmt: ${line.replace(/^.*?case\d+\//, "")} is not gofmt-clean`);
          else throw new Error(`gofmt: ${line}`);
        }
        if (minor < 0) return;
        const vet = await run("go", ["vet", "./..."], root);
        if (vet.code === 0) return;
        let current: string | undefined;
        for (const line of vet.out.split("\n").filter(Boolean)) {
          if (line.startsWith("#")) {
            current = blame(line);
            continue;
          }
          const d = blame(line, current);
          if (d && expectedByVet(dirs.get(d)?.c, line)) continue;
          if (d) note(d, `go vet: ${line.replace(/^vet: /, "").replace(/(\.\/)?(go1\d+\/)?case\d+\//g, "")}`);
          else throw new Error(`go vet failed outside any case:\n${vet.out}`);
        }
      });
      const ownRuns = own.map(async ({ dir, c, v }) => {
        const key = `${c.name}\0${v.label}`;
        const add = (msg: string) => problems.set(key, [...(problems.get(key) ?? []), msg]);
        const fmt = await run("gofmt", ["-l", "."], dir);
        for (const line of fmt.out.split("\n").filter(Boolean)) add(`gofmt: ${line} is not gofmt-clean`);
        if (!c.vet) return;
        const vet = await run("go", ["vet", "./..."], dir);
        if (vet.code !== 0) add(`go vet:\n${vet.out}`);
      });
      await Promise.all([...runs, ...ownRuns]);
    });

    after(() => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("the test module's stubs build and are gofmt-clean", () => {
      assert.deepEqual(stubProblems, [], stubProblems.join("\n"));
      const fmt = spawnSync("gofmt", ["-l", path.join(GOMOD, "stubs")], { encoding: "utf8" });
      assert.equal(fmt.stdout, "");
    });

    for (const c of cases) {
      describe(c.name + (c.vet ? "" : " (go >= 1.21: gofmt only)"), () => {
        for (const v of c.variants) {
          it(v.label, () => {
            const msgs = problems.get(`${c.name}\0${v.label}`) ?? [];
            assert.deepEqual(msgs, [], msgs.join("\n"));
          });
        }
      });
    }
  },
);
