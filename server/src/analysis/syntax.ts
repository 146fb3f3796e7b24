// Small helpers over tree-sitter-go nodes that rules share: ranges, function
// boundaries, declared names and lock regions. Each walks only what it must.
import type { Node, TreeCursor } from "../parser";
import type { Range } from "./types";

export function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** Range from the start of `a` to the end of `b`. */
export function spanOf(a: Node, b: Node): Range {
  return { start: rangeOf(a).start, end: rangeOf(b).end };
}

export const FUNCTION_TYPES = new Set(["function_declaration", "method_declaration", "func_literal"]);

/** The innermost function (declaration, method or literal) containing the node. */
export function enclosingFunction(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) {
    if (FUNCTION_TYPES.has(n.type)) return n;
  }
  return null;
}

/** The outermost function declaration or method containing the node (not a literal). */
export function enclosingDeclaration(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "function_declaration" || n.type === "method_declaration") return n;
  }
  return null;
}

export function functionName(fn: Node): string | null {
  if (fn.type === "func_literal") return null;
  return fn.childForFieldName("name")?.text ?? null;
}

/** The node is in the value of a package-level var or const declaration. */
export function inPackageInitializer(node: Node): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (FUNCTION_TYPES.has(n.type)) return false;
    if (n.type === "var_declaration" || n.type === "const_declaration") return n.parent?.type === "source_file";
  }
  return false;
}

/** The `go` statement whose function literal contains the node, stopping at the declaration. */
export function enclosingGoStatement(node: Node): Node | null {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "go_statement") return n;
    if (n.type === "function_declaration" || n.type === "method_declaration") return null;
  }
  return null;
}

/** Unwraps parentheses: `(m)` is `m`. */
export function unparen(node: Node): Node {
  let n = node;
  while (n.type === "parenthesized_expression" && n.namedChildCount === 1) n = n.namedChild(0)!;
  return n;
}

/** Names a parameter list declares, with the text of their type. */
export function parameterTypes(list: Node | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!list) return out;
  for (const decl of list.namedChildren) {
    if (!decl || (decl.type !== "parameter_declaration" && decl.type !== "variadic_parameter_declaration")) continue;
    const type = decl.childForFieldName("type")?.text ?? "";
    for (const name of decl.childrenForFieldName("name")) if (name) out.set(name.text, type);
  }
  return out;
}

/** Parameters and receiver of a function node, with their type text. */
export function functionParams(fn: Node): Map<string, string> {
  const out = parameterTypes(fn.childForFieldName("parameters"));
  if (fn.type === "method_declaration") {
    for (const [k, v] of parameterTypes(fn.childForFieldName("receiver"))) out.set(k, v);
  }
  for (const [k, v] of parameterTypes(fn.childForFieldName("result"))) out.set(k, v);
  return out;
}

export interface LocalDecl {
  name: string;
  /** The declaring node: parameter_declaration, var_spec, short_var_declaration, range_clause, ... */
  node: Node;
  /** Declared type text when written out (`var m map[K]V`, parameters). */
  typeText?: string;
  /** The initial value expression when the declaration has one for this name. */
  value?: Node;
}

const DECLARING_TYPES = new Set([
  "short_var_declaration",
  "var_spec",
  "range_clause",
  "const_spec",
  "type_switch_statement",
  "receive_statement",
]);

/**
 * Values computed for the nodes of a syntax tree, kept per tree (and dropped
 * with it) under a key, the node's id by default: the language server parses
 * again on every keystroke, and an id means something only within its tree.
 */
export class TreeCache<V> {
  private readonly trees = new WeakMap<object, Map<number | string, V>>();

  get(node: Node, compute: () => V, key: number | string = node.id): V {
    let perTree = this.trees.get(node.tree);
    if (!perTree) {
      perTree = new Map();
      this.trees.set(node.tree, perTree);
    }
    let value = perTree.get(key);
    if (value === undefined) {
      value = compute();
      perTree.set(key, value);
    }
    return value;
  }
}

