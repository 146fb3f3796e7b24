// Every use of one map variable in its package (or function), classified by
// what a rewrite must do with it, plus the edit collection the map fixes share:
// raw offset edits per file, applied, re-aligned as gofmt would, and turned
// into line edits.
import type { FileSyntax, VarFact } from "../analysis/facts";
import type { PackageFacts } from "../analysis/package";
import type { Fix, TextEdit } from "../analysis/types";
import type { Node } from "../parser";
import { offsetAt } from "./apply";
import { finishFile, unusedImportEdits } from "./finish";
import { freshName, isDeclaringOccurrence, resolveLocal, topDeclaration } from "./scope";

export type MapTarget =
  | { kind: "package"; name: string; decl: VarFact }
  | { kind: "local"; name: string; declNode: Node };

export type UseKind =
  | "store" // m[k] = v
  | "rmw" // m[k] op= v, m[k]++, m[k]--
  | "multi" // m[k] as one of several assignment targets
  | "commaok" // v, ok := m[k] (also = and var)
  | "read" // m[k] in an expression
  | "elemwrite" // m[k][j] = v, m[k].f = v: a read of m[k] whose element is written
  | "delete"
  | "clear"
  | "len"
  | "range"
  | "reassign" // m = ...
  | "return" // return m
  | "nilcmp" // m == nil
  | "escape"; // any other use of the map value

export interface Use {
  id: Node;
  file: FileSyntax;
  kind: UseKind;
  /** The index expression, call, range clause or statement the kind is about. */
  node: Node;
  /** For escapes: how the map escapes, as a message fragment. */
  why?: string;
}

export interface MapEnv {
  pkg: PackageFacts;
  target: MapTarget;
  name: string;
  /** Files searched for uses (the package's, or the declaring file for a local map). */
  files: readonly FileSyntax[];
  declFile: FileSyntax;
  /** var_spec, short_var_declaration or parameter_declaration. */
  declNode: Node;
  key: string;
  value: string;
  /** The map's type as written (`map[K]V` or a named map type). */
  mapType: string;
  uses: Use[];
  /** Go 1.18 or later: generics and `any`. */
  modern: boolean;
  /** Fresh names handed out, per top-level declaration. */
  taken: Map<number, Set<string>>;
}

export function unparenUp(n: Node): Node {
  let e = n;
  while (e.parent?.type === "parenthesized_expression") e = e.parent;
  return e;
}

const WORD_CHARS = /\w/;

/** Identifier nodes named `name` in a file, found by text search (comments and strings map to other nodes). */
function identifiersNamed(file: FileSyntax, name: string): Node[] {
  const out: Node[] = [];
  const text = file.text;
  const root = file.tree.rootNode;
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + name.length)) {
    if (WORD_CHARS.test(text[i - 1] ?? "") || WORD_CHARS.test(text[i + name.length] ?? "")) continue;
    const n = root.descendantForIndex(i, i + name.length);
    if (n?.type === "identifier" && n.text === name && n.startIndex === i) out.push(n);
  }
  return out;
}

/** The key of a keyed element in a struct literal (`T{name: v}`) is a field name, not a use. */
function isFieldKey(id: Node, pkg: PackageFacts): boolean {
  const el = id.parent;
  if (el?.type !== "literal_element" || el.parent?.type !== "keyed_element") return false;
  if (el.parent.childForFieldName("key")?.id !== el.id) return false;
  const lit = el.parent.parent?.parent;
  const type = lit?.type === "composite_literal" ? lit.childForFieldName("type") : null;
  if (!type) return true;
  if (
    type.type === "map_type" ||
    type.type === "slice_type" ||
    type.type === "array_type" ||
    type.type === "implicit_length_array_type"
  )
    return false;
  return !pkg.namedMapTypes.has(type.text);
}

