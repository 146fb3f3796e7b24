// Protocol robustness: the bundled server fed input that editors (or broken
// clients) really send. It must answer with JSON-RPC errors where the
// protocol has them, log what it ignores, and keep serving; a rule that
// throws is reported once and the other rules still publish.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { analyzeSources, initParser } from "../server/src/analysis/engine";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { LspClient, SERVER, type Message, type PublishParams } from "./support/lsp-client";

const WORKER = `package jobs

var results = make(map[int]int)

// start 启动 n 个 goroutine (non-ASCII comment).
func start(n int) {
	for i := 0; i < n; i++ {
		go func(i int) {
			results[i] = i * i
		}(i)
	}
}
`;

const HANDLERS = `package jobs

import "net/http"

var sessions = make(map[string]string)

func login(w http.ResponseWriter, r *http.Request) {
	sessions[r.FormValue("id")] = "x"
}
`;

function diagKeys(p: PublishParams | undefined): string[] {
  return (p?.diagnostics ?? [])
    .map(
      (d) =>
        `${d.code}|${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}|${d.message}`,
    )
    .sort();
}

function expected(file: string, text: string, siblings: { file: string; text: string }[] = []): string[] {
  const dir = path.dirname(file);
  const res = analyzeSources([{ file, text }, ...siblings], dir, { rules: RULES, knownRules: KNOWN_IDS });
  return res.findings
    .filter((f) => f.file === file)
    .map(
      (f) =>
        `${f.rule}|${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}|${f.message}`,
    )
    .sort();
}

function logs(c: LspClient, since = 0): string[] {
  return c.messages
    .slice(since)
    .filter((m) => m.method === "window/logMessage")
    .map((m) => (m.params as { message: string }).message);
}

function makeWorkspace(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  fs.writeFileSync(path.join(dir, "go.mod"), "module example.com/ws\n\ngo 1.19\n");
  fs.mkdirSync(path.join(dir, "jobs"));
  fs.writeFileSync(path.join(dir, "jobs/worker.go"), WORKER);
  fs.writeFileSync(path.join(dir, "jobs/handlers.go"), HANDLERS);
  return dir;
}

async function initialize(c: LspClient, dir: string, initialized = true): Promise<void> {
  await c.request("initialize", {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
    capabilities: { window: { workDoneProgress: true }, textDocument: { codeAction: { disabledSupport: true } } },
  });
  if (initialized) c.notify("initialized", {});
}

const RANGE0 = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

