// The stdio transport, with JSON-RPC's answers to malformed input. The
// library's reader drops a body that is not JSON without a word, so the
// client never learns why its request went unanswered; this reader frames
// the messages itself and answers such input with a Parse error (-32700) or
// an Invalid Request (-32600) error, then goes on with the next message.
import {
  AbstractMessageReader,
  ErrorCodes,
  type DataCallback,
  type Disposable,
  type Message,
} from "vscode-languageserver/node";

/** Longest header block accepted: a client that sends no "\r\n\r\n" is not speaking LSP. */
const MAX_HEADER_BYTES = 64 * 1024;

export type Reject = (id: number | string | null, code: number, message: string) => void;

/** A JSON-RPC id, or undefined when the value is not one. */
function idOf(v: unknown): number | string | null | undefined {
  return typeof v === "number" || typeof v === "string" || v === null ? v : undefined;
}

/** Why a parsed body is not a JSON-RPC message the connection can handle, or undefined when it is one. */
function invalid(msg: unknown): { id: number | string | null; why: string } | undefined {
  if (typeof msg !== "object" || msg === null || Array.isArray(msg))
    return { id: null, why: "a JSON-RPC message must be a JSON object (batches are not part of LSP)" };
  const m = msg as Record<string, unknown>;
  const id = "id" in m ? idOf(m.id) : null;
  if (id === undefined) return { id: null, why: `the id ${JSON.stringify(m.id)} is not a number or a string` };
  if ("method" in m && typeof m.method !== "string") return { id, why: "the method is not a string" };
  if (!("method" in m) && !("result" in m) && !("error" in m))
    return { id, why: "the message has no method and is not a response" };
  return undefined;
}

export class CheckedStreamReader extends AbstractMessageReader {
  /** A shutdown request came through: closing the input afterwards is a clean exit. */
  shutdownRequested = false;
  private chunks: Buffer[] = [];
  private size = 0;
  private bodyLength = -1;
  private callback: DataCallback | undefined;

  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly reject: Reject,
  ) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => {
      try {
        this.onData(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
      } catch (e) {
        this.fireError(e);
      }
    };
    const onError = (e: unknown): void => this.fireError(e);
    const onClose = (): void => this.fireClose();
    this.input.on("data", onData);
    this.input.on("error", onError);
    this.input.on("end", onClose);
    this.input.on("close", onClose);
    return {
      dispose: () => {
        this.input.off("data", onData);
        this.input.off("error", onError);
        this.input.off("end", onClose);
        this.input.off("close", onClose);
        this.callback = undefined;
      },
    };
  }

  /** The buffered bytes as one buffer (copied only when they arrived in several chunks). */
  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private consume(n: number): void {
    const data = this.flatten();
    this.chunks = n < data.length ? [data.subarray(n)] : [];
    this.size -= n;
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        const data = this.flatten();
        const end = data.indexOf("\r\n\r\n");
        if (end < 0) {
          if (data.length > MAX_HEADER_BYTES) {
            this.consume(data.length);
            this.reject(
              null,
              ErrorCodes.ParseError,
              `no message header end within ${MAX_HEADER_BYTES} bytes; input dropped`,
            );
          }
          return;
        }
        const header = data.subarray(0, end).toString("ascii");
        this.consume(end + 4);
        const m = /^content-length:[ \t]*(\d+)[ \t]*$/im.exec(header);
        if (!m) {
          this.reject(
            null,
            ErrorCodes.ParseError,
            `a message header without a Content-Length: ${JSON.stringify(header.slice(0, 200))}`,
          );
          continue;
        }
        this.bodyLength = Number(m[1]);
      }
      if (this.size < this.bodyLength) return;
      const body = this.flatten().subarray(0, this.bodyLength).toString("utf8");
      this.consume(this.bodyLength);
      this.bodyLength = -1;
      let msg: unknown;
      try {
        msg = JSON.parse(body);
      } catch (e) {
        this.reject(
          null,
          ErrorCodes.ParseError,
          `the message body is not JSON (${e instanceof Error ? e.message : String(e)})`,
        );
        continue;
      }
      const bad = invalid(msg);
      if (bad) {
        this.reject(bad.id, ErrorCodes.InvalidRequest, bad.why);
        continue;
      }
      if ((msg as { method?: unknown }).method === "shutdown") this.shutdownRequested = true;
      this.callback?.(msg as Message);
    }
  }
}