/**
 * Whether some occurrence of `name` starting in `text[from, to)` may be a
 * declared or assigned name: one that is not part of a longer identifier and
 * not followed by a selector or type assertion (`name.x`, `name.(T)`; a name
 * being declared or assigned never is). When none may, the walk of a whole
 * function body for its declarations or assignments can be skipped. Errs
 * towards "may" (comments, strings, non-ASCII identifiers).
 */
export function mayBeBound(text: string, name: string, from: number, to: number): boolean {
  if (name === "") return true;
  // Searched in that much text (plus the name's length): a search of the file would run on to the next occurrence.
  const own = text.slice(from, to + name.length - 1);
  for (let j = own.indexOf(name); j >= 0; j = own.indexOf(name, j + 1)) {
    const i = from + j;
    if (WORD_BEFORE.test(text[i - 1] ?? "")) continue;
    NOT_BOUND.lastIndex = i + name.length;
    if (!NOT_BOUND.test(text)) return true;
  }
  return false;
}

const WORD_BEFORE = /[A-Za-z0-9_]/;
/** After an occurrence of a name: a longer identifier, or a selector or type assertion on it (not a `...`). */
const NOT_BOUND = /[A-Za-z0-9_]|[ \t]*\.[A-Za-z_(]/y;

const localsCache = new TreeCache<LocalDecl[]>();

/**
 * Every name the function declares in its own body, parameters, results and
 * receiver (not those of nested function literals), keyed by name. Walks the
 * body once with a cursor and caches the result per tree.
 */
export function localDeclarations(fn: Node): Map<string, LocalDecl[]> {
  return groupByName(localsCache.get(fn, () => declarationsIn(fn)));
}

function declarationsIn(fn: Node): LocalDecl[] {
  const decls: LocalDecl[] = [];
  for (const field of ["receiver", "parameters", "result"]) {
    const list = fn.childForFieldName(field);
    if (!list) continue;
    for (const decl of list.namedChildren) {
      if (!decl) continue;
      const typeText = decl.childForFieldName("type")?.text;
      for (const name of decl.childrenForFieldName("name"))
        if (name) decls.push({ name: name.text, node: decl, typeText });
    }
  }
  const body = fn.childForFieldName("body");
  if (body) {
    someInSubtree(body, (type, cursor) => {
      if (type === "func_literal") return "skip";
      // Only declaring nodes are materialised: every currentNode crosses into wasm.
      if (!DECLARING_TYPES.has(type)) return;
      const n = cursor.currentNode;
      if (type === "short_var_declaration" || type === "var_spec" || type === "range_clause" || type === "const_spec") {
        collectDecl(n, decls);
      } else if (type === "type_switch_statement") {
        const alias = n.childForFieldName("alias");
        if (alias) for (const id of alias.namedChildren) if (id) decls.push({ name: id.text, node: n });
      } else if (type === "receive_statement" && n.children.some((c) => c?.type === ":=")) {
        for (const id of n.childForFieldName("left")?.namedChildren ?? [])
          if (id?.type === "identifier") decls.push({ name: id.text, node: n });
      }
    });
  }
  return decls;
}

function groupByName(decls: LocalDecl[]): Map<string, LocalDecl[]> {
  const out = new Map<string, LocalDecl[]>();
  for (const d of decls) {
    const list = out.get(d.name);
    if (list) list.push(d);
    else out.set(d.name, [d]);
  }
  return out;
}

function collectDecl(node: Node, out: LocalDecl[]): void {
  if (node.type === "short_var_declaration") {
    const left = node.childForFieldName("left")?.namedChildren ?? [];
    const right = node.childForFieldName("right")?.namedChildren ?? [];
    left.forEach((id, i) => {
      if (id?.type === "identifier")
        out.push({ name: id.text, node, value: left.length === right.length ? (right[i] ?? undefined) : undefined });
    });
  } else if (node.type === "var_spec" || node.type === "const_spec") {
    const typeText = node.childForFieldName("type")?.text;
    const names = node.childrenForFieldName("name");
    const values = node.childForFieldName("value")?.namedChildren ?? [];
    names.forEach((id, i) => {
      if (id)
        out.push({
          name: id.text,
          node,
          typeText,
          value: names.length === values.length ? (values[i] ?? undefined) : undefined,
        });
    });
  } else if (node.type === "range_clause") {
    const isDefine = node.children.some((c) => c?.type === ":=");
    if (!isDefine) return;
    for (const id of node.childForFieldName("left")?.namedChildren ?? [])
      if (id?.type === "identifier") out.push({ name: id.text, node });
  }
}

/**
 * Whether `name` is declared by any function that encloses `node` (its own
 * parameters and locals, and those of outer functions for closures). Scopes
 * are not tracked inside one function: a declaration anywhere in it counts,
 * which errs on the side of silence.
 */
export function isDeclaredLocally(node: Node, name: string): boolean {
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    if (localDeclarations(fn).has(name)) return true;
  }
  return false;
}

