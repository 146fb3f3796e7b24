// LSP protocol tests: the bundled server (dist/server.js, built by `npm run
// build`) spawned over stdio and driven like an editor would. Diagnostics
// are compared, as sets, with a fresh in-process analysis of the same text.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { analyzeSources, initParser } from "../server/src/analysis/engine";
import type { SeveritySetting } from "../server/src/analysis/types";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { LspClient, SERVER, type Message, type PublishParams } from "./support/lsp-client";

interface Pos {
  line: number;
  character: number;
}
interface Change {
  range?: { start: Pos; end: Pos };
  text: string;
}

/** Applies an LSP change to text with "\n" line ends (UTF-16 columns, as JavaScript strings count). */
function applyChange(text: string, c: Change): string {
  if (!c.range) return c.text;
  const offset = (p: Pos): number => {
    let o = 0;
    for (let l = 0; l < p.line; l++) o = text.indexOf("\n", o) + 1;
    return o + p.character;
  };
  return text.slice(0, offset(c.range.start)) + c.text + text.slice(offset(c.range.end));
}

/** The position of the n-th occurrence (0-based) of `needle` in text. */
function posOf(text: string, needle: string, nth = 0, plus = 0): Pos {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${JSON.stringify(needle)} not found`);
  }
  at += plus;
  const before = text.slice(0, at);
  const line = before.split("\n").length - 1;
  return { line, character: at - (before.lastIndexOf("\n") + 1) };
}

const SEVERITY: Record<string, number> = { error: 1, warning: 2, info: 3, hint: 4 };

function diagKeys(p: PublishParams | undefined): string[] {
  return (p?.diagnostics ?? [])
    .map(
      (d) =>
        `${d.code}|${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}|${d.severity}|${d.message}`,
    )
    .sort();
}

const HANDLERS = `package svc

import "net/http"

// 会话表：按 id 保存（non-ASCII before the findings）.
var sessions = make(map[string]string)

func login(w http.ResponseWriter, r *http.Request) {
	sessions[r.FormValue("id")] = "x"
}

func logout(w http.ResponseWriter, r *http.Request) {
	delete(sessions, r.FormValue("id"))
}
`;

const DECL = `package svc

// hits counts requests by path.
var hits = map[string]int{}
`;

const USE = `package svc

import "net/http"

func track(w http.ResponseWriter, r *http.Request) {
	shared[r.URL.Path] = 1
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

const VENDORED = `package x

import "net/http"

var m = map[string]int{}

func H(w http.ResponseWriter, r *http.Request) { m["a"] = 1 }
`;

describe("language server over stdio", () => {
  let dir = "";
  let client: LspClient | undefined;
  /** What workspace/configuration answers for the mapctx section. */
  let settings: Record<string, unknown> = {};
  /** Severities the expected analysis applies: .mapctx.json and settings, as the server merges them. */
  let severities: Record<string, SeveritySetting> = {};
  const uri = (rel: string): string => pathToFileURL(path.join(dir, rel)).href;
  const disk = (rel: string): string => fs.readFileSync(path.join(dir, rel), "utf8");

  /** The expected diagnostics of `rel` when its package's files have these texts (others from disk). */
  function expected(rel: string, texts: Record<string, string> = {}): string[] {
    const pkgDir = path.dirname(path.join(dir, rel));
    const sources = fs
      .readdirSync(pkgDir)
      .filter((f) => f.endsWith(".go"))
      .map((f) => path.join(path.relative(dir, pkgDir), f))
      .map((r) => ({ file: path.join(dir, r), text: texts[r] ?? disk(r) }));
    for (const [r, text] of Object.entries(texts)) {
      if (!sources.some((s) => s.file === path.join(dir, r))) sources.push({ file: path.join(dir, r), text });
    }
    const res = analyzeSources(sources, pkgDir, {
      rules: RULES,
      knownRules: KNOWN_IDS,
      severityFor: (rule) => severities[rule],
    });
    return res.findings
      .filter((f) => f.file === path.join(dir, rel))
      .map(
        (f) =>
          `${f.rule}|${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}|${SEVERITY[f.severity]}|${f.message}`,
      )
      .sort();
  }

  function write(rel: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }

  /** Waits until the latest diagnostics of `rel` equal the expected ones (later publishes may still be on their way). */
  async function settle(rel: string, want: string[], what: string, since?: number): Promise<PublishParams> {
    const c = client!;
    const key = JSON.stringify(want);
    const latest = c.diagnostics.get(uri(rel));
    if (since === undefined && JSON.stringify(diagKeys(latest)) === key && (latest || want.length === 0))
      return latest ?? { uri: uri(rel), diagnostics: [] };
    return c.waitForDiagnostics(
      uri(rel),
      (p) => JSON.stringify(diagKeys(p)) === key,
      `${what}: ${JSON.stringify(want, null, 1)}; latest ${JSON.stringify(diagKeys(c.diagnostics.get(uri(rel))), null, 1)}`,
      since ?? c.mark(),
    );
  }

  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    await initParser();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-lsp-")));
    write("go.mod", "module example.com/ws\n\ngo 1.19\n");
    write("svc/handlers.go", HANDLERS);
    write("svc/decl.go", DECL);
    write("svc/use.go", USE);
    write("jobs/worker.go", WORKER);
    write("vendor/x/x.go", VENDORED);
    write("gen/gen.go", "// Code generated by hand. DO NOT EDIT.\n\n" + VENDORED);
    client = new LspClient(dir);
    client.handlers.set("workspace/configuration", (p) => (p as { items: unknown[] }).items.map(() => settings));
  });

  after(() => {
    client?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("initializes, registers file watching and scans the workspace with progress", async () => {
    const c = client!;
    const init = await c.request<{
      capabilities: { textDocumentSync: { change: number } };
      serverInfo: { name: string };
    }>("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "ws" }],
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
        },
        window: { workDoneProgress: true },
        textDocument: {
          publishDiagnostics: {
            relatedInformation: true,
            versionSupport: true,
            tagSupport: { valueSet: [1, 2] },
            codeDescriptionSupport: true,
          },
        },
      },
    });
    assert.equal(init.capabilities.textDocumentSync.change, 2, "incremental sync");
    assert.equal(init.serverInfo.name, "mapctx");
    c.notify("initialized", {});

    const reg = await c.waitFor((m) => m.method === "client/registerCapability", "registerCapability");
    const regs = (
      reg.params as { registrations: { method: string; registerOptions: { watchers?: { globPattern: string }[] } }[] }
    ).registrations;
    const watch = regs.find((r) => r.method === "workspace/didChangeWatchedFiles");
    assert.deepEqual(
      watch?.registerOptions.watchers?.map((w) => w.globPattern),
      ["**/*.go", "**/.mapctx.json"],
    );

    const create = await c.waitFor((m) => m.method === "window/workDoneProgress/create", "progress create");
    const token = (create.params as { token: string | number }).token;
    const kinds = (m: Message, kind: string): boolean =>
      m.method === "$/progress" &&
      (m.params as { token: unknown }).token === token &&
      (m.params as { value: { kind: string } }).value.kind === kind;
    const begin = await c.waitFor((m) => kinds(m, "begin"), "progress begin");
    assert.equal((begin.params as { value: { cancellable: boolean } }).value.cancellable, true);
    const end = await c.waitFor((m) => kinds(m, "end"), "progress end");
    const reports = c.messages
      .filter((m) => kinds(m, "report"))
      .map((m) => (m.params as { value: { message?: string } }).value.message);
    const final = reports
      .map((r) => /^(\d+)\/(\d+) files$/.exec(r ?? ""))
      .filter((m) => m !== null)
      .pop();
    assert.ok(
      final && final[1] === final[2] && Number(final[2]) >= 4,
      `progress reports file counts: ${JSON.stringify(reports)}`,
    );
    assert.ok(c.messages.indexOf(begin) < c.messages.indexOf(end));

    // Closed files: findings from disk; vendored and generated files are skipped.
    const worker = await settle("jobs/worker.go", expected("jobs/worker.go"), "closed-file diagnostics after the scan");
    assert.ok(worker.diagnostics.length > 0, "the worker fixture has a finding");
    assert.equal(worker.version, undefined, "closed files have no version");
    const d = worker.diagnostics[0]!;
    assert.equal(d.source, "mapctx");
    assert.match(String(d.codeDescription?.href), new RegExp(`/docs/rules/${String(d.code)}\\.md$`));
    await settle("svc/handlers.go", expected("svc/handlers.go"), "handlers.go from disk");
    assert.equal(c.diagnostics.get(uri("vendor/x/x.go")), undefined, "vendor/ is skipped");
    assert.equal(c.diagnostics.get(uri("gen/gen.go")), undefined, "generated files are skipped");
    assert.ok(
      [...c.diagnostics.keys()].every((u) => u.startsWith("file://")),
      "nothing is published for the start-up warm-up's own file",
    );
    // The warm-up ran before initialize was answered.
    const warm = c.messages.findIndex(
      (m) =>
        m.method === "window/logMessage" &&
        /^warm-up: 40 keystrokes in [\d.]+ ms$/.test((m.params as { message: string }).message),
    );
    assert.ok(
      warm >= 0 && warm < c.messages.findIndex((m) => m.id !== undefined && m.result !== undefined),
      "warm-up logged before the initialize result",
    );
  });

  it("follows incremental edits: non-ASCII, multi-change events, broken and repaired syntax", async () => {
    const c = client!;
    const rel = "svc/handlers.go";
    let text = HANDLERS;
    let version = 1;
    c.notify("textDocument/didOpen", { textDocument: { uri: uri(rel), languageId: "go", version, text } });
    await c.waitForDiagnostics(uri(rel), (p) => p.version === 1, "diagnostics of the opened file");
    assert.deepEqual(diagKeys(c.diagnostics.get(uri(rel))), expected(rel, { [rel]: text }));
    const loginFinding = (p: PublishParams | undefined) =>
      p?.diagnostics.find((d) => d.range.start.line === posOf(text, "sessions[r.Form").line);

    const send = (changes: Change[]): number => {
      version++;
      for (const ch of changes) text = applyChange(text, ch);
      c.notify("textDocument/didChange", { textDocument: { uri: uri(rel), version }, contentChanges: changes });
      return version;
    };
    const check = async (v: number, what: string): Promise<PublishParams> => {
      const p = await c.waitForDiagnostics(uri(rel), (q) => q.version === v, `version ${v} (${what})`);
      assert.deepEqual(
        diagKeys(p),
        expected(rel, { [rel]: text }),
        `diagnostics after ${what} agree with a fresh analysis`,
      );
      return p;
    };

    // Non-ASCII text before a finding on its own line: columns are UTF-16 units.
    const at = posOf(text, "sessions[r.Form");
    await check(send([{ range: { start: at, end: at }, text: "/* 中文🙂 */ " }]), "non-ASCII before a finding");

    // An edit below a finding leaves its diagnostic identical (no flicker).
    assert.ok(loginFinding(c.diagnostics.get(uri(rel))), "the login handler's write is a finding");
    const before = JSON.stringify(loginFinding(c.diagnostics.get(uri(rel))));
    const endLogout = posOf(text, "}\n", 1);
    const p2 = await check(
      send([{ range: { start: endLogout, end: endLogout }, text: "\t// ほかのコメント\n" }]),
      "a comment in another function",
    );
    assert.equal(JSON.stringify(loginFinding(p2)), before, "the unaffected finding is published identically");

    // Several changes in one event, each relative to the text after the previous one.
    const c1 = posOf(text, "delete(sessions");
    const t1 = applyChange(text, { range: { start: c1, end: c1 }, text: "hits[r.URL.Path]++\n\t" });
    const c2 = posOf(t1, "var sessions");
    await check(
      send([
        { range: { start: c1, end: c1 }, text: "hits[r.URL.Path]++\n\t" },
        { range: { start: c2, end: c2 }, text: "// Ω: a line above the declaration\n" },
      ]),
      "a multi-change event using a map from a sibling file",
    );

    // Typing a new handler character by character: a burst, then only the last version counts.
    const typed = '\nfunc stats(w http.ResponseWriter, r *http.Request) {\n\thits["ü"] = len(sessions)\n}\n';
    let last = 0;
    for (let i = 0; i < typed.length; i += 3) {
      const end = posOf(text, "", 0, text.length);
      last = send([{ range: { start: end, end }, text: typed.slice(i, i + 3) }]);
    }
    await check(last, "typing a function in a burst of edits");

    // Break the syntax (remove login's closing brace), then repair it.
    const brace = posOf(text, '"x"\n}', 0, 4);
    await check(
      send([{ range: { start: brace, end: { line: brace.line, character: brace.character + 1 } }, text: "" }]),
      "an edit that breaks the syntax",
    );
    await check(send([{ range: { start: brace, end: brace }, text: "}" }]), "the edit that repairs it");

    // A multi-line deletion that removes the login handler's finding.
    const from = { line: posOf(text, "sessions[r.Form").line, character: 0 };
    const to = posOf(text, '"x"\n', 0, 4);
    await check(send([{ range: { start: from, end: to }, text: "\t_ = r\n" }]), "a multi-line deletion");

    // Declaring a map in the open file makes a closed sibling's write a finding.
    const decl = posOf(text, "func login");
    send([{ range: { start: decl, end: decl }, text: "var shared = map[string]int{}\n\n" }]);
    await settle(
      "svc/use.go",
      expected("svc/use.go", { [rel]: text }),
      "the closed sibling re-analysed after package facts changed",
    );
    assert.ok(expected("svc/use.go", { [rel]: text }).length > 0, "use.go has a finding once shared is a map");

    // A closed sibling changing on disk re-analyses the open file.
    write("svc/decl.go", DECL.replace("var hits = map[string]int{}", "var hits = 0"));
    const mark = c.mark();
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri("svc/decl.go"), type: 2 }] });
    await settle(rel, expected(rel, { [rel]: text }), "the open file after its sibling changed on disk", mark);

    // Closing keeps the file's workspace findings, now from disk.
    const closeMark = c.mark();
    c.notify("textDocument/didClose", { textDocument: { uri: uri(rel) } });
    const closed = await c.waitForDiagnostics(
      uri(rel),
      (p) => p.version === undefined,
      "diagnostics from disk after close",
      closeMark,
    );
    assert.deepEqual(diagKeys(closed), expected(rel));
  });

  it("re-analyses closed files on watched-file changes", async () => {
    const c = client!;
    write("jobs/more.go", WORKER.replace(/results/g, "totals").replace("func start", "func begin"));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri("jobs/more.go"), type: 1 }] });
    const created = await settle("jobs/more.go", expected("jobs/more.go"), "a created file");
    assert.ok(created.diagnostics.length > 0);

    write("jobs/more.go", "package jobs\n\nfunc begin() {}\n");
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri("jobs/more.go"), type: 2 }] });
    await settle("jobs/more.go", [], "a changed file whose finding was fixed");

    write("jobs/more.go", WORKER.replace(/results/g, "totals").replace("func start", "func begin"));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri("jobs/more.go"), type: 2 }] });
    await settle("jobs/more.go", expected("jobs/more.go"), "the finding is back");
    fs.rmSync(path.join(dir, "jobs/more.go"));
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri("jobs/more.go"), type: 3 }] });
    await settle("jobs/more.go", [], "a deleted file");
  });

  it("applies a .mapctx.json change: a rule turned off loses its diagnostics", async () => {
    const c = client!;
    const rule = String(c.diagnostics.get(uri("jobs/worker.go"))!.diagnostics[0]!.code);
    write(".mapctx.json", JSON.stringify({ rules: { [rule]: "off" } }));
    severities = { [rule]: "off" };
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(".mapctx.json"), type: 1 }] });
    await settle("jobs/worker.go", expected("jobs/worker.go"), ".mapctx.json turned the rule off");
    assert.ok(!diagKeys(c.diagnostics.get(uri("jobs/worker.go"))).some((k) => k.startsWith(`${rule}|`)));

    fs.rmSync(path.join(dir, ".mapctx.json"));
    severities = {};
    c.notify("workspace/didChangeWatchedFiles", { changes: [{ uri: uri(".mapctx.json"), type: 3 }] });
    await settle("jobs/worker.go", expected("jobs/worker.go"), ".mapctx.json removed");
  });

  it("applies configuration changes without a restart, and reports invalid values", async () => {
    const c = client!;
    const rule = String(c.diagnostics.get(uri("jobs/worker.go"))!.diagnostics[0]!.code);
    settings = { rules: { [rule]: "error" } };
    severities = { [rule]: "error" };
    c.notify("workspace/didChangeConfiguration", { settings: null });
    await settle("jobs/worker.go", expected("jobs/worker.go"), "severity raised by a setting");
    assert.ok(
      diagKeys(c.diagnostics.get(uri("jobs/worker.go"))).every((k) => !k.startsWith(`${rule}|`) || k.includes("|1|")),
    );

    const mark = c.mark();
    settings = {
      rules: { [rule]: "loud", "no-such-rule": "off" },
      diagnostics: { delay: -5 },
      problems: { scope: "everywhere" },
    };
    severities = {};
    c.notify("workspace/didChangeConfiguration", { settings: null });
    await settle("jobs/worker.go", expected("jobs/worker.go"), "invalid values are ignored", mark);
    const logs = c.messages
      .slice(mark)
      .filter((m) => m.method === "window/logMessage")
      .map((m) => (m.params as { message: string }).message);
    for (const name of [`mapctx.rules.${rule}`, "no-such-rule", "mapctx.diagnostics.delay", "mapctx.problems.scope"]) {
      assert.ok(
        logs.some((l) => l.includes(name)),
        `a log message names ${name}: ${JSON.stringify(logs)}`,
      );
    }

    settings = { problems: { scope: "openFiles" } };
    c.notify("workspace/didChangeConfiguration", { settings: null });
    await settle("jobs/worker.go", [], "openFiles scope clears closed files");
    settings = {};
    c.notify("workspace/didChangeConfiguration", { settings: null });
    await settle("jobs/worker.go", expected("jobs/worker.go"), "workspace scope shows them again");
  });

  it("survives bad input: unknown documents, out-of-range positions, versions going backwards", async () => {
    const c = client!;
    const mark = c.mark();
    c.notify("textDocument/didChange", {
      textDocument: { uri: uri("svc/nope.go"), version: 3 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "x" }],
    });
    const rel = "jobs/worker.go";
    let text = disk(rel);
    c.notify("textDocument/didOpen", { textDocument: { uri: uri(rel), languageId: "go", version: 5, text } });
    c.notify("textDocument/didChange", {
      textDocument: { uri: uri(rel), version: 4 },
      contentChanges: [
        { range: { start: { line: 900, character: 0 }, end: { line: 901, character: 3 } }, text: "\n// tail\n" },
      ],
    });
    text = text + "\n// tail\n";
    const logs = (): string[] =>
      c.messages
        .slice(mark)
        .filter((m) => m.method === "window/logMessage")
        .map((m) => (m.params as { message: string }).message);
    await c.waitFor(
      (m) => m.method === "window/logMessage" && /outside the document/.test((m.params as { message: string }).message),
      "a log about the out-of-range change",
      mark,
    );
    assert.ok(
      logs().some((l) => l.includes("not open")),
      JSON.stringify(logs()),
    );
    assert.ok(
      logs().some((l) => l.includes("does not follow")),
      JSON.stringify(logs()),
    );
    const p = await c.waitForDiagnostics(
      uri(rel),
      (q) => q.version === 4,
      "diagnostics after the clamped change",
      mark,
    );
    assert.deepEqual(diagKeys(p), expected(rel, { [rel]: text }));
    const r = await c.request<{ files: number }>("mapctx/analyzeWorkspace");
    assert.ok(r.files >= 4, "the server still answers requests");
    c.notify("textDocument/didClose", { textDocument: { uri: uri(rel) } });
  });

  it("analyses untitled Go documents on their own", async () => {
    const c = client!;
    const untitled = "untitled:Untitled-1";
    const text = WORKER.replace("package jobs", "package scratch");
    c.notify("textDocument/didOpen", { textDocument: { uri: untitled, languageId: "go", version: 1, text } });
    const p = await c.waitForDiagnostics(untitled, (q) => q.version === 1, "diagnostics of an untitled document");
    const want = analyzeSources([{ file: "/untitled/a.go", text }], "/untitled", {
      rules: RULES,
      knownRules: KNOWN_IDS,
    }).findings;
    assert.equal(p.diagnostics.length, want.length);
    assert.ok(p.diagnostics.length > 0);
    // Documents in other languages are not analysed, and their changes are not complained about.
    const mark = c.mark();
    c.notify("textDocument/didOpen", {
      textDocument: { uri: uri("README.md"), languageId: "markdown", version: 1, text: "# hi" },
    });
    c.notify("textDocument/didChange", {
      textDocument: { uri: uri("README.md"), version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "x" }],
    });
    c.notify("textDocument/didClose", { textDocument: { uri: untitled } });
    await c.waitForDiagnostics(
      untitled,
      (q) => q.diagnostics.length === 0,
      "an untitled document's diagnostics cleared on close",
      mark,
    );
    assert.ok(
      !c.messages
        .slice(mark)
        .some((m) => m.method === "window/logMessage" && /README/.test((m.params as { message: string }).message)),
    );
  });

  it("shuts down cleanly", async () => {
    assert.equal(await client!.shutdown(), 0);
  });
});