describe("protocol robustness", () => {
  const dirs: string[] = [];
  const clients: LspClient[] = [];

  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    await initParser();
  });

  after(() => {
    for (const c of clients) c.kill();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  function start(prefix: string, env?: NodeJS.ProcessEnv): { c: LspClient; dir: string } {
    const dir = makeWorkspace(prefix);
    dirs.push(dir);
    const c = new LspClient(dir, ["--stdio"], env);
    clients.push(c);
    return { c, dir };
  }

  it("answers malformed JSON-RPC with parse and invalid-request errors and keeps serving", async () => {
    const { c, dir } = start("mapctx-robust-json-");
    await initialize(c, dir);
    const errorOf = (code: number, since: number): Promise<Message> =>
      c.waitFor((m) => m.method === undefined && m.error?.code === code, `an error ${code}`, since);

    // A body that is not JSON: Parse error with a null id.
    let mark = c.mark();
    const bad = Buffer.from('{"jsonrpc":"2.0","id":77,"method":"textDocument/codeAction",', "utf8");
    c.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${bad.length}\r\n\r\n`), bad]));
    const parse = await errorOf(-32700, mark);
    assert.equal(parse.id, null);
    assert.match(parse.error!.message, /not JSON/);

    // JSON that is not a JSON-RPC message: Invalid Request.
    mark = c.mark();
    const arr = Buffer.from("[1,2,3]", "utf8");
    c.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${arr.length}\r\n\r\n`), arr]));
    assert.equal((await errorOf(-32600, mark)).id, null);
    mark = c.mark();
    const noMethod = Buffer.from('{"jsonrpc":"2.0","id":78,"method":42}', "utf8");
    c.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${noMethod.length}\r\n\r\n`), noMethod]));
    assert.equal((await errorOf(-32600, mark)).id, 78);

    // A header block without Content-Length.
    mark = c.mark();
    c.writeRaw("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
    await errorOf(-32700, mark);
    await c.waitFor(
      (m) => m.method === "window/logMessage" && /malformed message/.test((m.params as { message: string }).message),
      "a log line about the malformed message",
      mark,
    );

    // A message split across writes, byte by byte through a multi-byte character, still arrives whole.
    const uri = pathToFileURL(path.join(dir, "jobs/worker.go")).href;
    const open = Buffer.from(
      JSON.stringify({
        jsonrpc: "2.0",
        method: "textDocument/didOpen",
        params: { textDocument: { uri, languageId: "go", version: 1, text: WORKER } },
      }),
      "utf8",
    );
    const framed = Buffer.concat([Buffer.from(`Content-Length: ${open.length}\r\n\r\n`), open]);
    const cut = framed.indexOf(Buffer.from("启", "utf8")) + 1;
    c.writeRaw(framed.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 20));
    c.writeRaw(framed.subarray(cut));
    const p = await c.waitForDiagnostics(uri, (q) => q.version === 1, "diagnostics of the document opened in pieces");
    assert.deepEqual(
      diagKeys(p),
      expected(path.join(dir, "jobs/worker.go"), WORKER, [
        { file: path.join(dir, "jobs/handlers.go"), text: HANDLERS },
      ]),
    );

    // Still serving.
    const actions = await c.request<unknown[]>("textDocument/codeAction", {
      textDocument: { uri },
      range: p.diagnostics[0]!.range,
      context: { diagnostics: [p.diagnostics[0]] },
    });
    assert.ok(Array.isArray(actions) && actions.length > 0);
    assert.equal(await c.shutdown(), 0);
  });

  it("answers unknown requests with MethodNotFound, ignores unknown notifications and unknown documents", async () => {
    const { c, dir } = start("mapctx-robust-unknown-");
    await initialize(c, dir);
    const mark = c.mark();
    await assert.rejects(c.request("mapctx/noSuchRequest", { x: 1 }), /Unhandled method mapctx\/noSuchRequest/);
    const reply = c.messages.slice(mark).find((m) => m.error !== undefined);
    assert.equal(reply?.error?.code, -32601);
    c.notify("mapctx/noSuchNotification", { x: 1 });
    c.notify("$/noSuchNotification", {});

    // Documents the server never saw: answered, not crashed on.
    const ghost = pathToFileURL(path.join(dir, "jobs/ghost.go")).href;
    const none = await c.request<unknown[]>("textDocument/codeAction", {
      textDocument: { uri: ghost },
      range: RANGE0,
      context: { diagnostics: [] },
    });
    assert.deepEqual(none, []);
    c.notify("textDocument/didChange", {
      textDocument: { uri: ghost, version: 2 },
      contentChanges: [{ range: RANGE0, text: "x" }],
    });
    c.notify("textDocument/didClose", { textDocument: { uri: ghost } });
    c.notify("textDocument/didSave", { textDocument: { uri: ghost } });
    await assert.rejects(
      c.request("workspace/executeCommand", { command: "mapctx.noSuchCommand", arguments: [] }),
      /no command/,
    );
    const r = await c.request<{ files: number }>("mapctx/analyzeWorkspace");
    assert.equal(r.files, 2, "still serving");
    const after = logs(c, mark);
    assert.ok(
      after.some((l) => l.includes("not open")),
      JSON.stringify(after),
    );
    assert.ok(
      !after.some((l) => /noSuchNotification/.test(l)),
      `unknown notifications are ignored quietly: ${JSON.stringify(after)}`,
    );
    assert.equal(await c.shutdown(), 0);
  });

  it("clamps out-of-range changes and accepts versions going backwards, with a log line for each", async () => {
    const { c, dir } = start("mapctx-robust-edits-");
    await initialize(c, dir);
    const file = path.join(dir, "jobs/worker.go");
    const uri = pathToFileURL(file).href;
    const sibling = [{ file: path.join(dir, "jobs/handlers.go"), text: HANDLERS }];
    let text = WORKER;
    c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "go", version: 5, text } });
    await c.waitForDiagnostics(uri, (p) => p.version === 5, "diagnostics of version 5");
    const mark = c.mark();

    // Past the last line: clamped to the end of the text.
    c.notify("textDocument/didChange", {
      textDocument: { uri, version: 6 },
      contentChanges: [
        { range: { start: { line: 900, character: 4 }, end: { line: 901, character: 0 } }, text: "\n// tail\n" },
      ],
    });
    text += "\n// tail\n";
    let p = await c.waitForDiagnostics(uri, (q) => q.version === 6, "diagnostics after a change past the end", mark);
    assert.deepEqual(diagKeys(p), expected(file, text, sibling));

    // A character past the end of its line: the line's end, as LSP says; the version goes backwards.
    const line = text.split("\n").findIndex((l) => l.startsWith("var results"));
    c.notify("textDocument/didChange", {
      textDocument: { uri, version: 3 },
      contentChanges: [
        { range: { start: { line, character: 500 }, end: { line, character: 600 } }, text: " // grows" },
      ],
    });
    const lines = text.split("\n");
    lines[line] += " // grows";
    text = lines.join("\n");
    p = await c.waitForDiagnostics(uri, (q) => q.version === 3, "diagnostics of the version that went backwards", mark);
    assert.deepEqual(diagKeys(p), expected(file, text, sibling));

    // A range whose end comes before its start: swapped.
    const startLine = text.split("\n").findIndex((l) => l.includes("results[i] = i * i"));
    c.notify("textDocument/didChange", {
      textDocument: { uri, version: 4 },
      contentChanges: [
        { range: { start: { line: startLine + 1, character: 0 }, end: { line: startLine, character: 0 } }, text: "" },
      ],
    });
    const ls = text.split("\n");
    ls.splice(startLine, 1);
    text = ls.join("\n");
    p = await c.waitForDiagnostics(uri, (q) => q.version === 4, "diagnostics after a reversed range", mark);
    assert.deepEqual(diagKeys(p), expected(file, text, sibling));

    const said = logs(c, mark);
    for (const want of [/outside the document/, /does not follow/, /ends before it starts/])
      assert.ok(
        said.some((l) => want.test(l)),
        `${want}: ${JSON.stringify(said)}`,
      );
    assert.equal(await c.shutdown(), 0);
  });

  it("answers requests from a client that never sends initialized", async () => {
    const { c, dir } = start("mapctx-robust-noinit-");
    await initialize(c, dir, false);
    const uri = pathToFileURL(path.join(dir, "jobs/worker.go")).href;
    c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "go", version: 1, text: WORKER } });
    const actions = await c.request<unknown[]>("textDocument/codeAction", {
      textDocument: { uri },
      range: RANGE0,
      context: { diagnostics: [] },
    });
    assert.ok(Array.isArray(actions));
    await assert.rejects(c.request("mapctx/noSuchRequest"), /Unhandled method/);
    assert.equal(await c.shutdown(), 0);
  });

  it("reports a rule that throws once and publishes the other rules' findings", async () => {
    const { c, dir } = start("mapctx-robust-throw-", { ...process.env, MAPCTX_TEST_THROWING_RULE: "1" });
    await initialize(c, dir);
    const file = path.join(dir, "jobs/worker.go");
    const uri = pathToFileURL(file).href;
    const sibling = [{ file: path.join(dir, "jobs/handlers.go"), text: HANDLERS }];
    const handlers = pathToFileURL(path.join(dir, "jobs/handlers.go")).href;
    // The closed sibling's findings arrive from the scan.
    const closed = await c.waitForDiagnostics(
      handlers,
      (p) => p.diagnostics.length > 0,
      "the scanned file's diagnostics",
    );
    assert.deepEqual(
      diagKeys(closed),
      expected(path.join(dir, "jobs/handlers.go"), HANDLERS, [{ file, text: WORKER }]),
    );

    // An open file, edited a few times: each analysis runs the throwing rule again.
    let text = WORKER;
    c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "go", version: 1, text } });
    await c.waitForDiagnostics(uri, (p) => p.version === 1, "diagnostics of the open file");
    for (let v = 2; v <= 4; v++) {
      const end = { line: text.split("\n").length - 1, character: 0 };
      c.notify("textDocument/didChange", {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: end, end }, text: `// edit ${v}\n` }],
      });
      text += `// edit ${v}\n`;
      const p = await c.waitForDiagnostics(uri, (q) => q.version === v, `diagnostics of version ${v}`);
      assert.deepEqual(diagKeys(p), expected(file, text, sibling), "the other rules still publish");
      assert.ok(p.diagnostics.length > 0);
    }
    await c.request("mapctx/analyzeWorkspace");
    const failures = logs(c).filter((l) => l.includes("test-throwing-rule"));
    assert.equal(failures.length, 1, `reported once: ${JSON.stringify(failures)}`);
    assert.match(failures[0]!, /throws on purpose/);
    assert.equal(await c.shutdown(), 0);
  });
});
