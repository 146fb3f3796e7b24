// Memory stays flat in the language server: documents opened, edited and
// closed 10,000 times, and the workspace rescanned 20 times, must not leave
// trees, texts or findings behind. RSS is read from /proc; the JavaScript heap
// comes from the server's own log line after a workspace scan (the server runs
// with --expose-gc, so the figure is what survives a collection). Both are
// printed.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
/** The server's custom request that rescans every workspace folder. */
const ANALYZE_WORKSPACE = "mapctx/analyzeWorkspace";
import { LspClient, SERVER, type Message, type PublishParams } from "./support/lsp-client";

const DOCUMENTS = 10_000;
const RESCANS = 20;
/** Growth allowed once warm: a leak of one small tree or text per document would pass this by far. */
const DOCUMENT_GROWTH_MB = 64;
const RESCAN_GROWTH_MB = 48;
/** Heap after a collection: what the server keeps. An entry of 500 bytes left per closed document (an empty package record, once) grows it by 4 MiB. */
const DOCUMENT_HEAP_GROWTH_MB = 3;
const RESCAN_HEAP_GROWTH_MB = 3;

const HANDLER = (n: number) => `package mem

import "net/http"

var sessions${n} = make(map[string]string)

// login${n} 写入全局 map (non-ASCII comment).
func login${n}(w http.ResponseWriter, r *http.Request) {
	sessions${n}[r.FormValue("id")] = "x"
}
`;

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

/** Rescans the workspace and reads the server's live heap (after a forced collection) from its log line. */
async function scanHeapMb(c: LspClient): Promise<number> {
  const since = c.mark();
  await c.request(ANALYZE_WORKSPACE, {}, 60_000);
  const heap = /memory: heap (\d+) MiB/;
  const m = await c.waitFor(
    (m) => m.method === "window/logMessage" && heap.test((m.params as { message: string }).message),
    "the scan's memory log line",
    since,
  );
  return Number(heap.exec((m.params as { message: string }).message)![1]);
}

/** A round trip: the server handles messages in order, so its answer means all earlier ones were handled. */
async function barrier(c: LspClient): Promise<void> {
  await c.request("mapctx/memoryTestBarrier").catch(() => undefined);
}

describe("memory stays flat", { skip: fs.existsSync("/proc/self/status") ? false : "needs /proc" }, () => {
  let dir = "";
  let client: LspClient | undefined;

  before(async () => {
    assert.ok(fs.existsSync(SERVER), `${SERVER} is missing: run npm run build`);
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-mem-")));
    fs.writeFileSync(path.join(dir, "go.mod"), "module example.com/mem\n\ngo 1.19\n");
    for (let p = 0; p < 10; p++) {
      const pkg = path.join(dir, `pkg${p}`);
      fs.mkdirSync(pkg);
      for (let f = 0; f < 10; f++)
        fs.writeFileSync(path.join(pkg, `f${f}.go`), HANDLER(f).replace("package mem", `package pkg${p}`));
    }
    fs.mkdirSync(path.join(dir, "mem"));
    client = new LspClient(dir, ["--stdio"], process.env, ["--expose-gc"]);
    await client.request("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(dir).href,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "mem" }],
      capabilities: {},
    });
    client.notify("initialized", {});
    await barrier(client);
  });

  after(() => {
    client?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`opening, editing and closing ${DOCUMENTS.toLocaleString("en")} documents`, async () => {
    const c = client!;
    const pid = c.proc.pid!;
    let warm = 0;
    let warmHeap = 0;
    const BATCH = 100;
    for (let start = 0; start < DOCUMENTS; start += BATCH) {
      const uris: string[] = [];
      for (let i = start; i < start + BATCH; i++) {
        const uri = pathToFileURL(path.join(dir, "mem", `doc${i}.go`)).href;
        uris.push(uri);
        // Each document is its own package (its own package clause), so opening one does not re-analyse the others.
        const text = HANDLER(i).replace("package mem", `package mem${i}`);
        c.notify("textDocument/didOpen", { textDocument: { uri, languageId: "go", version: 1, text } });
        c.notify("textDocument/didChange", {
          textDocument: { uri, version: 2 },
          contentChanges: [
            { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: "// edited\n" },
          ],
        });
      }
      // Each document is analysed while open: its finding arrives for the edited version.
      const pending = new Set(uris);
      const since = c.mark();
      const analysed = (m: Message): boolean => {
        const p = m.params as PublishParams;
        if (m.method === "textDocument/publishDiagnostics" && p.version === 2 && p.diagnostics.length > 0)
          pending.delete(p.uri);
        return pending.size === 0;
      };
      await c.waitFor(analysed, `diagnostics of documents ${start}..${start + BATCH - 1}`, since, 60_000);
      for (const uri of uris) c.notify("textDocument/didClose", { textDocument: { uri } });
      await barrier(c);
      // Keep the test client's own record small: closed documents' publications are done with.
      c.messages.length = 0;
      c.diagnostics.clear();
      if (start + BATCH === 2000) {
        warm = rssMb(pid);
        warmHeap = await scanHeapMb(c);
      }
    }
    await barrier(c);
    const end = rssMb(pid);
    const endHeap = await scanHeapMb(c);
    console.log(
      `server after 2,000 documents: RSS ${warm.toFixed(0)} MiB, heap ${warmHeap} MiB; ` +
        `after ${DOCUMENTS}: RSS ${end.toFixed(0)} MiB, heap ${endHeap} MiB`,
    );
    assert.ok(
      end - warm < DOCUMENT_GROWTH_MB,
      `RSS grew by ${(end - warm).toFixed(0)} MiB from 2,000 to ${DOCUMENTS} documents`,
    );
    assert.ok(
      endHeap - warmHeap < DOCUMENT_HEAP_GROWTH_MB,
      `heap grew by ${endHeap - warmHeap} MiB from 2,000 to ${DOCUMENTS} documents`,
    );
  });

  it(`rescanning the workspace ${RESCANS} times`, async () => {
    const c = client!;
    const pid = c.proc.pid!;
    let warm = 0;
    let warmHeap = 0;
    let endHeap = 0;
    for (let i = 0; i < RESCANS; i++) {
      const since = c.mark();
      const r = await c.request<{ files: number }>(ANALYZE_WORKSPACE, {}, 60_000);
      assert.equal(r.files, 100);
      const heap = c.messages
        .slice(since)
        .map((m) => /memory: heap (\d+) MiB/.exec((m.params as { message?: string } | undefined)?.message ?? ""))
        .find((m) => m !== null);
      assert.ok(heap, "each scan logs the server's memory");
      endHeap = Number(heap[1]);
      c.messages.length = 0;
      if (i === 1) {
        warm = rssMb(pid);
        warmHeap = endHeap;
      }
    }
    const end = rssMb(pid);
    console.log(
      `server after 2 rescans: RSS ${warm.toFixed(0)} MiB, heap ${warmHeap} MiB; ` +
        `after ${RESCANS}: RSS ${end.toFixed(0)} MiB, heap ${endHeap} MiB`,
    );
    assert.ok(end - warm < RESCAN_GROWTH_MB, `RSS grew by ${(end - warm).toFixed(0)} MiB over ${RESCANS - 2} rescans`);
    assert.ok(
      endHeap - warmHeap < RESCAN_HEAP_GROWTH_MB,
      `heap grew by ${endHeap - warmHeap} MiB over ${RESCANS - 2} rescans`,
    );
  });
});
