// Code actions over the protocol: the bundled server (dist/server.js) driven
// like an editor. Every expected edit is computed in-process by the engine
// (the finding's fix applied with applyEdits), so the server's actions are
// checked against the same fixes the CLI and the golden files use.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { docsUrl } from "../server/src/analysis/docsUrl";
import { analyzeSources, initParser, normalizeText } from "../server/src/analysis/engine";
import type { Finding, Fix, TextEdit } from "../server/src/analysis/types";
import { workspaceFromSources } from "../server/src/analysis/workspace";
import { applyEdits } from "../server/src/fixes/apply";
import { isIgnoreFix } from "../server/src/fixes/ignore";
import { KNOWN_IDS, RULES } from "../server/src/rules";
import { moduleForFile } from "../server/src/workspace/gomod";
import { LspClient, ROOT, SERVER, type PublishParams } from "./support/lsp-client";

interface Pos {
  line: number;
  character: number;
}
interface LspRange {
  start: Pos;
  end: Pos;
}
type Diag = PublishParams["diagnostics"][number];
interface LspEdit {
  range: LspRange;
  newText: string;
}
interface DocumentChange {
  textDocument: { uri: string; version: number | null };
  edits: LspEdit[];
}
interface Action {
  title: string;
  kind?: string;
  isPreferred?: boolean;
  diagnostics?: Diag[];
  disabled?: { reason: string };
  edit?: { documentChanges?: DocumentChange[]; changes?: Record<string, LspEdit[]> };
  command?: { title: string; command: string; arguments?: unknown[] };
}

/** Text with "\n" line ends: applies LSP edits (all relative to the original text). */
function applyLsp(text: string, edits: LspEdit[]): string {
  return applyEdits(
    text,
    edits.map((e) => ({ file: "", range: e.range, newText: e.newText })),
  );
}

const GIN = `package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// 会话 (non-ASCII before the findings): the keys are set and read directly.
func auth(c *gin.Context) {
	c.Keys["user"] = "alice"
	c.Next()
}

func profile(c *gin.Context) {
	u := c.Keys["user"]
	v, ok := c.Keys["v"]
	c.JSON(http.StatusOK, gin.H{"user": u, "v": v, "ok": ok})
}

func countWords(words []string) int {
	var seen map[string]bool
	for _, w := range words {
		seen[w] = true
	}
	return len(seen)
}
`;

const CROSS_PACKAGE = path.join(ROOT, "test/fixtures/context-key-builtin/cross_package");

function rangeKey(r: LspRange): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

function preferred(f: Finding): Fix | undefined {
  return f.fixes.find((x) => x.safe && !isIgnoreFix(x) && x.edits.length > 0);
}

