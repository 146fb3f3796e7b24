// Runs inside the VS Code extension host (see ../runTest.ts): the same checks as the
// code-server test, made through the extension API instead of the DOM.
import assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { MapctxApi } from "../../../client/src/extension";
import type { ExpectedFinding, TestWorkspace } from "../../e2e/workspace";

const WAIT_MS = 60_000;

/** Resolves once `ready()` holds, re-checking whenever `event` fires; never sleeps. */
function waitFor<T>(what: string, event: vscode.Event<unknown>, ready: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const value = ready();
      if (value === undefined) return false;
      sub.dispose();
      clearTimeout(timer);
      resolve(value);
      return true;
    };
    const sub = event(() => void check());
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    check();
  });
}

function key(f: ExpectedFinding): string {
  return `${f.rule}|${f.line}:${f.column}|${f.message}`;
}

/** The mapctx findings VS Code holds for a file, in the same shape as the expectations. */
function shown(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === "mapctx")
    .map((d) => {
      const rule = typeof d.code === "object" ? String(d.code.value) : String(d.code);
      return key({ rule, line: d.range.start.line + 1, column: d.range.start.character + 1, message: d.message });
    })
    .sort();
}

async function expectFindings(ws: TestWorkspace, file: string): Promise<void> {
  const uri = vscode.Uri.file(path.join(ws.dir, file));
  const want = ws.findings[file].map(key).sort();
  await waitFor(`the findings of ${file}`, vscode.languages.onDidChangeDiagnostics, () => {
    const got = shown(uri);
    return got.length === want.length && got.every((g, i) => g === want[i]) ? true : undefined;
  }).catch((err: Error) => {
    assert.fail(`${err.message}\nwant:\n${want.join("\n")}\ngot:\n${shown(uri).join("\n")}`);
  });
}

export async function run(): Promise<void> {
  const ws = JSON.parse(process.env.MAPCTX_TEST_WORKSPACE ?? "") as TestWorkspace;
  const ext = vscode.extensions.getExtension<MapctxApi>("mapctx.mapctx");
  assert.ok(ext, "the mapctx extension is not installed");
  const api = await ext.activate();

  // An opened file gets its findings (the squiggles of the code-server test).
  const doc = await vscode.workspace.openTextDocument(path.join(ws.dir, ws.opened));
  await vscode.window.showTextDocument(doc);
  await expectFindings(ws, ws.opened);

  // A file that was never opened gets its findings from the workspace scan (the Problems panel).
  const unopened = vscode.Uri.file(path.join(ws.dir, ws.unopened)).toString();
  assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === unopened), `${ws.unopened} is open`);
  await expectFindings(ws, ws.unopened);

  // The language status item counts every finding in the workspace.
  const want = `mapctx: ${ws.total} ${ws.total === 1 ? "finding" : "findings"}`;
  await waitFor(`the status "${want}"`, api.onDidChangeStatus, () =>
    api.status().text === want ? true : undefined,
  ).catch((err: Error) => assert.fail(`${err.message}; it says "${api.status().text}"`));
}
