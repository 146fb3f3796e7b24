// Flags a context key set twice with WithValue along one chain of derived contexts, or by two middleware of one file.
// The later value shadows the earlier for everything downstream, which is rarely what the first writer meant.
import { CANCEL_DERIVERS, contextFunction, isRequestContext } from "../analysis/frameworks";
import type { FileSyntax } from "../analysis/facts";
import type { Node } from "../parser";
import {
  callArgs,
  containsNode,
  declarationOf,
  enclosingDeclaration,
  enclosingFunction,
  functionName,
  mayBeBound,
  rangeOf,
  rootIdentifier,
  someInSubtree,
  TreeCache,
  unparen,
} from "../analysis/syntax";
import type { RawFinding } from "../analysis/types";
import { keyLabel } from "./context-key-builtin";
import type { Rule, RuleContext } from "../analysis/rule";

/** One `context.WithValue(parent, key, value)` call. */
export interface ValueCall {
  call: Node;
  /** The `context.WithValue` callee. */
  callee: Node;
  parent: Node;
  key: Node;
  /** The innermost function (declaration or literal) the call sits in. */
  fn: Node;
}

/** The WithValue calls of a file and how they derive from each other. */
export interface ValueFlow {
  calls: ValueCall[];
  /** The WithValue call whose context the call's parent derives from, within the same function. */
  parentOf: Map<number, ValueCall>;
}

/** context functions that derive a context from their first argument, keeping its values. */

/** An assignment or declaration with a value, inside one function. */
interface Binding {
  /** The statement-level node (for dominance and ordering). */
  stmt: Node;
  left: Node[];
  right: Node[];
}

const bindingsCache = new TreeCache<Binding[]>();

/** What the text-based shortcuts below need of a function, read once: every node accessor crosses into wasm. */
interface FunctionSpan {
  end: number;
  /** Start of the body, or -1 for a declaration without one. */
  bodyStart: number;
  /** Error recovery can attach names in odd places, so the text-based shortcuts are not trusted there. */
  hasError: boolean;
}

const spansCache = new TreeCache<FunctionSpan>();

function functionSpan(fn: Node): FunctionSpan {
  return spansCache.get(fn, () => ({
    end: fn.endIndex,
    bodyStart: fn.childForFieldName("body")?.startIndex ?? -1,
    hasError: fn.hasError,
  }));
}

/** Whether `fn` surely has no binding of `target` starting before `to`, judged from the file's text alone. */
function surelyUnbound(fn: Node, target: string, to: number, text: string): boolean {
  const span = functionSpan(fn);
  if (span.hasError) return false;
  return span.bodyStart < 0 || !mayBeBound(text, target, span.bodyStart, Math.min(to, span.end));
}

/** The assignments and initialised declarations in a function's own body (not in nested function literals). */
function bindings(fn: Node): Binding[] {
  return bindingsCache.get(fn, () => bindingsIn(fn));
}

function bindingsIn(fn: Node): Binding[] {
  const out: Binding[] = [];
  const body = fn.childForFieldName("body");
  if (body) {
    someInSubtree(body, (type, cursor) => {
      if (type === "func_literal") return "skip";
      // Only binding nodes are materialised: every currentNode crosses into wasm.
      if (type !== "short_var_declaration" && type !== "assignment_statement" && type !== "var_spec") return;
      const n = cursor.currentNode;
      if (type === "short_var_declaration" || type === "assignment_statement") {
        const op = n.childForFieldName("operator")?.type ?? (type === "short_var_declaration" ? ":=" : "=");
        if (op === ":=" || op === "=") {
          out.push({ stmt: n, left: named(n.childForFieldName("left")), right: named(n.childForFieldName("right")) });
        }
      } else if (type === "var_spec") {
        let stmt: Node = n;
        while (stmt.parent && stmt.type !== "var_declaration") stmt = stmt.parent;
        out.push({
          stmt,
          left: n.childrenForFieldName("name").filter((x): x is Node => !!x),
          right: named(n.childForFieldName("value")),
        });
      }
    });
  }
  return out;
}

function named(list: Node | null): Node[] {
  return (list?.namedChildren ?? []).filter((x): x is Node => !!x && x.type !== "comment");
}

/**
 * The value `target` (an identifier or selector text) holds at `before`: the
 * textually latest assignment to it in `fn` that ends before `before`, provided
 * that assignment's block encloses `before` (so it runs on every path there).
 */