/** The uses of the map in the files: identifiers that resolve to its declaration. */
export function collectUses(env: Omit<MapEnv, "uses">): Use[] {
  const out: Use[] = [];
  for (const file of env.files) {
    for (const id of identifiersNamed(file, env.name)) {
      if (isFieldKey(id, env.pkg)) continue;
      if (id.parent?.type === "selector_expression" && id.parent.childForFieldName("field")?.id === id.id) continue;
      const d = resolveLocal(id);
      if (env.target.kind === "package" ? d !== null : d?.id !== env.declNode.id) continue;
      if (isDeclaringOccurrence(id)) continue;
      // The declaration's own name (package-level specs are not found by resolveLocal).
      if (id.parent?.id === env.declNode.id && env.declNode.type === "var_spec") continue;
      out.push(classify(id, file, env.name));
    }
  }
  return out;
}

const BUILTIN_CALLS = new Set(["len", "cap", "delete", "clear"]);

function classify(id: Node, file: FileSyntax, name: string): Use {
  const e = unparenUp(id);
  const p = e.parent!;
  const use = (kind: UseKind, node: Node, why?: string): Use => ({ id, file, kind, node, why });
  if (p.type === "index_expression" && p.childForFieldName("operand")?.id === e.id) {
    const ix = p;
    const outer = unparenUp(ix);
    const q = outer.parent;
    if (q?.type === "expression_list") {
      const st = q.parent;
      const left = st?.childForFieldName("left");
      const right = st?.childForFieldName("right") ?? (st?.type === "var_spec" ? st.childForFieldName("value") : null);
      if (st?.type === "assignment_statement" && left?.id === q.id) {
        if (q.namedChildCount !== 1) return use("multi", ix);
        return use(st.childForFieldName("operator")?.text === "=" ? "store" : "rmw", ix);
      }
      if (right?.id === q.id && q.namedChildCount === 1) {
        const targets = st?.type === "var_spec" ? st.childrenForFieldName("name").length : (left?.namedChildCount ?? 0);
        const op = st?.type === "assignment_statement" ? st.childForFieldName("operator")?.text : "=";
        if (targets === 2 && op === "=") return use("commaok", ix);
      }
    }
    if (q?.type === "inc_statement" || q?.type === "dec_statement") return use("rmw", ix);
    // An element of the map's value is written: m[k][j] = v, m[k].f++.
    let top = outer;
    while (
      top.parent &&
      (top.parent.type === "index_expression" ||
        top.parent.type === "selector_expression" ||
        top.parent.type === "parenthesized_expression") &&
      top.parent.namedChild(0)?.id === top.id
    )
      top = top.parent;
    if (top.id !== outer.id) {
      const tq = top.parent;
      if (tq?.type === "inc_statement" || tq?.type === "dec_statement") return use("elemwrite", ix);
      if (
        tq?.type === "expression_list" &&
        tq.parent?.type === "assignment_statement" &&
        tq.parent.childForFieldName("left")?.id === tq.id
      )
        return use("elemwrite", ix);
    }
    return use("read", ix);
  }
  if (p.type === "argument_list") {
    const call = p.parent!;
    const fn = call.childForFieldName("function");
    const fnName = fn?.type === "identifier" && !resolveLocal(fn) ? fn.text : "";
    const first = p.namedChild(0)?.id === e.id;
    if (first && BUILTIN_CALLS.has(fnName)) {
      if (fnName === "delete") return use("delete", call);
      if (fnName === "clear") return use("clear", call);
      if (fnName === "len") return use("len", call);
      return use("escape", call, `cap(${name}) has no equivalent`);
    }
    const shown = (fn?.text ?? "a function").replace(/\s+/g, " ");
    return use("escape", call, `${name} is passed to ${shown.length > 30 ? "a function" : shown}`);
  }
  if (p.type === "range_clause" && p.childForFieldName("right")?.id === e.id) return use("range", p);
  if (p.type === "expression_list") {
    const st = p.parent!;
    if (
      (st.type === "assignment_statement" || st.type === "short_var_declaration") &&
      st.childForFieldName("left")?.id === p.id
    )
      return use("reassign", st, `${name} is reassigned`);
    if (st.type === "return_statement") return use("return", st, `${name} is returned`);
    if (st.type === "var_spec" || st.type === "assignment_statement" || st.type === "short_var_declaration")
      return use("escape", st, `${name} is assigned to another variable`);
    return use("escape", st, `${name} is used as a value`);
  }
  if (p.type === "binary_expression") {
    const other = p.childForFieldName("left")?.id === e.id ? p.childForFieldName("right") : p.childForFieldName("left");
    if (other?.type === "nil") return use("nilcmp", p, `${name} is compared with nil`);
  }
  if (p.type === "unary_expression" && p.childForFieldName("operator")?.text === "&")
    return use("escape", p, `the address of ${name} is taken`);
  if (p.type === "selector_expression") return use("escape", p, `a method of ${name} is called`);
  if (p.type === "send_statement") return use("escape", p, `${name} is sent on a channel`);
  return use("escape", p, `${name} is used as a value`);
}

