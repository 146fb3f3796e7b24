// Flags values that belong to one request (route and query parameters, headers, form values, ctx.Value results, per-request pointers) stored in package-level maps or variables.
// Such a value outlives its request: later requests see another user's data, and frameworks that pool request buffers change it underneath.
import type { Node } from "../parser";
import { frameworkOf, isContextType, isHttpRequestType } from "../analysis/frameworks";
import {
  enclosingFunction,
  findLocalDeclaration,
  isDeclaredLocally,
  type LocalDecl,
  parameterTypes,
  rangeOf,
  rootIdentifier,
  synchronization,
  TreeCache,
  unparen,
} from "../analysis/syntax";
import type { RawFinding, RelatedLocation } from "../analysis/types";
import type { Rule, RuleContext } from "../analysis/rule";

/** A store into package-level state found among the file's captures. */
export interface GlobalStore {
  /** The assignment target: `m[k]`, `v` or `v.f`. */
  target: Node;
  /** The value stored at that target. */
  value: Node;
  /** The package-level variable the target is rooted in. */
  root: string;
  /** The target is an entry `m[k]` of a package-level map `m`. */
  isMapEntry: boolean;
}

/** The value a plain `=` assignment stores at `target`, when the two sides line up one to one. */
function assignedValue(target: Node): Node | null {
  const list = target.parent;
  const stmt = list?.parent;
  if (list?.type !== "expression_list" || stmt?.type !== "assignment_statement") return null;
  if (stmt.childForFieldName("operator")?.type !== "=" || stmt.childForFieldName("left")?.id !== list.id) return null;
  const left = list.namedChildren;
  const right = stmt.childForFieldName("right")?.namedChildren ?? [];
  if (left.length !== right.length) return null;
  const i = left.findIndex((n) => n?.id === target.id);
  return i >= 0 ? (right[i] ?? null) : null;
}

/** The left side of the plain assignment whose `=` sits at `offset`, as text from the start of its line. */
function lhsText(text: string, offset: number): string {
  return text.slice(text.lastIndexOf("\n", offset) + 1, offset);
}

/** The targets of the plain assignment whose `=` operator sits at `offset`. */
function assignTargets(ctx: RuleContext, offset: number): Node[] {
  const stmt = ctx.file.tree.rootNode.descendantForIndex(offset, offset + 1)?.parent;
  if (stmt?.type !== "assignment_statement") return [];
  return (stmt.childForFieldName("left")?.namedChildren ?? []).filter((n): n is Node => !!n);
}

/** Plain assignments of the file whose left side mentions one of `names`, resolved to their targets. */
export function assignmentsMentioning(ctx: RuleContext, has: (word: string) => boolean): Node[] {
  const out: Node[] = [];
  const text = ctx.file.text;
  for (const offset of ctx.file.caps.plainAssignOps) {
    const words = lhsText(text, offset).match(/[A-Za-z_]\w*/g);
    if (words?.some(has)) out.push(...assignTargets(ctx, offset));
  }
  return out;
}

const scopeCache = new TreeCache<boolean>();

/**
 * Whether code at `node` can see a request or a caller's context: it sits in
 * a function (or a literal nested in one) with a parameter of type
 * `context.Context`, `*http.Request` or a framework context. Request data and
 * caller contexts all start at such a parameter, so stores elsewhere are
 * skipped before any local-declaration walk.
 */
export function inRequestScope(node: Node, imports: Record<string, string>): boolean {
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    const f = fn;
    const has = scopeCache.get(f, () =>
      [...parameterTypes(f.childForFieldName("parameters")).values()].some(
        (t) => isContextType(t, imports) || isHttpRequestType(t, imports) || !!frameworkOf(t, imports),
      ),
    );
    if (has) return true;
  }
  return false;
}

const REQUEST_IMPORT = /^(context|net\/http)$|(^|\/)(gin|echo|gee|fiber)(\/v\d+)?$/;