function valueAt(fn: Node, target: string, before: Node, text: string): { value: Node; stmt: Node } | null {
  if (surelyUnbound(fn, target, before.startIndex, text)) return null;
  let best: { b: Binding; i: number } | null = null;
  for (const b of bindings(fn)) {
    if (b.stmt.endIndex > before.startIndex) continue;
    const i = b.left.findIndex((l) => l.text === target);
    if (i < 0) continue;
    if (!best || b.stmt.startIndex > best.b.stmt.startIndex) best = { b, i };
  }
  if (!best) return null;
  const { b, i } = best;
  // An assignment in a branch that does not enclose the use may or may not have run.
  if (!b.stmt.parent || !containsNode(b.stmt.parent, before)) return null;
  if (b.left.length === b.right.length) return { value: b.right[i]!, stmt: b.stmt };
  // ctx, cancel := context.WithCancel(parent): the context is the first result.
  if (b.right.length === 1 && i === 0) return { value: b.right[0]!, stmt: b.stmt };
  return null;
}

/** The WithValue call (in `fn`) that the context expression `expr` derives from, or null. */
function sourceOf(
  expr: Node,
  before: Node,
  fn: Node,
  ctx: RuleContext,
  calls: Map<number, ValueCall>,
  depth: number,
): ValueCall | null {
  if (depth > 32) return null;
  const e = unparen(expr);
  if (e.type === "identifier") {
    const v = valueAt(fn, e.text, before, ctx.file.text);
    return v ? sourceOf(v.value, v.stmt, fn, ctx, calls, depth + 1) : null;
  }
  if (e.type !== "call_expression") return null;
  const own = calls.get(e.id);
  if (own) return own;
  const f = contextFunction(e, ctx);
  if (f !== null) {
    const first = callArgs(e)[0];
    return CANCEL_DERIVERS.has(f) && first ? sourceOf(first, e, fn, ctx, calls, depth + 1) : null;
  }
  // r.Context() after r = r.WithContext(ctx2), or c.Request.Context() after c.Request = c.Request.WithContext(ctx2).
  const callee = e.childForFieldName("function");
  if (
    callee?.type !== "selector_expression" ||
    callee.childForFieldName("field")?.text !== "Context" ||
    callArgs(e).length !== 0
  )
    return null;
  const recv = unparen(callee.childForFieldName("operand")!);
  if (recv.type !== "identifier" && recv.type !== "selector_expression") return null;
  const v = valueAt(fn, recv.text, before, ctx.file.text);
  if (!v) return null;
  const val = unparen(v.value);
  const vf = val.type === "call_expression" ? val.childForFieldName("function") : null;
  const method = vf?.type === "selector_expression" ? vf.childForFieldName("field")?.text : undefined;
  const arg = callArgs(val)[0];
  if ((method === "WithContext" || method === "Clone") && arg) return sourceOf(arg, val, fn, ctx, calls, depth + 1);
  return null;
}

const flows = new WeakMap<object, ValueFlow>();

/** The WithValue calls of the file and their derivation, computed once per file and shared by the rules. */
export function valueFlow(ctx: RuleContext): ValueFlow {
  const cached = flows.get(ctx.file);
  if (cached) return cached;
  const calls: ValueCall[] = [];
  for (const call of ctx.file.caps.methodCalls) {
    const callee = call.childForFieldName("function")!;
    if (callee.childForFieldName("field")?.text !== "WithValue") continue;
    const args = callArgs(call);
    if (args.length !== 3 || contextFunction(call, ctx) !== "WithValue") continue;
    const fn = enclosingFunction(call);
    if (!fn) continue;
    calls.push({ call, callee, parent: args[0]!, key: args[1]!, fn });
  }
  const byId = new Map(calls.map((c) => [c.call.id, c]));
  const parentOf = new Map<number, ValueCall>();
  if (calls.length > 1) {
    for (const c of calls) {
      const p = sourceOf(c.parent, c.call, c.fn, ctx, byId, 0);
      if (p && p !== c) parentOf.set(c.call.id, p);
    }
  }
  const flow = { calls, parentOf };
  flows.set(ctx.file, flow);
  return flow;
}