// ---- edits -----------------------------------------------------------------

interface RawEdit {
  start: number;
  end: number;
  text: string;
}

/** Offset edits per file, finished into gofmt-clean line edits. */
export class EditSet {
  private readonly byFile = new Map<string, { file: FileSyntax; edits: RawEdit[] }>();

  add(file: FileSyntax, start: number, end: number, text: string): void {
    let e = this.byFile.get(file.file);
    if (!e) {
      e = { file, edits: [] };
      this.byFile.set(file.file, e);
    }
    e.edits.push({ start, end, text });
  }

  replace(file: FileSyntax, node: Node, text: string): void {
    this.add(file, node.startIndex, node.endIndex, text);
  }

  insert(file: FileSyntax, offset: number, text: string): void {
    this.add(file, offset, offset, text);
  }

  /** Adds TextEdits (from importEdits) by converting their positions. */
  addTextEdits(file: FileSyntax, edits: readonly TextEdit[]): void {
    for (const e of edits)
      this.add(file, offsetAt(file.text, e.range.start), offsetAt(file.text, e.range.end), e.newText);
  }

  has(file: FileSyntax): boolean {
    return this.byFile.has(file.file);
  }

  /** The fix, or a reason starting with "-" when the edits overlap (a bug in the rewrite, kept out of messages). */
  toFix(title: string, safe: boolean): Fix | string {
    const edits: TextEdit[] = [];
    try {
      for (const { file, edits: raw } of this.byFile.values()) {
        // Insertions at one offset are joined in the order they were added.
        const merged: RawEdit[] = [];
        for (const e of raw) {
          const same = e.start === e.end ? merged.find((m) => m.start === e.start && m.end === e.start) : undefined;
          if (same) same.text += e.text;
          else merged.push({ ...e });
        }
        merged.push(...unusedImportEdits(file, merged));
        const sorted = merged.sort((a, b) => a.start - b.start || a.end - b.end);
        for (let i = 1; i < sorted.length; i++) {
          if (sorted[i]!.start < sorted[i - 1]!.end) throw new Error(`overlapping edits at offset ${sorted[i]!.start}`);
        }
        edits.push(...finishFile(file, sorted));
      }
    } catch (e) {
      return `-internal error: ${e instanceof Error ? e.message : String(e)}`;
    }
    return { title, safe, edits };
  }
}

// ---- statements and lines ---------------------------------------------------

/** The text of the line that contains `offset`, and where it starts. */
export function lineOf(text: string, offset: number): { start: number; end: number; text: string } {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  let end = text.indexOf("\n", offset);
  if (end < 0) end = text.length;
  return { start, end, text: text.slice(start, end) };
}

export function indentAt(text: string, offset: number): string {
  return /^[ \t]*/.exec(lineOf(text, offset).text)![0];
}

/** Whether only whitespace precedes the node on its first line. */
export function startsLine(text: string, node: Node): boolean {
  const l = lineOf(text, node.startIndex);
  return text.slice(l.start, node.startIndex).trim() === "";
}

