// Flags a caller's context.Context or a framework request context kept in package-level state or in a struct a constructor returns.
// A context carries one call's deadline, cancellation and values; kept beyond that call it cancels the wrong work or serves a dead request.
import type { Node } from "../parser";
import { frameworkOf, isContextType } from "../analysis/frameworks";
import { returnStatements, type TypeFact } from "../analysis/facts";
import type { PackageFacts } from "../analysis/package";
import { enclosingFunction, rangeOf, synchronization, unparen } from "../analysis/syntax";
import type { RawFinding, RelatedLocation } from "../analysis/types";
import { assignmentsMentioning, describeStore, exprName, Flow, globalStores } from "./request-data-in-global";
import type { Rule, RuleContext } from "../analysis/rule";

/** A context found in a stored value: the expression, where to report it, and whether it is a framework context. */
interface StoredContext {
  value: Node;
  /** The field key of the struct literal holding it, when it sits in one. */
  key?: Node;
  framework: boolean;
}

/** The struct type a composite literal (or `&T{...}`) builds, when it is declared in the package. */
function literalType(lit: Node, ctx: RuleContext): TypeFact | undefined {
  const type = lit.childForFieldName("type");
  if (type?.type !== "type_identifier") return undefined;
  const t = ctx.pkg.types.get(type.text);
  return t?.kind === "struct" ? t : undefined;
}

function asLiteral(node: Node): Node | null {
  let e = unparen(node);
  if (e.type === "unary_expression" && e.childForFieldName("operator")?.type === "&")
    e = unparen(e.childForFieldName("operand")!);
  return e.type === "composite_literal" ? e : null;
}

/** Whether a field type is context.Context or a framework request context (the field may be declared in a sibling file). */
function isContextField(typeText: string, ctx: RuleContext): boolean {
  const imports = ctx.file.summary.imports;
  if (typeText === "context.Context" && !imports["context"]) return true;
  return isContextType(typeText, imports) || frameworkOf(typeText, imports) !== null;
}

/**
 * The context-typed fields of a package struct whose values a constructor
 * must not keep, or none when the type is itself a context (it embeds
 * context.Context) or a call-scoped carrier that hands its context out
 * through a `Context()` method, like http.Request or tls.ClientHelloInfo.
 */
function contextFields(type: TypeFact | undefined, ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  if (!type) return out;
  if (type.embeds.some((e) => e === "context.Context" || isContextType(e, ctx.file.summary.imports))) return out;
  if (ctx.pkg.funcs.get("Context")?.some((f) => f.receiverType === type.name)) return out;
  for (const f of type.fields) if (isContextField(f.typeText, ctx)) out.add(f.name);
  return out;
}

const holdersCache = new WeakMap<PackageFacts, TypeFact[]>();

/** Struct types of the package with a field whose type looks like a context (`x.Context`, `*x.Context`, `*x.Ctx`). */
function contextHolders(pkg: PackageFacts): TypeFact[] {
  let list = holdersCache.get(pkg);
  if (!list) {
    list = [...pkg.types.values()].filter(
      (t) => t.kind === "struct" && t.fields.some((f) => /^\*?\w+\.(Context|Ctx)$/.test(f.typeText)),
    );
    holdersCache.set(pkg, list);
  }
  return list;
}

/** Contexts held by keyed elements of a struct literal; `onlyFields` restricts them to context-typed fields of a package struct. */
function contextsInLiteral(lit: Node, flow: Flow, onlyFields: Set<string> | null): StoredContext[] {
  const out: StoredContext[] = [];
  for (const el of lit.childForFieldName("body")?.namedChildren ?? []) {
    if (el?.type !== "keyed_element") continue;
    const keyEl = el.childForFieldName("key");
    const key = keyEl?.type === "literal_element" ? keyEl.namedChild(0) : keyEl;
    const valEl = el.childForFieldName("value");
    const value = valEl?.type === "literal_element" ? valEl.namedChild(0) : valEl;
    if (key?.type !== "identifier" || !value) continue;
    if (onlyFields && !onlyFields.has(key.text)) continue;
    const origin = flow.contextOrigin(value);
    if (origin === "caller" || origin === "framework") out.push({ value, key, framework: origin === "framework" });
  }
  return out;
}

/** The caller's contexts a value stored globally holds: the value itself, elements it appends, or fields of a literal. */
function contextsInValue(value: Node, flow: Flow): StoredContext[] {
  const e = unparen(value);
  const origin = flow.contextOrigin(e);
  if (origin === "caller" || origin === "framework") return [{ value: e, framework: origin === "framework" }];
  if (e.type === "call_expression" && e.childForFieldName("function")?.text === "append") {
    const out: StoredContext[] = [];
    for (const a of e.childForFieldName("arguments")?.namedChildren.slice(1) ?? []) {
      if (!a) continue;
      const o = flow.contextOrigin(a);
      if (o === "caller" || o === "framework") out.push({ value: a, framework: o === "framework" });
    }
    return out;
  }
  const lit = asLiteral(e);
  return lit ? contextsInLiteral(lit, flow, null) : [];
}