const LITERALS = new Set([
  "interpreted_string_literal",
  "raw_string_literal",
  "int_literal",
  "float_literal",
  "rune_literal",
  "imaginary_literal",
  "true",
  "false",
]);

/** Whether a local name is reassigned (plain `=`) somewhere in the function, so its value is not fixed. */
function reassigned(fn: Node, name: string, text: string): boolean {
  if (surelyUnbound(fn, name, Infinity, text)) return false;
  return bindings(fn).some((b) => b.stmt.type === "assignment_statement" && b.left.some((l) => l.text === name));
}

/**
 * A string that is equal for two keys of one function exactly when they are
 * the same key: literals, constants and variables that are not reassigned,
 * field chains on them, composite literals (`ctxKey{}`) and conversions of
 * those. Null for anything else (calls, `&ctxKey{}` which is a new pointer each time).
 */
function keyIdentity(key: Node, fn: Node, ctx: RuleContext, depth = 0): string | null {
  const e = unparen(key);
  if (depth > 4) return null;
  if (LITERALS.has(e.type)) return e.text;
  if (e.type === "identifier") {
    const local = declarationOf(e, e.text);
    if (!local) return e.text;
    if (reassigned(fn, e.text, ctx.file.text)) return null;
    return `${e.text}@${local.node.startIndex}`;
  }
  if (e.type === "selector_expression") {
    const root = rootIdentifier(e);
    if (!root || root.type !== "identifier") return null;
    const base = keyIdentity(root, fn, ctx, depth + 1);
    return base === null ? null : `${base}${e.text.slice(root.text.length).replace(/\s+/g, "")}`;
  }
  if (e.type === "composite_literal") {
    const body = e.childForFieldName("body");
    for (const el of body?.namedChildren ?? []) {
      if (!el || el.type === "comment") continue;
      const v = el.type === "keyed_element" ? el.namedChildren[el.namedChildCount - 1] : el;
      const inner = v?.type === "literal_element" ? v.namedChild(0) : v;
      if (!inner || keyIdentity(inner, fn, ctx, depth + 1) === null) return null;
    }
    return e.text.replace(/\s+/g, "");
  }
  if (e.type === "call_expression") {
    const f = e.childForFieldName("function");
    const args = callArgs(e);
    if (f?.type !== "identifier" || args.length !== 1 || !ctx.pkg.types.has(f.text)) return null;
    const inner = keyIdentity(args[0]!, fn, ctx, depth + 1);
    return inner === null ? null : `${f.text}(${inner})`;
  }
  return null;
}

/** Like keyIdentity, but only for keys that mean the same thing in every function of the file. */
function fileKeyIdentity(key: Node, ctx: RuleContext): string | null {
  const e = unparen(key);
  if (LITERALS.has(e.type)) return e.text;
  if (e.type === "identifier") return declarationOf(e, e.text) ? null : e.text;
  if (e.type === "selector_expression") {
    const op = e.childForFieldName("operand");
    if (op?.type === "identifier" && ctx.file.summary.imports[op.text] && !declarationOf(e, op.text)) return e.text;
    return null;
  }
  if (e.type === "composite_literal") {
    const t = e.childForFieldName("type");
    const body = e.childForFieldName("body");
    if (t?.type === "type_identifier" && body && body.namedChildren.every((c) => !c || c.type === "comment"))
      return `${t.text}{}`;
    return null;
  }
  if (e.type === "call_expression") {
    const f = e.childForFieldName("function");
    const args = callArgs(e);
    if (
      f?.type === "identifier" &&
      ctx.pkg.types.has(f.text) &&
      args.length === 1 &&
      LITERALS.has(unparen(args[0]!).type)
    )
      return `${f.text}(${unparen(args[0]!).text})`;
  }
  return null;
}

/** How messages name a function: `handle`, or `a function literal in handle`. */
export function describeFunction(fn: Node): string {
  const name = functionName(fn);
  if (name) return name;
  const decl = enclosingDeclaration(fn);
  const outer = decl ? functionName(decl) : null;
  return outer ? `a function literal in ${outer}` : "a function literal";
}

const MIDDLEWARE_CALL = /\.(Next|ServeHTTP)\b/g;
const middlewareCache = new WeakMap<object, number[]>();