/** A file that imports neither context, net/http nor a web framework has no parameter of those types. */
function mayHaveRequestScope(imports: Record<string, string>): boolean {
  for (const name in imports) if (REQUEST_IMPORT.test(imports[name]!)) return true;
  return false;
}

// Both rules of a run ask for the same file's stores; a new PackageFacts (a sibling file changed) recomputes them.
const storesCache = new WeakMap<object, { pkg: object; stores: GlobalStore[] }>();

/**
 * Assignments in the file whose target is rooted in a package-level variable
 * that no enclosing function shadows (`m[k] = v`, `g = v`, `g.f = v`), made
 * where a request or a caller's context is in scope. Shared by the rules that
 * look for request data and contexts kept in package-level state.
 */
export function globalStores(ctx: RuleContext): GlobalStore[] {
  const cached = storesCache.get(ctx.file);
  if (cached?.pkg === ctx.pkg) return cached.stores;
  const out: GlobalStore[] = [];
  storesCache.set(ctx.file, { pkg: ctx.pkg, stores: out });
  if (ctx.pkg.vars.size === 0 || !mayHaveRequestScope(ctx.file.summary.imports)) return out;
  const candidates = [
    ...ctx.file.caps.mapWrites.filter((w) => w.type === "index_expression"),
    ...assignmentsMentioning(ctx, (w) => ctx.pkg.vars.has(w)).filter(
      (t) => t.type === "identifier" || t.type === "selector_expression",
    ),
  ];
  for (const target of candidates) {
    const root = rootIdentifier(target);
    if (!root || !ctx.pkg.vars.has(root.text)) continue;
    if (!inRequestScope(target, ctx.file.summary.imports)) continue;
    const value = assignedValue(target);
    if (!value || isDeclaredLocally(target, root.text)) continue;
    const operand = target.type === "index_expression" ? unparen(target.childForFieldName("operand")!) : null;
    out.push({
      target,
      value,
      root: root.text,
      isMapEntry: operand?.type === "identifier" && !!ctx.pkg.mapVar(root.text),
    });
  }
  out.sort((a, b) => a.target.startIndex - b.target.startIndex);
  return out;
}

/** Where a store goes, for messages: `package-level map cache`, `package-level variable last`. */
export function describeStore(s: GlobalStore): string {
  return s.isMapEntry ? `package-level map ${s.root}` : `package-level variable ${s.root}`;
}

/** Short text naming an expression in a message. */
export function exprName(node: Node): string {
  const text = node.text.replace(/\s+/g, " ");
  return text.length <= 40 ? text : `${text.slice(0, 37)}...`;
}

const MAX_DEPTH = 8;

/** Where a context value comes from: the caller (a parameter, a request), a process root (Background, TODO), or a framework request context. */
export type ContextOrigin = "caller" | "root" | "framework";

const DERIVE = new Set([
  "WithCancel",
  "WithCancelCause",
  "WithTimeout",
  "WithTimeoutCause",
  "WithDeadline",
  "WithDeadlineCause",
  "WithValue",
  "WithoutCancel",
]);

/** Framework context methods (gin, echo, gee, fiber) whose results are data of the current request. */
const FRAMEWORK_SOURCES = new Set([
  "Param",
  "Params",
  "ParamValues",
  "Query",
  "QueryParam",
  "QueryParams",
  "QueryString",
  "DefaultQuery",
  "GetQuery",
  "QueryArray",
  "QueryMap",
  "PostForm",
  "DefaultPostForm",
  "GetPostForm",
  "PostFormArray",
  "PostFormMap",
  "FormValue",
  "FormParams",
  "FormFile",
  "MultipartForm",
  "Get",
  "MustGet",
  "GetString",
  "GetInt",
  "GetInt64",
  "GetBool",
  "GetStringMap",
  "GetHeader",
  "Value",
  "Cookie",
  "Cookies",
  "Request",
  "Body",
  "BodyRaw",
  "GetRawData",
  "Locals",
  "ClientIP",
  "RealIP",
  "FullPath",
  "OriginalURL",
]);

/** Framework context fields that hold the request itself or its data (not the response writer, the engine, ...). */
const FRAMEWORK_FIELDS = new Set(["Request", "Keys", "Params"]);