/** The closest local declaration of `name` visible from `node` (innermost function first). */
export function findLocalDeclaration(node: Node, name: string): { fn: Node; decls: LocalDecl[] } | null {
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    const decls = localDeclarations(fn).get(name);
    if (decls) return { fn, decls };
  }
  return null;
}

const LOCK_CALL = /^(.*)\.(R?Lock)\(\)$/;
const UNLOCK_CALL = /^(.*)\.(R?Unlock)\(\)$/;

/** The call of a statement like `mu.Lock()` or `defer mu.Unlock()`, as [receiver, method]. */
function lockCall(stmt: Node): { recv: string; method: string; deferred: boolean } | null {
  let call: Node | null = null;
  let deferred = false;
  if (stmt.type === "expression_statement") call = stmt.namedChild(0);
  else if (stmt.type === "defer_statement") {
    call = stmt.namedChild(0);
    deferred = true;
  }
  if (!call || call.type !== "call_expression") return null;
  const text = call.text;
  if (text.length > 200) return null;
  const m = LOCK_CALL.exec(text) ?? UNLOCK_CALL.exec(text);
  if (!m) return null;
  return { recv: m[1]!, method: m[2]!, deferred };
}

/** Why a node is considered synchronized, or null when it is not. */
export type SyncReason = "lock" | "locked-helper" | "init" | "initializer" | "once";

const HOLDS_LOCK_DOC =
  /\b(hold|holds|held|holding)\b[^.]*\b(lock|mutex|mu)\b|\b(lock|mutex|mu)\b[^.]*\b(held|hold|holds|holding|locked)\b/i;

/**
 * Whether the access at `node` happens while a lock is held, or where the
 * language makes it safe: `init`, package initializers, `sync.Once.Do`,
 * functions named `...Locked` or documented as called with the lock held.
 */
export function synchronization(node: Node): SyncReason | null {
  if (inPackageInitializer(node)) return "initializer";
  let child = node;
  for (let n = node.parent; n; child = n, n = n.parent) {
    if (n.type === "statement_list") {
      if (lockHeldBefore(n, child)) return "lock";
    } else if (n.type === "func_literal") {
      const call = n.parent;
      // An immediately invoked literal runs where it stands; a literal handed to
      // a Do method (sync.Once) runs once, under the Once's own lock.
      if (call?.type === "call_expression" && call.childForFieldName("function")?.id === n.id) {
        if (call.parent?.type === "go_statement" || call.parent?.type === "defer_statement") return null;
        continue;
      }
      if (call?.type === "argument_list") {
        const outer = call.parent;
        const fnText = outer?.childForFieldName("function")?.text ?? "";
        if (/\.Do$/.test(fnText)) return "once";
      }
      return null;
    } else if (n.type === "function_declaration" || n.type === "method_declaration") {
      const name = n.childForFieldName("name")?.text ?? "";
      if (name === "init" && n.type === "function_declaration") return "init";
      if (/[lL]ocked$/.test(name)) return "locked-helper";
      if (HOLDS_LOCK_DOC.test(docComment(n))) return "locked-helper";
      return null;
    }
  }
  return null;
}