/**
 * Offsets of the method names of the file's calls that hand the request on, `c.Next()` and
 * `next.ServeHTTP(w, r)`, in document order. Found by scanning the text (as
 * facts.ts finds the method calls it captures), so that asking whether a
 * function is a middleware costs a range check instead of a look at every
 * captured call.
 */
function middlewareCalls(file: FileSyntax): number[] {
  let found = middlewareCache.get(file);
  if (found) return found;
  found = [];
  const root = file.tree.rootNode;
  for (const m of file.text.matchAll(MIDDLEWARE_CALL)) {
    const field = root.descendantForIndex(m.index + 1, m.index + m[0].length);
    const sel = field?.parent;
    if (field?.type !== "field_identifier" || field.text !== m[1] || sel?.type !== "selector_expression") continue;
    const call = sel.parent;
    if (call?.type !== "call_expression" || call.childForFieldName("function")?.id !== sel.id) continue;
    const n = callArgs(call).length;
    if ((m[1] === "Next" && n === 0) || (m[1] === "ServeHTTP" && n === 2)) found.push(m.index + 1);
  }
  middlewareCache.set(file, found);
  return found;
}

/** Whether the function hands the request on: it calls `c.Next()` or `next.ServeHTTP(w, r)`. */
function isMiddleware(fn: Node, ctx: RuleContext): boolean {
  const calls = middlewareCalls(ctx.file);
  if (calls.length === 0) return false;
  const start = fn.startIndex;
  const end = functionSpan(fn).end;
  return calls.some((at) => at >= start && at < end);
}

/** A WithValue call on the incoming request's context, with what the middleware pairing compares. */
interface RequestSet {
  c: ValueCall;
  id: string;
  mw: boolean;
  start: number;
  fnStart: number;
  fnEnd: number;
}

/**
 * Pairs of WithValue calls, in different functions of the file, that set the
 * same key on the incoming request context, where at least one of the two
 * functions is a middleware: the later call of each pair, with the nearest
 * earlier one. Keys are compared before the request context is recognised,
 * and only keys that a middleware sets are looked at further.
 */
function requestPairs(flow: ValueFlow, ctx: RuleContext): { later: RequestSet; earlier: RequestSet }[] {
  const pairs: { later: RequestSet; earlier: RequestSet }[] = [];
  const roots = flow.calls.filter((c) => !flow.parentOf.has(c.call.id));
  if (roots.length < 2) return pairs;
  const mw = new Map<number, boolean>();
  const middlewareOf = (fn: Node): boolean => {
    let is = mw.get(fn.id);
    if (is === undefined) mw.set(fn.id, (is = isMiddleware(fn, ctx)));
    return is;
  };
  if (!roots.some((c) => middlewareOf(c.fn))) return pairs;
  const byKey = new Map<string, ValueCall[]>();
  for (const c of roots) {
    const id = fileKeyIdentity(c.key, ctx);
    if (id === null) continue;
    const list = byKey.get(id);
    if (list) list.push(c);
    else byKey.set(id, [c]);
  }
  for (const [id, group] of byKey) {
    if (group.length < 2 || !group.some((c) => middlewareOf(c.fn))) continue;
    const sets = group
      .filter((c) => isRequestContext(c.parent, ctx))
      .map((c): RequestSet => {
        const span = functionSpan(c.fn);
        return { c, id, mw: middlewareOf(c.fn), start: c.call.startIndex, fnStart: c.fn.startIndex, fnEnd: span.end };
      })
      .sort((a, b) => a.start - b.start);
    for (let i = 1; i < sets.length; i++) {
      const later = sets[i]!;
      for (let j = i - 1; j >= 0; j--) {
        const earlier = sets[j]!;
        if (!earlier.mw && !later.mw) continue;
        // The same function, or one nested in the other, is one flow: the first loop of detect covers it.
        if (earlier.fnStart <= later.fnStart ? later.fnEnd <= earlier.fnEnd : earlier.fnEnd <= later.fnEnd) continue;
        pairs.push({ later, earlier });
        break;
      }
    }
  }
  return pairs.sort((a, b) => a.later.start - b.later.start);
}