/** Whether only whitespace, or a line comment, follows the node on its last line. */
export function endsLine(text: string, node: Node): boolean {
  const l = lineOf(text, node.endIndex);
  const rest = text.slice(node.endIndex, l.end).trim();
  return rest === "" || rest.startsWith("//");
}

/** Offset of the start of the line after the one holding `offset`. */
export function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

/** The innermost statement (a direct child of a statement list) containing the node. */
export function statementOf(node: Node): Node | null {
  for (let n: Node | null = node; n; n = n.parent) {
    if (n.parent?.type === "statement_list") return n;
    if (n.type === "func_literal" || n.type === "source_file") return null;
  }
  return null;
}

/** A fresh local name for a rewrite inside the node's top-level declaration. */
export function fresh(env: MapEnv, at: Node, base: string): string {
  const top = topDeclaration(at);
  let set = env.taken.get(top.id);
  if (!set) {
    set = new Set();
    env.taken.set(top.id, set);
  }
  return freshName(base, top, set);
}

const BUILTINS_OK = new Set([
  "len",
  "cap",
  "append",
  "make",
  "new",
  "complex",
  "real",
  "imag",
  "min",
  "max",
  "string",
  "int",
  "int64",
  "int32",
  "uint",
  "uint64",
  "float64",
  "byte",
  "rune",
  "bool",
]);

function isHarmlessCall(n: Node): boolean {
  const fn = n.childForFieldName("function");
  return fn?.type === "identifier" && BUILTINS_OK.has(fn.text) && !resolveLocal(fn);
}

/**
 * Whether a subtree (not counting function literals) calls anything but
 * harmless builtins or receives from a channel; with `before`, only such
 * operations that finish before that offset count (they run before it).
 */
export function hasCalls(node: Node, before?: number): boolean {
  const stack: Node[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "func_literal") continue;
    if (before !== undefined && n.startIndex >= before) continue;
    const done = before === undefined || n.endIndex <= before;
    if (done && n.type === "call_expression" && !isHarmlessCall(n)) return true;
    if (done && n.type === "unary_expression" && n.childForFieldName("operator")?.text === "<-") return true;
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return false;
}

/** Whether the statement's file position allows inserting whole lines before and after it. */
export function ownsLines(file: FileSyntax, stmt: Node): boolean {
  return startsLine(file.text, stmt) && endsLine(file.text, stmt);
}

/**
 * For a local map: whether a `return m` runs after the function waited for
 * its goroutines (`wg.Wait()` or a channel receive, as a statement of the
 * function body that follows every `go` statement). The caller then gets the
 * map when nothing else uses it any more.
 */
export function returnedAfterJoin(env: MapEnv, use: Use): boolean {
  if (env.target.kind !== "local" || use.kind !== "return") return false;
  let fn: Node | null = null;
  for (let p = env.declNode.parent; p; p = p.parent) {
    if (p.type === "function_declaration" || p.type === "method_declaration" || p.type === "func_literal") {
      fn = p;
      break;
    }
  }
  const list = fn?.childForFieldName("body")?.namedChildren.find((c) => c?.type === "statement_list");
  if (!fn || !list) return false;
  let top: Node | null = use.node;
  while (top && top.parent?.id !== list.id) top = top.parent;
  if (!top) return false;
  let lastGo = -1;
  const stack: Node[] = [fn.childForFieldName("body")!];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "go_statement") lastGo = Math.max(lastGo, n.startIndex);
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  for (const s of list.namedChildren) {
    if (!s || s.startIndex >= top.startIndex) break;
    if (s.startIndex < lastGo || s.type !== "expression_statement") continue;
    const e = s.namedChild(0);
    if (e?.type === "call_expression" && /\.Wait$/.test(e.childForFieldName("function")?.text ?? "")) return true;
    if (e?.type === "unary_expression" && e.childForFieldName("operator")?.text === "<-") return true;
  }
  return false;
}