/**
 * Methods whose results are not request data even when called on it: errors,
 * lengths, flags, and the request's context (context-stored reports that).
 */
const NOT_DATA_METHODS = new Set([
  "ParseForm",
  "ParseMultipartForm",
  "ProtoAtLeast",
  "Read",
  "ReadByte",
  "ReadRune",
  "Close",
  "Write",
  "WriteTo",
  "Len",
  "Has",
  "Set",
  "Add",
  "Del",
  "IsAbs",
  "Context",
  "Done",
  "Err",
  "Deadline",
]);

/**
 * Simple local data flow for one file: what a local variable may hold (its
 * declaration and every plain assignment in the declaring function), whether
 * an expression is request data, and where a context value comes from.
 */
export class Flow {
  private readonly assigns = new Map<string, Node[]>();

  constructor(readonly ctx: RuleContext) {}

  private get imports(): Record<string, string> {
    return this.ctx.file.summary.imports;
  }

  /** Identifiers named `name` assigned with `=` anywhere in the file. */
  private assignments(name: string): Node[] {
    let list = this.assigns.get(name);
    if (!list) {
      list = assignmentsMentioning(this.ctx, (w) => w === name).filter(
        (n) => n.type === "identifier" && n.text === name,
      );
      this.assigns.set(name, list);
    }
    return list;
  }

  /** The local declarations of an identifier, or null when it is not local (package-level, imported, unknown). */
  local(id: Node): LocalDecl[] | null {
    return findLocalDeclaration(id, id.text)?.decls ?? null;
  }

  /** The parameter type of a local identifier, when it is a parameter or receiver. */
  paramType(id: Node): string | null {
    const decls = this.local(id);
    if (!decls) return null;
    const p = decls.find(
      (d) => d.node.type === "parameter_declaration" || d.node.type === "variadic_parameter_declaration",
    );
    return p?.typeText ?? null;
  }

  /** Every value a local identifier may hold: declaration values and `=` assignments in the declaring function. */
  valuesOf(id: Node): Node[] {
    const found = findLocalDeclaration(id, id.text);
    if (!found) return [];
    const out: Node[] = [];
    for (const d of found.decls) {
      const v = declValue(d);
      if (v) out.push(v);
    }
    const fn = found.fn;
    for (const a of this.assignments(id.text)) {
      if (a.startIndex < fn.startIndex || a.endIndex > fn.endIndex) continue;
      const v = assignedValue(a) ?? firstOfMany(a);
      if (v) out.push(v);
    }
    return out;
  }

  /** Whether the expression is a framework request context (gin, echo, gee, fiber): a parameter, its `c.Copy()`, a local holding either. */
  frameworkContext(node: Node, depth = 0): boolean {
    const e = unparen(node);
    if (depth > MAX_DEPTH) return false;
    if (e.type === "identifier") {
      const type = this.paramType(e);
      if (type !== null) return frameworkOf(type, this.imports) !== null;
      return this.valuesOf(e).some((v) => this.frameworkContext(v, depth + 1));
    }
    if (e.type === "call_expression") {
      const fn = e.childForFieldName("function");
      if (fn?.type === "selector_expression" && fn.childForFieldName("field")?.text === "Copy") {
        return this.frameworkContext(fn.childForFieldName("operand")!, depth + 1);
      }
    }
    return false;
  }

  /** Whether the expression is a `*http.Request` parameter (or a local holding one). */
  httpRequest(node: Node, depth = 0): boolean {
    const e = unparen(node);
    if (e.type !== "identifier" || depth > MAX_DEPTH) return false;
    const type = this.paramType(e);
    if (type !== null) return isHttpRequestType(type, this.imports);
    return this.valuesOf(e).some((v) => this.httpRequest(v, depth + 1));
  }

