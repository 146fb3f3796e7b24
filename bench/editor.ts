// Editor figures of the language server (dist/server.js, run `npm run build`
// first), printed in one run:
//   - server time per keystroke on a 10k-line file: 200 single-character
//     edits that keep the code valid (p50/p99), and syntax-breaking ones
//     (p99/max), from the server's verbose trace;
//   - the round trip from didChange to publishDiagnostics with delay 0;
//   - workspace scan time and server RSS after scanning the Go standard
//     library source with 1 worker thread and with one per core
//     (GOROOT/src, when `go` is installed; else examples/).
// Usage: tsx bench/editor.ts [--editor-only] [corpus-dir]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { LspClient, SERVER, type Message } from "../test/support/lsp-client";
import { lineColumnAt } from "../test/support/text";
import { SCAN_THREADS_ENV } from "../server/src/lsp/server";
import { defaultJobs } from "../server/src/workspace/pool";
import { corpus } from "./corpus";
import { bigFile } from "./gofile";

const EDITS = 200;
const BREAKING = 40;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function f(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

function posAt(text: string, offset: number): { line: number; character: number } {
  const { line, column } = lineColumnAt(text, offset);
  return { line, character: column };
}

/** Offsets inside string literals and comments of function bodies, where a typed letter keeps the code valid. */
function validSpots(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/"%s %d"|"key\d+"|counts requests/g)) out.push(m.index + 2);
  return out;
}

async function editorFigures(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-bench-"));
  const file = path.join(dir, "big.go");
  let text = bigFile(10_000);
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).href;
  const client = new LspClient(dir);
  client.handlers.set("workspace/configuration", (p) =>
    (p as { items: unknown[] }).items.map(() => ({ diagnostics: { delay: 0 }, trace: { server: "verbose" } })),
  );
  try {
    await client.request("initialize", {
      processId: process.pid,
      workspaceFolders: [{ uri: pathToFileURL(dir).href, name: "bench" }],
      capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
    });
    client.notify("initialized", {});
    await client.waitFor(
      (m) => m.method === "$/progress" && (m.params as { value: { kind: string } }).value.kind === "end",
      "initial scan",
    );
    let version = 1;
    client.notify("textDocument/didOpen", { textDocument: { uri, languageId: "go", version, text } });
    const opened = await client.waitForDiagnostics(uri, (p) => p.version === 1, "open");
    console.log(
      `editor: ${text.split("\n").length.toLocaleString("en")}-line file, ${opened.diagnostics.length} findings, diagnostics delay 0`,
    );

    const serverTime = (v: number, since: number): { ms: number; deferred: boolean } => {
      const re = new RegExp(`analysis of .* v${v}: ([\\d.]+) ms \\((parse timed out)?`);
      for (let i = since; i < client.messages.length; i++) {
        const m = client.messages[i]!;
        if (m.method !== "window/logMessage") continue;
        const hit = re.exec((m.params as { message: string }).message);
        if (hit) return { ms: Number(hit[1]), deferred: hit[2] !== undefined };
      }
      return { ms: NaN, deferred: false };
    };
    const fullParse = (v: number, since: number): number => {
      const re = new RegExp(`analysis of .* v${v}: ([\\d.]+) ms \\(parse [\\d.]+ ms in full`);
      for (let i = since; i < client.messages.length; i++) {
        const m = client.messages[i]!;
        const hit = m.method === "window/logMessage" ? re.exec((m.params as { message: string }).message) : null;
        if (hit) return Number(hit[1]);
      }
      return NaN;
    };
    const edit = async (
      offset: number,
      remove: number,
      insert: string,
    ): Promise<{ rtt: number; server: number; deferred: boolean; full: number }> => {
      version++;
      const range = { start: posAt(text, offset), end: posAt(text, offset + remove) };
      text = text.slice(0, offset) + insert + text.slice(offset + remove);
      // Only this edit's messages are looked at: the client keeps no history to collect garbage through.
      client.forget();
      const mark = client.mark();
      const t0 = performance.now();
      client.notify("textDocument/didChange", {
        textDocument: { uri, version },
        contentChanges: [{ range, text: insert }],
      });
      const v = version;
      await client.waitForDiagnostics(uri, (p) => p.version === v, `publish v${v}`, mark);
      const rtt = performance.now() - t0;
      // The trace message follows the publish it describes.
      await client.waitFor(
        (m: Message) =>
          m.method === "window/logMessage" &&
          (m.params as { message: string }).message.includes(` v${v}: `) &&
          !/timed out/.test((m.params as { message: string }).message),
        `trace v${v}`,
        mark,
      );
      const st = serverTime(v, mark);
      if (process.env.BENCH_DEBUG && (st.ms > 20 || performance.now() - t0 > 20)) {
        for (const m of client.messages.slice(mark))
          if (m.method === "window/logMessage")
            console.log("   ", (m.params as { message: string }).message.slice(0, 200));
      }
      return { rtt, server: st.ms, deferred: st.deferred, full: st.deferred ? fullParse(v, mark) : NaN };
    };

    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const rtts: number[] = [];
    const servers: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const spots = validSpots(text);
      const r = await edit(spots[rnd(spots.length)]!, 0, "abcdefghijklmnopqrstuvwxyz"[rnd(26)]!);
      rtts.push(r.rtt);
      servers.push(r.server);
    }
    console.log(
      `  valid edits (${EDITS}): server time per keystroke p50 ${f(percentile(servers, 50))}, p99 ${f(percentile(servers, 99))}`,
    );
    console.log(
      `  round trip didChange -> publishDiagnostics: p50 ${f(percentile(rtts, 50))}, p99 ${f(percentile(rtts, 99))} (target p99 <= 10 ms)`,
    );

    const breakServers: number[] = [];
    const breakRtts: number[] = [];
    const fulls: number[] = [];
    let deferred = 0;
    const bodies = [...text.matchAll(/\n\tkey := /g)].map((m) => m.index);
    for (let i = 0; i < BREAKING; i++) {
      const at = bodies[rnd(bodies.length)]! + 1;
      const ch = ["`", '"', "{", "(", "/*"][rnd(5)]!;
      const broken = await edit(at, 0, ch);
      const repaired = await edit(at, ch.length, "");
      for (const r of [broken, repaired]) {
        breakServers.push(r.server);
        breakRtts.push(r.rtt);
        if (r.deferred) {
          deferred++;
          fulls.push(r.full);
        }
      }
    }
    console.log(
      `  syntax-breaking edits and their repairs (${BREAKING * 2}): server time per keystroke p99 ${f(percentile(breakServers, 99))}, max ${f(Math.max(...breakServers))} (target < 100 ms)`,
    );
    console.log(
      `    round trip p99 ${f(percentile(breakRtts, 99))}, max ${f(Math.max(...breakRtts))}; ${deferred} re-parses ran past the cap and were redone in full off the keystroke path` +
        (fulls.length > 0 ? ` (max ${f(Math.max(...fulls))})` : ""),
    );
    await client.shutdown();
  } finally {
    client.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function rssOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
}