describe("code actions over the protocol", () => {
  let dir = "";
  let client: LspClient | undefined;
  let delay = 0;
  const shown: unknown[] = [];
  const uri = (rel: string): string => pathToFileURL(path.join(dir, rel)).href;
  const disk = (rel: string): string => fs.readFileSync(path.join(dir, rel), "utf8");

  function write(rel: string, text: string): void {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }

  /** The engine's findings of one file whose package directory holds these texts (the others from disk). */
  function engineFindings(rel: string, texts: Record<string, string> = {}): Finding[] {
    const all = (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
      .filter((f) => f.endsWith(".go"))
      .map((r) => ({ file: path.join(dir, r), text: normalizeText(texts[r] ?? disk(r)) }));
    const ws = workspaceFromSources(all, moduleForFile);
    try {
      const pkgDir = path.dirname(path.join(dir, rel));
      const res = analyzeSources(
        all.filter((s) => path.dirname(s.file) === pkgDir),
        pkgDir,
        { rules: RULES, knownRules: KNOWN_IDS, moduleFor: moduleForFile, workspace: ws },
      );
      return res.findings.filter((f) => f.file === path.join(dir, rel));
    } finally {
      ws.dispose();
    }
  }

  function findingAt(findings: Finding[], d: Diag): Finding {
    const f = findings.find(
      (x) => x.rule === d.code && x.message === d.message && rangeKey(x.range) === rangeKey(d.range),
    );
    assert.ok(f, `the engine has a finding for ${JSON.stringify(d)}`);
    return f;
  }

  function actions(rel: string, range: LspRange, diagnostics: Diag[], only?: string[]): Promise<Action[]> {
    return client!.request<Action[]>("textDocument/codeAction", {
      textDocument: { uri: uri(rel) },
      range,
      context: { diagnostics, ...(only ? { only } : {}), triggerKind: 1 },
    });
  }

  async function open(rel: string, text: string, version = 1): Promise<PublishParams> {
    const c = client!;
    const mark = c.mark();
    c.notify("textDocument/didOpen", { textDocument: { uri: uri(rel), languageId: "go", version, text } });
    return c.waitForDiagnostics(uri(rel), (p) => p.version === version, `diagnostics of ${rel} v${version}`, mark);
  }

  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    await initParser();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-actions-")));
    write("go.mod", "module example.com/shop\n\ngo 1.19\n");
    write("web/keys.go", GIN);
    // The typed-key fixture: a key set in package auth and read in package api and in an external test.
    for (const rel of fs.readdirSync(CROSS_PACKAGE, { recursive: true, encoding: "utf8" }) as string[]) {
      if (!rel.endsWith(".go")) continue;
      write(rel, fs.readFileSync(path.join(CROSS_PACKAGE, rel), "utf8"));
    }
    // A key that generated code reads too: no typed-key fix may be offered for it.
    write(
      "jobs/jobs.go",
      'package jobs\n\nimport "context"\n\n// WithJob stores the job id.\nfunc WithJob(ctx context.Context, id string) context.Context {\n\treturn context.WithValue(ctx, "job", id)\n}\n',
    );
    write(
      "jobsgen/gen.go",
      '// Code generated by hand. DO NOT EDIT.\n\npackage jobsgen\n\nimport "context"\n\nfunc Job(ctx context.Context) string {\n\ts, _ := ctx.Value("job").(string)\n\treturn s\n}\n',
    );
    const c = (client = new LspClient(dir));
    c.handlers.set("workspace/configuration", (p) =>
      (p as { items: unknown[] }).items.map(() => ({ diagnostics: { delay } })),
    );
    c.handlers.set("window/showDocument", (p) => {
      shown.push(p);
      return { success: true };
    });
    const init = await c.request<{
      capabilities: {
        codeActionProvider?: { codeActionKinds?: string[]; resolveProvider?: boolean };
        executeCommandProvider?: { commands: string[] };
      };
    }>("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "shop" }],
      capabilities: {
        workspace: {
          configuration: true,
          workspaceEdit: { documentChanges: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
        },
        window: { workDoneProgress: true, showDocument: { support: true } },
        textDocument: {
          codeAction: {
            disabledSupport: true,
            isPreferredSupport: true,
            codeActionLiteralSupport: {
              codeActionKind: { valueSet: ["quickfix", "source", "source.fixAll"] },
            },
          },
        },
      },
    });
    assert.deepEqual(init.capabilities.codeActionProvider?.codeActionKinds, ["quickfix", "source.fixAll.mapctx"]);
    assert.ok(!init.capabilities.codeActionProvider?.resolveProvider);
    assert.deepEqual(init.capabilities.executeCommandProvider?.commands, ["mapctx.showDocumentation"]);
    c.notify("initialized", {});
    // The scan has read every file (the typed-key fix needs the other packages' records).
    await c.waitForDiagnostics(uri("api/api.go"), (p) => p.diagnostics.length > 0, "the scan's diagnostics");
  });

  after(() => {
    client?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("offers a finding's fixes for its diagnostic: preferred safe fix, versioned edits, fix all, ignore, docs", async () => {
    const rel = "web/keys.go";
    const p = await open(rel, GIN);
    const findings = engineFindings(rel, { [rel]: GIN });
    const write = p.diagnostics.find((d) => d.message.includes("written directly"));
    assert.ok(write, JSON.stringify(p.diagnostics));
    const list = await actions(rel, write.range, [write]);
    const titles = list.map((a) => a.title);
    const fix = list.find((a) => a.title === "Use c.Set / c.Get");
    assert.ok(fix, `the fix is offered: ${JSON.stringify(titles)}`);
    assert.equal(fix.kind, "quickfix");
    assert.equal(fix.isPreferred, true);
    assert.deepEqual(fix.diagnostics, [write]);
    const changes = fix.edit?.documentChanges;
    assert.ok(changes && changes.length === 1, JSON.stringify(fix.edit));
    assert.deepEqual(changes[0]!.textDocument, { uri: uri(rel), version: 1 });
    const engine = findingAt(findings, write);
    assert.equal(applyLsp(GIN, changes[0]!.edits), applyEdits(GIN, preferred(engine)!.edits));

    const ignore = list.find((a) => a.title === "Ignore gin-keys-direct on this line");
    assert.ok(ignore, JSON.stringify(titles));
    assert.ok(!ignore.isPreferred, "the ignore fix is never preferred");
    assert.ok(titles.indexOf("Use c.Set / c.Get") < titles.indexOf("Ignore gin-keys-direct on this line"));

    // Fix all of the rule: its two safe fixes (the plain read has only an unsafe one), in one edit.
    const all = list.find((a) => a.title === "Fix all gin-keys-direct problems in this file");
    assert.ok(all, JSON.stringify(titles));
    assert.equal(all.kind, "quickfix");
    const safe = findings
      .filter((f) => f.rule === "gin-keys-direct")
      .map(preferred)
      .filter((x) => x !== undefined);
    assert.equal(safe.length, 2);
    assert.equal(
      applyLsp(GIN, all.edit!.documentChanges![0]!.edits),
      applyEdits(
        GIN,
        safe.flatMap((x) => x.edits),
      ),
    );
    assert.equal(all.diagnostics?.length, 2);

    const docs = list.find((a) => a.title === "Show documentation for gin-keys-direct");
    assert.ok(docs, JSON.stringify(titles));
    assert.deepEqual(docs.command?.arguments, ["gin-keys-direct"]);
    assert.equal(docs.command?.command, "mapctx.showDocumentation");
    assert.equal(docs.edit, undefined);

    // The command opens the rule's page in the browser through window/showDocument.
    const before = shown.length;
    await client!.request("workspace/executeCommand", {
      command: docs.command!.command,
      arguments: docs.command!.arguments,
    });
    assert.deepEqual(shown.slice(before), [{ uri: docsUrl("gin-keys-direct"), external: true }]);
    await assert.rejects(
      client!.request("workspace/executeCommand", { command: "mapctx.showDocumentation", arguments: ["no-such-rule"] }),
      /rule id/,
    );
  });

  it("offers fixes for findings in the range when the context has no diagnostics (Ctrl+.)", async () => {
    const rel = "web/keys.go";
    const p = client!.diagnostics.get(uri(rel))!;
    const commaOk = p.diagnostics.find((d) => d.range.start.line === 16);
    assert.ok(commaOk, JSON.stringify(p.diagnostics));
    // A cursor inside the finding's range, nothing in the context.
    const at = { line: 16, character: commaOk.range.start.character + 3 };
    const list = await actions(rel, { start: at, end: at }, []);
    const fix = list.find((a) => a.title === "Use c.Set / c.Get");
    assert.ok(fix, JSON.stringify(list.map((a) => a.title)));
    assert.equal(fix.isPreferred, true);
    assert.deepEqual(fix.diagnostics, [commaOk], "the action names the published diagnostic");
    const engine = findingAt(engineFindings(rel, { [rel]: GIN }), commaOk);
    assert.equal(applyLsp(GIN, fix.edit!.documentChanges![0]!.edits), applyEdits(GIN, preferred(engine)!.edits));

    // The plain read has only an unsafe fix: offered, not preferred.
    const read = p.diagnostics.find((d) => d.range.start.line === 15)!;
    const readActions = await actions(rel, read.range, []);
    const unsafe = readActions.find((a) => a.title === "Use c.Set / c.Get");
    assert.ok(unsafe && !unsafe.isPreferred, JSON.stringify(readActions));

    // A line without findings: no quick fixes.
    const none = await actions(rel, { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, []);
    assert.deepEqual(
      none.filter((a) => a.kind === "quickfix"),
      [],
    );
  });

  it("respects context.only", async () => {
    const rel = "web/keys.go";
    const d = client!.diagnostics.get(uri(rel))!.diagnostics[0]!;
    const quick = await actions(rel, d.range, [d], ["quickfix"]);
    assert.ok(quick.length > 0);
    assert.ok(
      quick.every((a) => a.kind === "quickfix"),
      JSON.stringify(quick.map((a) => a.kind)),
    );
    for (const only of [["source.fixAll"], ["source"], ["source.fixAll.mapctx"]]) {
      const src = await actions(rel, d.range, [d], only);
      assert.deepEqual(
        src.map((a) => a.kind),
        ["source.fixAll.mapctx"],
        `only ${JSON.stringify(only)}`,
      );
    }
    assert.deepEqual(await actions(rel, d.range, [d], ["refactor.rewrite"]), []);
  });

  it("fix-all applies every safe fix in one versioned edit; nothing safe is left afterwards", async () => {
    const c = client!;
    const rel = "web/keys.go";
    const whole = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const [action, ...more] = await actions(rel, whole, [], ["source.fixAll.mapctx"]);
    assert.equal(more.length, 0);
    assert.ok(action?.edit?.documentChanges, JSON.stringify(action));
    assert.equal(action.kind, "source.fixAll.mapctx");
    assert.ok(!action.title.startsWith("Ignore"));
    const [change, ...others] = action.edit.documentChanges;
    assert.equal(others.length, 0);
    assert.deepEqual(change!.textDocument, { uri: uri(rel), version: 1 });
    const fixed = applyLsp(GIN, change!.edits);
    // The same as applying every finding's preferred safe fix with the engine.
    const findings = engineFindings(rel, { [rel]: GIN });
    const safe = findings.map(preferred).filter((x): x is Fix => x !== undefined);
    assert.ok(new Set(safe.map((x) => x.title)).size >= 2, "fixes of two rules");
    assert.equal(
      fixed,
      applyEdits(
        GIN,
        safe.flatMap((x) => x.edits),
      ),
    );
    assert.ok(!fixed.includes("//mapctx:ignore"), "never the ignore fix");

    // The editor applies it: the re-analysis has findings left, none with a safe fix.
    const mark = c.mark();
    c.notify("textDocument/didChange", {
      textDocument: { uri: uri(rel), version: 2 },
      // Edits from last to first, each as one incremental change.
      contentChanges: [...change!.edits]
        .sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character)
        .map((e) => ({ range: e.range, text: e.newText })),
    });
    const after = await c.waitForDiagnostics(uri(rel), (p) => p.version === 2, "diagnostics after fix-all", mark);
    const left = engineFindings(rel, { [rel]: fixed });
    assert.ok(left.length > 0, "the unsafe finding stays");
    assert.deepEqual(
      left.filter((f) => preferred(f) !== undefined).map((f) => f.message),
      [],
    );
    assert.deepEqual(
      after.diagnostics.map((d) => `${d.code}|${rangeKey(d.range)}|${d.message}`).sort(),
      left.map((f) => `${f.rule}|${rangeKey(f.range)}|${f.message}`).sort(),
    );
    assert.deepEqual(await actions(rel, whole, [], ["source.fixAll"]), [], "nothing left to fix");
  });

  it("refuses fix-all and edits when the findings belong to an older version", async () => {
    const c = client!;
    const rel = "web/stale.go";
    const text = GIN.replace("package web", "package web\n\n// stale").replace(/func (\w+)\(/g, "func $1Stale(");
    write(rel, text);
    const v1 = await open(rel, text);
    const d = v1.diagnostics.find((x) => x.message.includes("written directly"))!;
    assert.ok(d, JSON.stringify(v1.diagnostics));
    // A long debounce keeps the next version's analysis from running before the request.
    delay = 2000;
    const confMark = c.mark();
    c.notify("workspace/didChangeConfiguration", { settings: null });
    await c.waitFor((m) => m.method === "workspace/configuration", "the server reads the settings", confMark);
    // The settings are applied once the answer is in: a request answered after them proves it.
    await actions(rel, d.range, [d]);

    const at = { line: 0, character: 0 };
    c.notify("textDocument/didChange", {
      textDocument: { uri: uri(rel), version: 2 },
      contentChanges: [{ range: { start: at, end: at }, text: "// edited\n" }],
    });
    const edited = "// edited\n" + text;
    const refused = await actions(rel, d.range, [d], ["source.fixAll.mapctx"]);
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.equal(refused[0]!.edit, undefined);
    assert.match(refused[0]!.disabled?.reason ?? "", /version 1.*2/);
    // Quick fixes asked with the old version's diagnostic: no edits computed for the old text.
    const quick = await actions(rel, d.range, [d]);
    assert.deepEqual(
      quick.filter((a) => a.edit !== undefined),
      [],
    );
    assert.ok(quick.some((a) => a.title === "Show documentation for gin-keys-direct"));

    // Once the analysis has caught up, the same request gets an edit for version 2.
    await c.waitForDiagnostics(uri(rel), (p) => p.version === 2, "diagnostics of version 2");
    delay = 0;
    c.notify("workspace/didChangeConfiguration", { settings: null });
    const ok = await actions(rel, d.range, [], ["source.fixAll.mapctx"]);
    assert.equal(ok.length, 1);
    assert.equal(ok[0]!.disabled, undefined);
    assert.deepEqual(ok[0]!.edit?.documentChanges?.[0]?.textDocument, { uri: uri(rel), version: 2 });
    const safe = engineFindings(rel, { [rel]: edited })
      .map(preferred)
      .filter((x): x is Fix => x !== undefined);
    assert.equal(
      applyLsp(edited, ok[0]!.edit!.documentChanges![0]!.edits),
      applyEdits(
        edited,
        safe.flatMap((x) => x.edits),
      ),
    );
    c.notify("textDocument/didClose", { textDocument: { uri: uri(rel) } });
  });

  it("a typed context key is one WorkspaceEdit over every package that uses the key", async () => {
    const rel = "auth/auth.go";
    const text = disk(rel);
    const p = await open(rel, text, 7);
    const d = p.diagnostics.find((x) => x.code === "context-key-builtin");
    assert.ok(d, JSON.stringify(p.diagnostics));
    const list = await actions(rel, d.range, [d]);
    const fix = list.find((a) => a.title === "Introduce a typed context key");
    assert.ok(fix, `offered: ${JSON.stringify(list.map((a) => a.title))}`);
    assert.equal(fix.isPreferred, true);
    const engine = findingAt(engineFindings(rel), d);
    const want = engine.fixes.find((x) => x.title === "Introduce a typed context key")!;
    const files = [...new Set(want.edits.map((e) => e.file))].sort();
    assert.ok(files.length >= 2, `the engine's fix spans several files: ${files.join(", ")}`);
    const changes = fix.edit?.documentChanges ?? [];
    assert.deepEqual(changes.map((ch) => ch.textDocument.uri).sort(), files.map((f) => pathToFileURL(f).href).sort());
    for (const ch of changes) {
      const file = new URL(ch.textDocument.uri).pathname;
      const r = path.relative(dir, file);
      // The open document carries its version; files that are not open carry null.
      assert.equal(ch.textDocument.version, r === rel ? 7 : null, r);
      const before = disk(r);
      const edits: TextEdit[] = want.edits.filter((e) => e.file === file);
      assert.equal(applyLsp(before, ch.edits), applyEdits(before, edits), `the edit of ${r}`);
    }
    client!.notify("textDocument/didClose", { textDocument: { uri: uri(rel) } });
  });

  it("offers no typed key when generated code uses the key, like the engine", async () => {
    const rel = "jobs/jobs.go";
    const p = await open(rel, disk(rel));
    const d = p.diagnostics.find((x) => x.code === "context-key-builtin");
    assert.ok(d, JSON.stringify(p.diagnostics));
    const engine = findingAt(engineFindings(rel), d);
    assert.ok(!engine.fixes.some((x) => x.title === "Introduce a typed context key"), "the engine offers none");
    const list = await actions(rel, d.range, [d]);
    assert.deepEqual(
      list.filter((a) => a.title === "Introduce a typed context key"),
      [],
    );
    assert.equal(d.message, engine.message, "the message says why, as the engine's does");
    client!.notify("textDocument/didClose", { textDocument: { uri: uri(rel) } });
  });

  it("shuts down cleanly", async () => {
    assert.equal(await client!.shutdown(), 0);
  });
});