  /**
   * The request-data source the expression's value comes from (the
   * `c.Param("id")` call, the `r` parameter, ...), or null. Contexts and
   * framework contexts themselves are not request data here: context-stored
   * reports those.
   */
  requestSource(node: Node, depth = 0, seen = new Set<number>()): Node | null {
    const e = unparen(node);
    if (depth > MAX_DEPTH || seen.has(e.id)) return null;
    seen.add(e.id);
    const next = (n: Node | null | undefined) => (n ? this.requestSource(n, depth + 1, seen) : null);
    switch (e.type) {
      case "identifier": {
        const decls = this.local(e);
        if (!decls) return null;
        const p = decls.find((d) => d.node.type === "parameter_declaration");
        if (p) return p.typeText && isHttpRequestType(p.typeText, this.imports) ? e : null;
        for (const v of this.valuesOf(e)) {
          const src = next(v);
          if (src) return src;
        }
        return null;
      }
      case "type_assertion_expression":
      case "slice_expression":
        return next(e.childForFieldName("operand"));
      case "unary_expression":
        return e.childForFieldName("operator")?.type === "&" || e.childForFieldName("operator")?.type === "*"
          ? next(e.childForFieldName("operand"))
          : null;
      case "composite_literal":
        return this.literalSource(e.childForFieldName("body"), depth, seen);
      case "selector_expression": {
        const operand = e.childForFieldName("operand")!;
        if (this.frameworkContext(operand, depth + 1))
          return FRAMEWORK_FIELDS.has(e.childForFieldName("field")?.text ?? "") ? e : null;
        return next(operand) ? e : null;
      }
      case "index_expression":
        return next(e.childForFieldName("operand")) ? e : null;
      case "call_expression": {
        const fn = e.childForFieldName("function");
        const args = e.childForFieldName("arguments")?.namedChildren ?? [];
        if (fn?.type === "identifier" && fn.text === "append") {
          for (const a of args.slice(1)) {
            const src = a ? next(a) : null;
            if (src) return src;
          }
          return null;
        }
        if (fn?.type !== "selector_expression") return null;
        const operand = fn.childForFieldName("operand")!;
        const method = fn.childForFieldName("field")?.text ?? "";
        if (this.frameworkContext(operand, depth + 1)) return FRAMEWORK_SOURCES.has(method) ? e : null;
        if (method === "Value" && args.length === 1) {
          const origin = this.contextOrigin(operand, depth + 1);
          if (origin === "caller" || origin === "framework") return e;
        }
        if (NOT_DATA_METHODS.has(method)) return null;
        return next(operand) ? e : null;
      }
    }
    return null;
  }

  private literalSource(body: Node | null, depth: number, seen: Set<number>): Node | null {
    if (!body) return null;
    for (const el of body.namedChildren) {
      if (!el) continue;
      const value = el.type === "keyed_element" ? el.childForFieldName("value") : el;
      const inner = value?.type === "literal_element" ? value.namedChild(0) : value;
      if (!inner) continue;
      const src =
        inner.type === "literal_value"
          ? this.literalSource(inner, depth + 1, seen)
          : this.requestSource(inner, depth + 1, seen);
      if (src) return src;
    }
    return null;
  }