/** Whether, among the statements before `stmt` in `list`, a Lock/RLock is still held. */
function lockHeldBefore(list: Node, stmt: Node): boolean {
  const held = new Map<string, number>();
  for (const s of list.namedChildren) {
    if (!s || s.id === stmt.id || s.startIndex >= stmt.startIndex) break;
    const call = lockCall(s);
    if (!call) continue;
    if (call.method === "Lock" || call.method === "RLock") {
      if (!call.deferred) held.set(call.recv, (held.get(call.recv) ?? 0) + 1);
    } else if (!call.deferred) {
      held.set(call.recv, Math.max(0, (held.get(call.recv) ?? 0) - 1));
    }
  }
  for (const count of held.values()) if (count > 0) return true;
  return false;
}

/** The text of the `//` comments directly above a declaration. */
export function docComment(decl: Node): string {
  const lines: string[] = [];
  let expectRow = decl.startPosition.row - 1;
  for (let c = decl.previousSibling; c && c.type === "comment"; c = c.previousSibling) {
    if (c.endPosition.row !== expectRow) break;
    lines.unshift(c.text.replace(/^\/\/\s?|^\/\*|\*\/$/g, ""));
    expectRow = c.startPosition.row - 1;
  }
  return lines.join(" ");
}

/** Whether the node sits inside a loop body within its function. */
export function enclosingLoop(node: Node, stopAt?: Node): Node | null {
  for (let n = node.parent; n && n.id !== stopAt?.id; n = n.parent) {
    if (n.type === "for_statement") return n;
    if (FUNCTION_TYPES.has(n.type)) return null;
  }
  return null;
}

/** The base identifier of an index or selector chain: `a` for `a.b[c]`. */
export function rootIdentifier(node: Node): Node | null {
  let n: Node | null = unparen(node);
  while (n) {
    if (n.type === "identifier") return n;
    if (n.type === "selector_expression") n = n.childForFieldName("operand");
    else if (n.type === "index_expression") n = n.childForFieldName("operand");
    else if (n.type === "parenthesized_expression") n = n.namedChild(0);
    else return null;
  }
  return null;
}

/** Strips one leading `*` and surrounding parentheses from a type text. */
export function derefType(typeText: string): string {
  return typeText.replace(/^\(?\*?/, "").replace(/\)$/, "");
}

