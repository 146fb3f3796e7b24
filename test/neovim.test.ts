// Headless Neovim (0.7, Debian) with its built-in LSP client and the setup
// shown in the README (test/neovim/mapctx.lua): diagnostics arrive for an
// open file, go away when an edit fixes the code, and arrive for a file that
// was never opened. The Lua driver waits on conditions; the test only guards
// against a hang.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { analyzeSources, initParser } from "../server/src/analysis/engine";
import { applyEdits } from "../server/src/fixes/apply";
import { isIgnoreFix } from "../server/src/fixes/ignore";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { ROOT, SERVER } from "./support/lsp-client";

const NVIM = process.env.NVIM_BIN ?? "nvim";
const version = spawnSync(NVIM, ["--version"], { encoding: "utf8" });
const missing =
  version.error || version.status !== 0 ? `Neovim (${NVIM}) is not installed: apt-get install neovim` : false;

const HANDLERS = `package svc

import "net/http"

// 会话表 (sessions by id).
var sessions = make(map[string]string)

func login(w http.ResponseWriter, r *http.Request) {
	sessions[r.FormValue("id")] = "x"
}
`;

const WORKER = `package jobs

var results = make(map[int]int)

func start(n int) {
	for i := 0; i < n; i++ {
		go func(i int) {
			results[i] = i * i
		}(i)
	}
}
`;

// gin's c.Keys written directly: the quick fix "Use c.Set / c.Get" is safe.
const KEYS = `package web

import "github.com/gin-gonic/gin"

// 会话 (non-ASCII above the fix).
func auth(c *gin.Context) {
	c.Keys["user"] = "alice"
	c.Next()
}

func profile(c *gin.Context) {
	v, ok := c.Keys["v"]
	c.JSON(200, gin.H{"v": v, "ok": ok})
}
`;
const FIX_TITLE = "Use c.Set / c.Get";

interface Report {
  steps: { name: string; ok: boolean; detail: string }[];
}

describe("Neovim built-in LSP client", { skip: missing }, () => {
  let dir = "";
  let child: ReturnType<typeof spawn> | undefined;

  after(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows diagnostics for open and unopened files, follows edits and applies a quick fix", async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-nvim-")));
    fs.writeFileSync(path.join(dir, "go.mod"), "module example.com/ws\n\ngo 1.19\n");
    fs.mkdirSync(path.join(dir, "svc"));
    fs.mkdirSync(path.join(dir, "jobs"));
    fs.writeFileSync(path.join(dir, "svc/handlers.go"), HANDLERS);
    fs.writeFileSync(path.join(dir, "jobs/worker.go"), WORKER);
    fs.mkdirSync(path.join(dir, "web"));
    fs.writeFileSync(path.join(dir, "web/keys.go"), KEYS);
    const result = path.join(dir, "result.json");
    // What the quick fix must give: the engine's fix for the file's first finding, applied here.
    await initParser();
    const keysFile = path.join(dir, "web/keys.go");
    const first = analyzeSources([{ file: keysFile, text: KEYS }], path.dirname(keysFile), {
      rules: RULES,
      knownRules: KNOWN_IDS,
    }).findings[0];
    const fix = first?.fixes.find((x) => x.title === FIX_TITLE && x.safe && !isIgnoreFix(x));
    assert.ok(fix, `the engine offers "${FIX_TITLE}" first: ${JSON.stringify(first)}`);
    const expectedFile = path.join(dir, "expected.go.txt");
    fs.writeFileSync(expectedFile, applyEdits(KEYS, fix.edits));

    child = spawn(
      NVIM,
      ["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", `luafile ${path.join(ROOT, "test/neovim/driver.lua")}`],
      {
        cwd: dir,
        env: {
          ...process.env,
          MAPCTX_CONFIG: path.join(ROOT, "test/neovim/mapctx.lua"),
          MAPCTX_SERVER: SERVER,
          MAPCTX_ROOT: dir,
          MAPCTX_RESULT: result,
          MAPCTX_EXPECTED: expectedFile,
          MAPCTX_FIX_TITLE: FIX_TITLE,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const guard = setTimeout(() => {
        child?.kill("SIGKILL");
        reject(new Error(`nvim did not finish within 90 s; output:\n${output}`));
      }, 90_000);
      child!.on("exit", (c) => {
        clearTimeout(guard);
        resolve(c);
      });
    });
    assert.ok(fs.existsSync(result), `the driver wrote no report (exit ${code}); output:\n${output}`);
    const report = JSON.parse(fs.readFileSync(result, "utf8")) as Report;
    const names = [
      "diagnostics for the open file",
      "the finding disappears after the edit",
      "diagnostics for an unopened file",
      "diagnostics for the file to fix",
      "a quick fix is offered",
      "the quick fix gives the engine's text",
      "the fixed finding disappears",
    ];
    for (const name of names) {
      const s = report.steps.find((x) => x.name === name);
      assert.ok(s, `step "${name}" did not run: ${JSON.stringify(report.steps)}\n${output}`);
      assert.ok(s.ok, `step "${name}" failed: ${s.detail}\n${JSON.stringify(report.steps)}`);
    }
    assert.ok(!report.steps.some((s) => s.name === "driver error"), JSON.stringify(report.steps));
  });
});
