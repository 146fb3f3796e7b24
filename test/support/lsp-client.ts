// A small LSP client for tests and the editor benchmark: spawns the bundled
// server over stdio, frames JSON-RPC with Content-Length headers, answers the
// server's requests, and lets callers wait for messages (never for time).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";
import { SERVER_NODE_FLAGS } from "../../client/src/launch";

export interface Message {
  jsonrpc: "2.0";
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

export interface PublishParams {
  uri: string;
  version?: number;
  diagnostics: {
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    severity?: number;
    code?: string | number;
    source?: string;
    message: string;
    codeDescription?: { href: string };
    relatedInformation?: { location: { uri: string; range: unknown }; message: string }[];
    tags?: number[];
  }[];
}

type RequestHandler = (params: unknown) => unknown;

interface Waiter {
  pred: (m: Message) => boolean;
  resolve: (m: Message) => void;
}

export const ROOT = path.resolve(__dirname, "..", "..");
export const SERVER = path.join(ROOT, "dist", "server.js");

export class LspClient {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Every message from the server, in order of arrival. */
  readonly messages: Message[] = [];
  /** The latest diagnostics per uri. */
  readonly diagnostics = new Map<string, PublishParams>();
  readonly handlers = new Map<string, RequestHandler>();
  stderr = "";
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }
  >();
  private waiters: Waiter[] = [];
  private exited: Promise<number | null>;

  constructor(
    cwd: string,
    args: string[] = ["--stdio"],
    env: NodeJS.ProcessEnv = process.env,
    /** Flags for node itself (before the server's path), such as --expose-gc; added to those editors use. */
    nodeArgs: string[] = [],
  ) {
    this.proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeArgs, SERVER, ...args], {
      cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.proc.stdout.on("data", (chunk: Buffer) => this.onData(chunk));
    this.proc.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
    this.handlers.set("client/registerCapability", () => null);
    this.handlers.set("client/unregisterCapability", () => null);
    this.handlers.set("window/workDoneProgress/create", () => null);
    this.handlers.set("workspace/configuration", (p) => ((p as { items: unknown[] }).items ?? []).map(() => null));
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const m = /Content-Length: (\d+)/i.exec(header);
      if (!m) throw new Error(`bad header from the server: ${header}`);
      const length = Number(m[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.onMessage(JSON.parse(body) as Message);
    }
  }

  private onMessage(msg: Message): void {
    this.messages.push(msg);
    if (msg.method === "textDocument/publishDiagnostics") {
      const p = msg.params as PublishParams;
      this.diagnostics.set(p.uri, p);
    }
    if (msg.method !== undefined && msg.id !== undefined) {
      const handler = this.handlers.get(msg.method);
      let result: unknown = null;
      let error: { code: number; message: string } | undefined;
      try {
        if (handler) result = handler(msg.params);
        else error = { code: -32601, message: `the test client does not handle ${msg.method}` };
      } catch (e) {
        error = { code: -32603, message: String(e) };
      }
      this.write(error ? { jsonrpc: "2.0", id: msg.id, error } : { jsonrpc: "2.0", id: msg.id, result });
    } else if (msg.id !== undefined && typeof msg.id === "number" && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    }
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.pred(msg)) w.resolve(msg);
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Sends raw bytes (malformed input for robustness tests). */
  writeRaw(data: string | Buffer): void {
    this.proc.stdin.write(data);
  }

  private write(msg: Message): void {
    const body = Buffer.from(JSON.stringify(msg), "utf8");
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  request<T = unknown>(method: string, params?: unknown, timeoutMs = 20000): Promise<T> {
    const id = this.nextId++;
    return this.guard(
      new Promise<T>((resolve, reject) => {
        this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
        this.write({ jsonrpc: "2.0", id, method, params });
      }),
      timeoutMs,
      `no response to ${method}`,
    );
  }

  notify(method: string, params?: unknown): void {
    this.write({ jsonrpc: "2.0", method, params });
  }

  /**
   * Drops the messages received so far, so that a long run (the editor
   * benchmark) does not keep them all: marks taken before are void. Call it
   * only while nothing is being waited for.
   */
  forget(): void {
    this.messages.length = 0;
  }

  /** The number of messages received so far: pass it to waitFor to look only at later ones. */
  mark(): number {
    return this.messages.length;
  }

  /**
   * The first message (received at or after `since`) that matches; waits for
   * one to arrive. The timeout is only a guard against hanging tests.
   */
  waitFor(pred: (m: Message) => boolean, what: string, since = 0, timeoutMs = 20000): Promise<Message> {
    for (let i = since; i < this.messages.length; i++)
      if (pred(this.messages[i]!)) return Promise.resolve(this.messages[i]!);
    return this.guard(
      new Promise<Message>((resolve) => this.waiters.push({ pred, resolve })),
      timeoutMs,
      `timed out waiting for ${what}`,
    );
  }

  /** Waits for diagnostics of a uri that satisfy the predicate (the latest ones, or later ones). */
  waitForDiagnostics(
    uri: string,
    pred: (p: PublishParams) => boolean,
    what: string,
    since = 0,
    timeoutMs = 20000,
  ): Promise<PublishParams> {
    return this.waitFor(
      (m) =>
        m.method === "textDocument/publishDiagnostics" &&
        (m.params as PublishParams).uri === uri &&
        pred(m.params as PublishParams),
      `${what} (${uri})`,
      since,
      timeoutMs,
    ).then((m) => m.params as PublishParams);
  }

  private guard<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${message} after ${ms} ms; server stderr:\n${this.stderr.slice(-2000)}`)),
        ms,
      );
    });
    const died = this.exited.then((code) => {
      throw new Error(`${message}: the server exited with code ${code}; stderr:\n${this.stderr.slice(-2000)}`);
    });
    return Promise.race([p, timeout, died]).finally(() => clearTimeout(timer));
  }

  /** Polite shutdown; returns the exit code. */
  async shutdown(): Promise<number | null> {
    await this.request("shutdown");
    this.notify("exit");
    return this.exited;
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }

  get exitCode(): Promise<number | null> {
    return this.exited;
  }
}