function what(s: StoredContext): string {
  return s.framework ? `request context ${exprName(s.value)}` : `context ${exprName(s.value)}`;
}

function whyGlobal(s: StoredContext): string {
  return s.framework
    ? "it is only valid until the handler returns"
    : "its cancellation, deadline and values belong to one call";
}

/** The package struct type a constructor's local variable holds: `x := &T{...}`, `x := new(T)`, `var x T`. */
function localStructType(id: Node, flow: Flow, ctx: RuleContext): TypeFact | undefined {
  for (const d of flow.local(id) ?? []) {
    if (d.typeText) {
      const t = ctx.pkg.types.get(d.typeText.replace(/^\*/, ""));
      if (t?.kind === "struct") return t;
    }
  }
  for (const v of flow.valuesOf(id)) {
    const lit = asLiteral(v);
    if (lit) return literalType(lit, ctx);
    const e = unparen(v);
    if (e.type === "call_expression" && e.childForFieldName("function")?.text === "new") {
      const arg = e.childForFieldName("arguments")?.namedChild(0);
      const t = arg ? ctx.pkg.types.get(arg.text) : undefined;
      if (t?.kind === "struct") return t;
    }
  }
  return undefined;
}

export const contextStored: Rule = {
  id: "context-stored",
  severity: "warning",
  related: [
    "Go blog: Contexts and structs (https://go.dev/blog/context-and-structs)",
    "golangci-lint containedctx (flags every struct field of type context.Context)",
    "context package documentation: do not store Contexts inside a struct type; pass a Context explicitly to each function that needs it",
  ],
  docs: {
    title: "Request or caller context kept in package-level state or in a struct a constructor returns",
    flags:
      "A context that belongs to a caller, stored where it outlives the call: " +
      "(1) assigned to a package-level variable, an entry of a package-level map, a field of a package-level variable, or appended to a package-level slice (`current = ctx`, `active[id] = c`, `srv.ctx = ctx`, `all = append(all, ctx)`), also inside a struct literal stored there (`last = &Job{ctx: ctx}`); " +
      "(2) put into a field of type `context.Context` (or a framework context type) of a struct declared in the package that a function (not a method) returns: `return &Worker{ctx: ctx}` (also through an interface result), or `w := &Worker{ctx: ctx}` / `w := new(Worker); w.ctx = ctx` followed by `return w` in a function whose result type names the struct. " +
      "A caller's context is a `context.Context` parameter, a request's context (`r.Context()`, `c.Request.Context()`), or anything derived from one with `context.WithCancel`, `WithTimeout`, `WithDeadline`, `WithValue` (and their `Cause` variants, `WithoutCancel`); a framework request context is a `*gin.Context`, `echo.Context`, `*gee.Context` or `*fiber.Ctx` parameter. The rule follows declarations and plain assignments of locals inside the function (`cctx, cancel := context.WithTimeout(ctx, d)`, `c := new(conn); c.ctx = ctx; return c`).",
    why: "A context carries the deadline, the cancellation and the request-scoped values of one call. Kept in a global or in a long-lived object, it is used by calls it was never meant for: work started later is cancelled when the first request ends, or runs with another request's deadline and values, and the object cannot be given a different context per call. Framework contexts are worse: gin, echo and fiber recycle them through a pool, so a stored `*gin.Context` describes a different request (or none) after the handler returns. The context package and the Go blog both ask to pass a context explicitly to each function that needs it.",
    bad: `type Worker struct {
\tctx context.Context
\tjobs chan Job
}

func NewWorker(ctx context.Context) *Worker {
\treturn &Worker{ctx: ctx, jobs: make(chan Job)}
}`,
    good: `type Worker struct {
\tjobs chan Job
}

func NewWorker() *Worker {
\treturn &Worker{jobs: make(chan Job)}
}

// Run takes the context for the one call it serves.
func (w *Worker) Run(ctx context.Context) error {
\tfor {
\t\tselect {
\t\tcase <-ctx.Done():
\t\t\treturn ctx.Err()
\t\tcase j := <-w.jobs:
\t\t\tj.Do(ctx)
\t\t}
\t}
}`,
    fix: "Pass the context as the first parameter of each function or method that needs it. For a long-lived component, accept the context in its `Run`/`Start` method instead of its constructor; for request data, copy the values you need out of the request before storing them.",
    silent: [
      "passing a context as an argument, and storing it in locals or parameters",
      "stores made while a lock is held, in `init()` or in `once.Do`: a mutex-guarded registry of in-flight contexts (removed when each call ends) is a deliberate design",
      "`c.Copy()` of a framework context: the copy is not recycled by the framework's pool",
      "contexts in fields of short-lived structs that are neither stored in package-level state nor returned by a function (a per-call options struct)",
      "contexts rooted in `context.Background()` or `context.TODO()` (directly or through `WithCancel`, `WithTimeout`, ...) kept in package-level variables: a process-lifetime root context is a deliberate design, cancelled at shutdown",
      "methods that return a copy of their receiver with a new context, like `(*http.Request).WithContext`: only functions count as constructors",
      "struct types that embed `context.Context` (a context wrapper is itself a context), and struct types of other packages, whose field types are not visible",
      "struct types with a `Context()` method: a call-scoped carrier that hands its context out, like `http.Request` or `tls.ClientHelloInfo`, is the documented exception",
      "values of unknown origin: a field, a function result, or a local of type `context.Context` that only holds such values",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const flow = new Flow(ctx);
    const reported = new Set<number>();

    for (const s of globalStores(ctx)) {
      // A registry of in-flight contexts kept under a lock is a deliberate design.
      if (synchronization(s.target)) continue;
      for (const c of contextsInValue(s.value, flow)) {
        const at = c.key ?? s.target;
        if (reported.has(at.id)) continue;
        reported.add(at.id);
        const related: RelatedLocation[] = [];
        if (c.key)
          related.push({
            file: ctx.file.file,
            range: rangeOf(s.target),
            message: `the struct is stored in ${describeStore(s)} here`,
          });
        const decl = ctx.pkg.vars.get(s.root);
        if (decl) related.push({ file: decl.file, range: decl.range, message: `${s.root} is declared here` });
        out.push({
          range: rangeOf(at),
          message: `${what(c)} is stored in ${describeStore(s)}; ${whyGlobal(c)}`,
          related,
        });
      }
    }

    // Constructors matter only when the package declares a struct that holds a context.
    const holders = contextHolders(ctx.pkg)
      .filter((t) => contextFields(t, ctx).size > 0)
      .map((t) => t.name);
    // A return builds or names a holder type only in a file whose text mentions one.
    const text = ctx.file.text;
    const returns = holders.some((h) => text.includes(h)) ? returnStatements(ctx.file) : [];
    const resultMentions = new Map<number, boolean>();
    for (const ret of returns) {
      const results = ret.namedChild(0)?.namedChildren ?? [];
      // `return &T{...}` of a holder type, or a local that may hold one.
      const literalHit = results.some((r) => {
        const l = r ? asLiteral(r) : null;
        return !!l && holders.includes(l.childForFieldName("type")?.text ?? "");
      });
      const hasIdent = results.some((r) => r && unparen(r).type === "identifier");
      if (!literalHit && !hasIdent) continue;
      const fn = enclosingFunction(ret);
      if (fn?.type !== "function_declaration") continue;
      let mentions = resultMentions.get(fn.id);
      if (mentions === undefined) {
        // Locals are followed only in functions declared to return a holder type.
        const result = fn.childForFieldName("result")?.text ?? "";
        mentions = holders.some((h) => new RegExp(`\\b${h}\\b`).test(result));
        resultMentions.set(fn.id, mentions);
      }
      if (!literalHit && !mentions) continue;
      const fnName = fn.childForFieldName("name")?.text ?? "";
      for (const result of results) {
        if (!result) continue;
        const e = unparen(result);
        const found: { c: StoredContext; at: Node; type: TypeFact }[] = [];
        const lit = asLiteral(e);
        const check = (literal: Node) => {
          const type = literalType(literal, ctx);
          const fields = contextFields(type, ctx);
          if (!type || fields.size === 0) return;
          for (const c of contextsInLiteral(literal, flow, fields)) found.push({ c, at: c.key!, type });
        };
        if (lit) check(lit);
        else if (e.type === "identifier" && mentions && flow.local(e)) {
          for (const v of flow.valuesOf(e)) {
            const l = asLiteral(v);
            if (l) check(l);
          }
          const type = localStructType(e, flow, ctx);
          const fields = contextFields(type, ctx);
          if (type && fields.size > 0) {
            // `w.ctx = ctx` before `return w`.
            for (const t of assignmentsMentioning(ctx, (w) => w === e.text)) {
              if (t.type !== "selector_expression" || t.startIndex < fn.startIndex || t.endIndex > fn.endIndex)
                continue;
              const operand = unparen(t.childForFieldName("operand")!);
              const field = t.childForFieldName("field")?.text ?? "";
              if (operand.type !== "identifier" || operand.text !== e.text || !fields.has(field)) continue;
              const stmt = t.parent!.parent!;
              const right = stmt.childForFieldName("right")?.namedChildren ?? [];
              const left = t.parent!.namedChildren;
              const value = left.length === right.length ? right[left.findIndex((n) => n?.id === t.id)] : null;
              if (!value) continue;
              const origin = flow.contextOrigin(value);
              if (origin === "caller" || origin === "framework")
                found.push({ c: { value, framework: origin === "framework" }, at: t, type });
            }
          }
        }
        for (const { c, at, type } of found) {
          if (reported.has(at.id)) continue;
          reported.add(at.id);
          const field = at.type === "selector_expression" ? (at.childForFieldName("field")?.text ?? at.text) : at.text;
          out.push({
            range: rangeOf(at),
            message: `${fnName} keeps ${what(c)} in field ${field} of the ${type.name} it returns; pass the context to each call instead`,
            related: [{ file: ctx.file.file, range: rangeOf(result), message: `the ${type.name} is returned here` }],
          });
        }
      }
    }
    return out;
  },
};