  /**
   * Where a context value comes from, or null when the expression is not
   * known to be a context: a `context.Context` parameter or a request's
   * context is the caller's, `context.Background()`/`TODO()` a process root,
   * a `*gin.Context`-like parameter a framework context; derived contexts
   * (`context.WithCancel(parent)`) take their parent's origin.
   */
  contextOrigin(node: Node, depth = 0, seen = new Set<number>()): ContextOrigin | null {
    const e = unparen(node);
    if (depth > MAX_DEPTH || seen.has(e.id)) return null;
    seen.add(e.id);
    if (e.type === "identifier") {
      const decls = this.local(e);
      if (!decls) return null;
      const p = decls.find(
        (d) => d.node.type === "parameter_declaration" || d.node.type === "variadic_parameter_declaration",
      );
      if (p) {
        if (!p.typeText) return null;
        if (isContextType(p.typeText, this.imports)) return "caller";
        return frameworkOf(p.typeText, this.imports) ? "framework" : null;
      }
      // A local takes the origin of what it holds; a value of unknown origin
      // (a field, a function result) leaves it unknown, even when typed.
      let sawRoot = false;
      let sawUnknown = false;
      for (const v of this.valuesOf(e)) {
        const o = this.contextOrigin(v, depth + 1, seen);
        if (o === "caller" || o === "framework") return o;
        if (o === "root") sawRoot = true;
        else sawUnknown = true;
      }
      return sawRoot && !sawUnknown ? "root" : null;
    }
    if (e.type !== "call_expression") return null;
    const fn = e.childForFieldName("function");
    if (fn?.type !== "selector_expression") return null;
    const operand = unparen(fn.childForFieldName("operand")!);
    const method = fn.childForFieldName("field")?.text ?? "";
    if (operand.type === "identifier" && this.imports[operand.text] === "context" && !this.local(operand)) {
      if (method === "Background" || method === "TODO") return "root";
      const parent = e.childForFieldName("arguments")?.namedChild(0);
      return DERIVE.has(method) && parent ? this.contextOrigin(parent, depth + 1, seen) : null;
    }
    if (method === "Context" && (e.childForFieldName("arguments")?.namedChildCount ?? 0) === 0) {
      // r.Context(), c.Request.Context(), c.Request().Context().
      if (this.httpRequest(operand) || this.requestSource(operand)) return "caller";
    }
    return null;
  }
}

/** The value a local declaration gives the name: its own value, or the first result of a single multi-value expression. */
function declValue(d: LocalDecl): Node | null {
  if (d.value) return d.value;
  const n = d.node;
  if (n.type === "range_clause") return n.childForFieldName("right");
  if (n.type !== "short_var_declaration" && n.type !== "var_spec") return null;
  const names =
    n.type === "short_var_declaration"
      ? (n.childForFieldName("left")?.namedChildren ?? [])
      : n.childrenForFieldName("name");
  const values = n.childForFieldName(n.type === "short_var_declaration" ? "right" : "value")?.namedChildren ?? [];
  // `v, ok := c.Get(k)`, `u, ok := x.(T)`: the first name holds the value, the others a flag or an error.
  return values.length === 1 && names[0]?.text === d.name ? (values[0] ?? null) : null;
}

/** For `v, ok = c.Get(k)`: the single right-hand expression when the target is the first of several. */
function firstOfMany(target: Node): Node | null {
  const list = target.parent;
  const stmt = list?.parent;
  if (list?.type !== "expression_list" || stmt?.type !== "assignment_statement") return null;
  if (stmt.childForFieldName("operator")?.type !== "=") return null;
  const right = stmt.childForFieldName("right")?.namedChildren ?? [];
  return right.length === 1 && list.namedChild(0)?.id === target.id && list.namedChildCount > 1
    ? (right[0] ?? null)
    : null;
}