async function scanFigures(threads: number): Promise<void> {
  const root = corpus();
  const client = new LspClient(root, ["--stdio"], { ...process.env, [SCAN_THREADS_ENV]: String(threads) });
  try {
    await client.request("initialize", {
      processId: process.pid,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: "corpus" }],
      capabilities: { window: { workDoneProgress: true } },
    });
    const t0 = performance.now();
    client.notify("initialized", {});
    const kind = (m: Message, k: string): boolean =>
      m.method === "$/progress" && (m.params as { value: { kind: string } }).value.kind === k;
    await client.waitFor((m) => kind(m, "end"), "the workspace scan", 0, 600_000);
    const secs = (performance.now() - t0) / 1000;
    const reports = client.messages
      .filter((m) => kind(m, "report"))
      .map((m) => (m.params as { value: { message?: string } }).value.message ?? "");
    const files = /\/(\d+) files/.exec(reports[reports.length - 1] ?? "")?.[1] ?? "?";
    const published = client.diagnostics.size;
    let findings = 0;
    for (const p of client.diagnostics.values()) findings += p.diagnostics.length;
    const mem = rssOf(client.proc.pid!);
    console.log(
      `workspace scan of ${root} with ${threads} worker${threads === 1 ? "" : "s"}: ${files} files in ${secs.toFixed(1)} s ` +
        `(${(Number(files) / secs).toFixed(0)} files/s), ${findings} findings in ${published} files`,
    );
    console.log(
      `  server RSS after the scan: ${(mem.rss / 1048576).toFixed(0)} MiB (target < 300 MiB); ` +
        `peak while the workers ran: ${(mem.peak / 1048576).toFixed(0)} MiB`,
    );
    await client.shutdown();
  } finally {
    client.kill();
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run npm run build`);
  await editorFigures();
  if (process.argv.includes("--editor-only")) return;
  await scanFigures(1);
  await scanFigures(defaultJobs());
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
