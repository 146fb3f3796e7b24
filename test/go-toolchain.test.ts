// The Go toolchain checks what mapctx ships as Go: fixtures and examples are
// gofmt-clean, and the examples module passes go vet.
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "./helpers";

const hasGo = spawnSync("go", ["version"]).status === 0;

describe("go toolchain", { skip: hasGo ? false : "go is not installed (bash .ci/run installs golang-go)" }, () => {
  it("fixtures are gofmt-clean (except broken_* cases)", () => {
    // gofmt exits non-zero on the broken_* cases; the listed files are what counts.
    const out = spawnSync("gofmt", ["-l", path.join(ROOT, "test/fixtures")], { encoding: "utf8" }).stdout;
    const dirty = out.split("\n").filter((f) => f && !path.basename(f).startsWith("broken_"));
    assert.deepEqual(dirty, []);
  });

  it("examples are gofmt-clean and pass go vet", () => {
    const examples = path.join(ROOT, "examples");
    assert.equal(execFileSync("gofmt", ["-l", examples], { encoding: "utf8" }), "");
    const vet = spawnSync("go", ["vet", "./..."], {
      cwd: examples,
      encoding: "utf8",
      env: { ...process.env, GOFLAGS: "-mod=mod", GOPROXY: "off" },
    });
    assert.equal(vet.status, 0, vet.stderr);
  });
});