export const requestDataInGlobal: Rule = {
  id: "request-data-in-global",
  severity: "warning",
  related: [
    "Fiber docs: values returned by fiber.Ctx are only valid within the handler and must be copied before they are stored",
    "gin: the engine recycles *gin.Context values through a sync.Pool (Engine.ServeHTTP), so nothing read through one may be kept past the handler",
  ],
  docs: {
    title: "Request-scoped data stored in a package-level map or variable",
    flags:
      "An assignment that stores a value belonging to one request into package-level state: an entry of a package-level map (`cache[k] = v`), a package-level variable (`lastUser = v`) or a field of one (`stats.last = v`). " +
      "Request data is what a handler reads from its request: framework context accessors (`c.Param`, `c.Query`, `c.PostForm`, `c.FormValue`, `c.Get`, `c.MustGet`, `c.GetHeader`, `c.Cookie`, `c.Locals`, ... on a `*gin.Context`, `echo.Context`, `*gee.Context` or `*fiber.Ctx` parameter) and its fields `c.Request`, `c.Keys` and `c.Params`, `ctx.Value(k)` on a `context.Context` parameter or a request's context (`r.Context().Value(k)`), and a `*http.Request` parameter with anything reached from it (`r`, `r.URL`, `r.Header`, `r.Form`, `r.PostForm`, `r.Body`, `r.FormValue(...)`, `r.Header.Get(...)`, `r.URL.Query().Get(...)`). " +
      'The rule follows simple local data flow inside the function: short variable declarations, `var` declarations and plain assignments to locals (`user := c.Param("id")`, `u, ok := ctx.Value(k).(*User)`), type assertions, `&x`, indexing and slicing, fields and method calls on request data (`q := r.URL.Query(); q.Get("a")`), `append(list, v)`, and struct literals holding request data (`&Session{User: c.Param("user")}`). Only code that has such a parameter in scope is examined (a handler, or a function literal inside one). ' +
      'It does not follow values through other functions or conversions (`strconv.Atoi(c.Param("n"))`, `strings.Clone(s)`, `string(b)`, concatenation): those produce new values, which is the way to keep request data.',
    why: "A value read from a request belongs to that request. Once it sits in package-level state, the next request, often another user's, reads it: a `lastUser` variable or a map of pointers to per-request structs mixes users' data and keeps whole requests (bodies, headers, contexts) alive. Frameworks make it worse: gin pools and reuses `*gin.Context` values, and fiber returns strings that point into a buffer it reuses for the next request, so a stored value changes after the handler returns. The data race on the map itself is reported separately by global-map-race.",
    bad: `var sessions = map[string]*Session{}

func login(c *gin.Context) {
\tuser := c.PostForm("user")
\tsessions[c.Param("id")] = &Session{User: user}
}`,
    good: `func login(c *gin.Context) {
\tuser := c.PostForm("user")
\t// Keep per-request data on the request, or persist a copy in a store
\t// that owns it (a database, a mutex-guarded cache of copied values).
\tc.Set("session", &Session{User: user})
}`,
    fix: "Keep request data on the request: pass it as an argument, put it in the request's context or in `c.Set`, or store a copy (`strings.Clone(s)`, a struct built from copied fields) in a store designed to outlive requests, guarded by a lock.",
    silent: [
      "request data used only as the key of a package-level map while the value is not request data (`hits[r.URL.Path]++`, `seen[id] = true`)",
      "request data stored in locals, parameters, per-request structs, `c.Set(k, v)` or the request's context",
      "stores made while a lock is held (`mu.Lock()` earlier in the block or function, a `...Locked` helper), in `init()` or in `once.Do`: a mutex-guarded store is a deliberate shared cache, and the syntax cannot tell a session store from a leak",
      "results of methods that carry no request data (`r.ParseForm()`, `q.Has(k)`, `h.Len()`), and framework context fields other than the request's (`c.Writer.Status()`)",
      'values converted or copied by a call (`strconv.Atoi(c.Param("id"))`, `strings.Clone(name)`, `string(b)`) or built by concatenation',
      "a local or parameter that shadows the package-level name",
      "`context.Context` values and framework contexts themselves: context-stored reports those",
      "`sync.Map` and other types written through methods (`m.Store(k, v)`) rather than assignments",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const stores = globalStores(ctx);
    if (stores.length === 0) return out;
    const flow = new Flow(ctx);
    for (const s of stores) {
      // A store made under a lock (or in init, once.Do) is a deliberate shared
      // cache; the syntax cannot tell a session store from a leak there.
      if (synchronization(s.target)) continue;
      const source = flow.requestSource(s.value);
      if (!source) continue;
      const related: RelatedLocation[] = [];
      if (source.startIndex < s.value.startIndex || source.endIndex > s.value.endIndex) {
        related.push({
          file: ctx.file.file,
          range: rangeOf(source),
          message: `${exprName(s.value)} comes from ${exprName(source)} here`,
        });
      }
      const decl = ctx.pkg.vars.get(s.root);
      if (decl) related.push({ file: decl.file, range: decl.range, message: `${s.root} is declared here` });
      out.push({
        range: rangeOf(s.target),
        message: `request data ${exprName(s.value)} is stored in ${describeStore(s)}; it leaks into other requests`,
        related,
      });
    }
    return out;
  },
};