describe("workspace scan cancellation", () => {
  let dir = "";
  let client: LspClient | undefined;

  after(() => {
    client?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stops the scan when the client cancels its progress", async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-cancel-")));
    for (let d = 0; d < 60; d++) {
      fs.mkdirSync(path.join(dir, `p${d}`));
      for (let f = 0; f < 8; f++)
        fs.writeFileSync(
          path.join(dir, `p${d}`, `f${f}.go`),
          WORKER.replace("package jobs", `package p${d}`)
            .replace(/results/g, `results${f}`)
            .replace("func start", `func start${f}`),
        );
    }
    const c = (client = new LspClient(dir));
    await c.request("initialize", {
      processId: process.pid,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "many" }],
      capabilities: { window: { workDoneProgress: true } },
    });
    c.notify("initialized", {});
    const begin = await c.waitFor(
      (m) => m.method === "$/progress" && (m.params as { value: { kind: string } }).value.kind === "begin",
      "progress begin",
    );
    const token = (begin.params as { token: string | number }).token;
    c.notify("window/workDoneProgress/cancel", { token });
    await c.waitFor(
      (m) => m.method === "$/progress" && (m.params as { value: { kind: string } }).value.kind === "end",
      "progress end",
    );
    const log = await c.waitFor(
      (m) =>
        m.method === "window/logMessage" && /workspace scan|analysed/.test((m.params as { message: string }).message),
      "the scan's log line",
    );
    assert.match((log.params as { message: string }).message, /cancelled/);
    const published = [...c.diagnostics.keys()].length;
    assert.ok(published < 480, `the scan stopped early (${published} of 480 files published)`);
    assert.equal(await c.shutdown(), 0);
  });
});