export const contextValueOverwrite: Rule = {
  id: "context-value-overwrite",
  severity: "warning",
  related: [
    "go vet and staticcheck have no equivalent",
    "context.WithValue documentation: a derived context's Value returns the value of the nearest WithValue for the key",
  ],
  docs: {
    title: "Context key set twice along one chain of derived contexts",
    flags:
      "A `context.WithValue(parent, key, v)` whose `parent` already carries `key` from an earlier `WithValue` in the same function: `ctx2 := context.WithValue(ctx1, k, a)` then `context.WithValue(ctx2, k, b)`, a variable reassigned in place (`ctx = context.WithValue(ctx, k, v)` twice), nested calls, and chains that pass through `context.WithCancel`/`WithTimeout`/`WithDeadline`/`WithoutCancel` or through a request (`r = r.WithContext(ctx)` followed by `r.Context()`). " +
      "Keys are the same when they are the same literal, the same constant or variable (not reassigned in between), or the same composite literal such as `ctxKey{}`. " +
      "It also flags two middleware in one file that each set the same key on the incoming request context (`context.WithValue(r.Context(), k, v)`, `c.Request.Context()` in gin): at least one of the two functions must hand the request on with `next.ServeHTTP` or `c.Next()`. The later one in the file is reported, with the other as related information.",
    why:
      "`Value` returns the value of the nearest `WithValue` for a key, so the second call silently replaces the first value for all code downstream while code holding the parent still sees the old one. " +
      "When two layers set the same key, one of them usually meant a different key or meant to read the value, and the bug shows up far away as a handler seeing the wrong user, tenant or request id.",
    bad: `func handle(w http.ResponseWriter, r *http.Request) {
\tctx := context.WithValue(r.Context(), requestIDKey, newID())
\tctx = context.WithValue(ctx, userKey, currentUser(r))
\tctx = context.WithValue(ctx, requestIDKey, r.Header.Get("X-Request-ID"))
\tserve(ctx, w)
}`,
    good: `func handle(w http.ResponseWriter, r *http.Request) {
\tid := r.Header.Get("X-Request-ID")
\tif id == "" {
\t\tid = newID()
\t}
\tctx := context.WithValue(r.Context(), requestIDKey, id)
\tctx = context.WithValue(ctx, userKey, currentUser(r))
\tserve(ctx, w)
}`,
    fix: "Decide which layer owns the key and set it once: compute the final value first, use a distinct key for the second value, or read the existing value with `ctx.Value(key)` before deciding to replace it.",
    silent: [
      "the same key set in different branches (`if ... { ctx = WithValue(ctx, k, a) } else { ctx = WithValue(ctx, k, b) }`): each path sets it once",
      "the same key on unrelated contexts (two `context.WithValue(context.Background(), k, ...)`)",
      "different keys, and keys whose identity cannot be told: results of calls, `&ctxKey{}` (a new pointer each time), variables reassigned in the function",
      "a context whose origin cannot be followed within the function: a parameter, a value assigned in a branch that does not enclose the later call (`if admin { ctx = WithValue(ctx, k, a) }`), a variable captured by a closure",
      "request contexts set by two handlers of which neither calls `next.ServeHTTP` or `c.Next()` (routes, not a middleware chain)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const flow = valueFlow(ctx);
    if (flow.calls.length < 2) return out;
    for (const c of flow.calls) {
      const first = flow.parentOf.get(c.call.id);
      if (!first) continue;
      const id = keyIdentity(c.key, c.fn, ctx);
      if (id === null) continue;
      for (let a: ValueCall | undefined = first; a; a = flow.parentOf.get(a.call.id)) {
        if (keyIdentity(a.key, a.fn, ctx) !== id) continue;
        out.push({
          range: rangeOf(c.key),
          message: `context key ${keyLabel(c.key)} is set again on a context that already carries it; the earlier value is shadowed from here on`,
          related: [{ file: ctx.file.file, range: rangeOf(a.call), message: `${keyLabel(a.key)} is first set here` }],
        });
        break;
      }
    }
    // Middleware of one file that each put the same key on the incoming request.
    for (const { later, earlier } of requestPairs(flow, ctx)) {
      const other = describeFunction(earlier.c.fn);
      out.push({
        range: rangeOf(later.c.key),
        message: `context key ${keyLabel(later.c.key)} is also set on the request context by ${other}; when both run in one chain, the later value shadows the earlier`,
        related: [
          {
            file: ctx.file.file,
            range: rangeOf(earlier.c.call),
            message: `${other} sets ${keyLabel(earlier.c.key)} here`,
          },
        ],
      });
    }
    return out;
  },
};
