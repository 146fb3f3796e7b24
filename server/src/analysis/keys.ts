// String keys of context values: which files a typed-key fix must also
// rewrite. A superset (receivers are not resolved); the fix parses the files it
// finds and decides there.
import type { Node } from "../parser";

/** The value of a Go string literal (interpreted or raw), or undefined when it is not one or is malformed. */
export function unquoteGo(literal: string): string | undefined {
  const t = literal.trim();
  if (t.length >= 2 && t[0] === "`" && t[t.length - 1] === "`") {
    const body = t.slice(1, -1);
    return body.includes("`") ? undefined : body.replace(/\r/g, "");
  }
  if (t.length < 2 || t[0] !== '"' || t[t.length - 1] !== '"') return undefined;
  let out = "";
  for (let i = 1; i < t.length - 1; i++) {
    const c = t[i]!;
    if (c === '"' || c === "\n") return undefined;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = t[++i];
    const simple: Record<string, string> = {
      a: "\x07",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
      v: "\v",
      "\\": "\\",
      '"': '"',
    };
    if (e === undefined) return undefined;
    if (simple[e] !== undefined) {
      out += simple[e];
      continue;
    }
    const hex = (n: number): number | undefined => {
      const h = t.slice(i + 1, i + 1 + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) return undefined;
      i += n;
      return parseInt(h, 16);
    };
    let code: number | undefined;
    if (e === "x") {
      // A byte, not a code point: keys with raw bytes are left alone.
      code = hex(2);
      if (code === undefined || code > 0x7f) return undefined;
    } else if (e === "u") code = hex(4);
    else if (e === "U") code = hex(8);
    else if (/[0-7]/.test(e)) {
      const o = t.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(o)) return undefined;
      code = parseInt(o, 8);
      i += 2;
      if (code > 0x7f) return undefined;
    }
    if (code === undefined || code > 0x10ffff) return undefined;
    out += String.fromCodePoint(code);
  }
  return out;
}

/**
 * Values of string literals used as the key of `x.WithValue(ctx, key, v)` or
 * `x.Value(key)` among the file's captured method calls, sorted and unique.
 */
export function contextKeysOf(methodCalls: readonly Node[]): string[] {
  const found = new Set<string>();
  for (const call of methodCalls) {
    const method = call.childForFieldName("function")?.childForFieldName("field")?.text;
    if (method !== "WithValue" && method !== "Value") continue;
    const args = (call.childForFieldName("arguments")?.namedChildren ?? []).filter((a) => a && a.type !== "comment");
    const key =
      method === "WithValue" ? (args.length === 3 ? args[1] : undefined) : args.length === 1 ? args[0] : undefined;
    if (key?.type !== "interpreted_string_literal" && key?.type !== "raw_string_literal") continue;
    const value = unquoteGo(key.text);
    if (value !== undefined) found.add(value);
  }
  return [...found].sort();
}