/** Whether `inner` lies within `outer` (both of one tree). */
export function containsNode(outer: Node, inner: Node): boolean {
  return outer.tree === inner.tree && outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** Node types that open a scope: the nearest one above a declaration bounds where its name is visible. */
export const SCOPE_TYPES: ReadonlySet<string> = new Set([
  "block",
  "if_statement",
  "for_statement",
  "expression_switch_statement",
  "type_switch_statement",
  "expression_case",
  "type_case",
  "default_case",
  "communication_case",
  "func_literal",
  "function_declaration",
  "method_declaration",
]);

/**
 * Searches the subtree of `node` (itself included) in document order with a
 * cursor, never recursion. `visit` returns true to stop with success, "skip" to
 * leave out the children of the current node, anything else to go on.
 */
export function someInSubtree(
  node: Node,
  visit: (type: string, cursor: TreeCursor) => boolean | "skip" | void,
): boolean {
  const cursor = node.walk();
  try {
    let depth = 0;
    for (;;) {
      const verdict = visit(cursor.nodeType, cursor);
      if (verdict === true) return true;
      if (verdict !== "skip" && cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      for (;;) {
        if (depth === 0) return false;
        if (cursor.gotoNextSibling()) break;
        cursor.gotoParent();
        depth--;
      }
    }
  } finally {
    cursor.delete();
  }
}

const mayDeclareCache = new TreeCache<boolean>();

/**
 * Whether `fn` may declare `name`, judged from its text (see mayBeBound);
 * cached per tree, function and name.
 */
function mayDeclare(fn: Node, name: string): boolean {
  return mayDeclareCache.get(
    fn,
    () => {
      const text = fn.text;
      return mayBeBound(text, name, 0, text.length);
    },
    `${fn.id}:${name}`,
  );
}

/**
 * The local declaration `use` refers to: the latest one of that name, declared
 * before the use, whose scope contains the use, searching enclosing functions
 * outwards. Null when the name is not declared locally (package level or unknown).
 */
export function declarationOf(use: Node, name: string): LocalDecl | null {
  // Every function that could declare the name lies in the use's top-level declaration, found
  // in one call: when its text declares no such name, the walk up through `parent` is saved.
  const start = use.startIndex;
  const top = use.tree.rootNode.firstNamedChildForIndex(start);
  if (top && top.startIndex <= start && use.endIndex <= top.endIndex && !mayDeclare(top, name)) return null;
  for (let fn = enclosingFunction(use); fn; fn = enclosingFunction(fn)) {
    if (!mayDeclare(fn, name)) continue;
    const decls = localDeclarations(fn).get(name);
    if (!decls) continue;
    let best: LocalDecl | null = null;
    for (const d of decls) {
      if (d.node.startIndex >= use.startIndex) continue;
      let scope: Node | null = d.node.parent;
      while (scope && !SCOPE_TYPES.has(scope.type)) scope = scope.parent;
      if (scope && !containsNode(scope, use)) continue;
      if (!best || d.node.startIndex >= best.node.startIndex) best = d;
    }
    if (best) return best;
  }
  return null;
}

/** The arguments of a call, without comments. */
export function callArgs(call: Node): Node[] {
  return (call.childForFieldName("arguments")?.namedChildren ?? []).filter(
    (a): a is Node => !!a && a.type !== "comment",
  );
}

/**
 * The identifiers spelled `name` in `node`'s text: comments, strings, field
 * names and the keys of composite literals (`T{c: v}`) drop out.
 */
export function identifiersNamed(node: Node, name: string): Node[] {
  const out: Node[] = [];
  const text = node.text;
  const re = new RegExp(`(?<![\\w.])${name}\\b`, "g");
  const root = node.tree.rootNode;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = node.startIndex + m.index;
    const id = root.descendantForIndex(start, start + name.length);
    if (id?.type !== "identifier" || id.startIndex !== start) continue;
    const el = id.parent;
    if (
      el?.type === "literal_element" &&
      el.parent?.type === "keyed_element" &&
      el.parent.childForFieldName("key")?.id === el.id
    )
      continue;
    out.push(id);
  }
  return out;
}

/** The identifier is only written there: a target of `=` or `:=`, a name a `var` declares, a `:=` range or receive variable. */
export function isPureWrite(id: Node): boolean {
  const p = id.parent;
  if (p?.type === "var_spec") return p.childrenForFieldName("name").some((n) => n?.id === id.id);
  if (p?.type !== "expression_list") return false;
  const stmt = p.parent;
  if (stmt?.type === "range_clause" || stmt?.type === "receive_statement") {
    return stmt.childForFieldName("left")?.id === p.id && stmt.children.some((c) => c?.type === ":=");
  }
  if (stmt?.type === "short_var_declaration") return stmt.childForFieldName("left")?.id === p.id;
  if (stmt?.type === "assignment_statement")
    return stmt.childForFieldName("left")?.id === p.id && stmt.childForFieldName("operator")?.text === "=";
  return false;
}
