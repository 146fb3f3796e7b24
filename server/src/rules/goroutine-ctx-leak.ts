// Flags goroutines started where a context or request is in scope whose loop never ends and never watches ctx.Done().
// Such a goroutine outlives the request or call that started it: it leaks memory, keeps tickers and connections alive, and piles up with traffic.
import type { Node } from "../parser";
import {
  CANCEL_DERIVERS,
  contextFunction,
  frameworkOf,
  isContextType,
  isHttpRequestType,
  isRequestContext,
} from "../analysis/frameworks";
import {
  containsNode,
  declarationOf,
  enclosingFunction,
  identifiersNamed,
  type LocalDecl,
  rangeOf,
  unparen,
} from "../analysis/syntax";
import type { RawFinding, RelatedLocation } from "../analysis/types";
import { watchDoneFix } from "../fixes/watch-done";
import type { Rule, RuleContext } from "../analysis/rule";

/** The lifetime a goroutine ignores: a context or request in scope where it starts. */
interface Lifetime {
  /** The name in scope (`ctx`, `r`, `c`). */
  name: string;
  /** What the goroutine should watch, as code: `ctx.Done()`, `r.Context().Done()`. */
  done: string;
  /** The lifetime is a request's (a request or framework context), not a plain context's. */
  request: boolean;
  node: Node;
}

/** The lifetime of a parameter from its type text, or null. */
function paramLifetime(name: string, type: string, node: Node, imports: Record<string, string>): Lifetime | null {
  if (name === "_") return null;
  if (isContextType(type, imports)) return { name, done: `${name}.Done()`, request: false, node };
  if (isHttpRequestType(type, imports)) return { name, done: `${name}.Context().Done()`, request: true, node };
  switch (frameworkOf(type, imports)) {
    case "gin":
    case "gee":
      return { name, done: `${name}.Request.Context().Done()`, request: true, node };
    case "echo":
      return { name, done: `${name}.Request().Context().Done()`, request: true, node };
    case "fiber":
      return { name, done: `${name}.UserContext().Done()`, request: true, node };
    default:
      return null;
  }
}

/**
 * The context or request in scope at the `go` statement: a parameter of an
 * enclosing function (a context.Context, *http.Request or framework context),
 * or a local declared before it from `context.WithCancel/WithTimeout/...` or
 * `r.Context()`. The innermost function wins, and within it a local (the
 * latest one: a derived ctx over the parent it came from) over a parameter.
 */
function lifetimeAt(go: Node, ctx: RuleContext, locals: Map<number, LocalContext[]>): Lifetime | null {
  const imports = ctx.file.summary.imports;
  const text = ctx.file.text;
  const goStart = go.startIndex;
  for (let fn = enclosingFunction(go); fn; fn = enclosingFunction(fn)) {
    let best: Lifetime | null = null;
    for (const decl of fn.childForFieldName("parameters")?.namedChildren ?? []) {
      if (decl?.type !== "parameter_declaration") continue;
      const type = decl.childForFieldName("type")?.text ?? "";
      for (const n of decl.childrenForFieldName("name"))
        best = (n && paramLifetime(n.text, type, decl, imports)) || best;
    }
    // Locals are only looked up when the text before the go statement derives a context at all.
    const fnStart = fn.startIndex;
    if (LOCAL_CONTEXT.test(text.slice(fnStart, goStart))) {
      let list = locals.get(fn.id);
      if (!list) {
        list = localContexts(fn, fnStart, ctx);
        locals.set(fn.id, list);
      }
      // The latest one declared before the go statement whose scope holds it.
      let latest: LocalContext | null = null;
      for (const l of list) {
        if (l.start < goStart && (!latest || l.start >= latest.start) && inScope(l.decl, go)) latest = l;
      }
      if (latest)
        best = { name: latest.name, done: `${latest.name}.Done()`, request: latest.request, node: latest.node };
    }
    if (best) return best;
  }
  return null;
}

const LOCAL_CONTEXT = /\.(With(Cancel|Timeout|Deadline)\w*|Context)\(/;

/** A local that holds a context derived in its function: `ctx, cancel := context.WithTimeout(...)`, `ctx := r.Context()`. */
interface LocalContext {
  /** The short variable declaration, and where it starts. */
  decl: Node;
  start: number;
  name: string;
  /** The declared identifier. */
  node: Node;
  /** It holds a request's context (`r.Context()`), not one from package context. */
  request: boolean;
}

/** Where a derived context can come from: the selector of a cancel deriver or of a `Context()` method. */
const DERIVER_NAME = new RegExp(`\\b(?:${[...CANCEL_DERIVERS, "Context"].join("|")})\\b`, "g");

/**
 * The short variable declarations in the body of `fn` (not in nested literals:
 * those localDeclarations gathers) that hold a context derived by package
 * context's cancel derivers or from a request. Each declares with a call
 * selecting one of those names, so only the occurrences of the names in the
 * text are visited, not the whole body.
 */
function localContexts(fn: Node, fnStart: number, ctx: RuleContext): LocalContext[] {
  const out: LocalContext[] = [];
  const body = fn.childForFieldName("body");
  if (!body) return out;
  const seen = new Set<number>();
  const text = ctx.file.text.slice(fnStart, fn.endIndex);
  const root = fn.tree.rootNode;
  DERIVER_NAME.lastIndex = 0;
  for (let m = DERIVER_NAME.exec(text); m; m = DERIVER_NAME.exec(text)) {
    const start = fnStart + m.index;
    const field = root.descendantForIndex(start, start + m[0].length);
    const decl = field ? declaringCall(field, start, start + m[0].length) : null;
    if (!decl || seen.has(decl.id)) continue;
    seen.add(decl.id);
    if (!inBodyOf(decl, body, fn)) continue;
    const left = decl.childForFieldName("left")?.namedChildren ?? [];
    const right = decl.childForFieldName("right")?.namedChildren ?? [];
    const name = left[0]?.text;
    // The declared name the first identifier on the left stands for (`ctx` of `ctx, cancel := ...`).
    if (!name || name === "_" || !left.some((id) => id?.type === "identifier" && id.text === name)) continue;
    if (right.length !== 1 || !right[0]) continue;
    const f = contextFunction(right[0], ctx);
    if ((f && CANCEL_DERIVERS.has(f)) || (left.length === 1 && isRequestContext(right[0], ctx)))
      out.push({ decl, start: decl.startIndex, name, node: left[0]!, request: f === null });
  }
  return out;
}

/** Whether `node` sits in `body` (of `fn`) outside nested function literals. */
function inBodyOf(node: Node, body: Node, fn: Node): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (n.id === body.id) return true;
    if (n.id === fn.id || n.type === "func_literal") return false;
  }
  return false;
}

/**
 * For the field identifier of a call `x.Name(...)` (spanning start..end) that is,
 * maybe in parentheses, the right-hand side of a short variable declaration:
 * that declaration.
 */
function declaringCall(field: Node, start: number, end: number): Node | null {
  if (field.type !== "field_identifier" || field.startIndex !== start || field.endIndex !== end) return null;
  const sel = field.parent;
  const call = sel?.type === "selector_expression" ? sel.parent : null;
  if (call?.type !== "call_expression" || call.childForFieldName("function")?.id !== sel!.id) return null;
  let value: Node = call;
  while (value.parent?.type === "parenthesized_expression") value = value.parent;
  const list = value.parent;
  const decl = list?.type === "expression_list" ? list.parent : null;
  if (decl?.type !== "short_var_declaration" || decl.childForFieldName("right")?.id !== list!.id) return null;
  return decl;
}

/** Whether a short variable declaration's scope (its enclosing block or statement) contains `node`. */
function inScope(decl: Node, node: Node): boolean {
  for (let s = decl.parent; s; s = s.parent) {
    if (s.type === "block" || s.type.endsWith("_statement") || s.type.endsWith("_case") || s.type === "func_literal")
      return containsNode(s, node);
  }
  return false;
}

/** Top-level functions and methods of the file by name (cached per tree): the bodies `go f()` and `go x.m()` may run. */
const declsCache = new WeakMap<object, Map<string, Node[]>>();
function fileFunctions(root: Node): Map<string, Node[]> {
  let m = declsCache.get(root.tree);
  if (!m) {
    m = new Map();
    for (const d of root.namedChildren) {
      if (d?.type !== "function_declaration" && d?.type !== "method_declaration") continue;
      const name = d.childForFieldName("name")?.text;
      if (!name) continue;
      const key = d.type === "method_declaration" ? `.${name}` : name;
      m.set(key, [...(m.get(key) ?? []), d]);
    }
    declsCache.set(root.tree, m);
  }
  return m;
}

/** The body the goroutine runs: its function literal, a local literal it names, or a function of the same file. */
function goroutineBody(go: Node, ctx: RuleContext): Node | null {
  const call = go.namedChild(0);
  const fn = call?.type === "call_expression" ? call.childForFieldName("function") : null;
  if (!fn) return null;
  if (fn.type === "func_literal") return fn.childForFieldName("body");
  const funcs = fileFunctions(ctx.file.tree.rootNode);
  if (fn.type === "identifier") {
    const local = declarationOf(fn, fn.text);
    if (local) return local.value?.type === "func_literal" ? local.value.childForFieldName("body") : null;
    const decls = funcs.get(fn.text);
    return decls?.length === 1 ? decls[0]!.childForFieldName("body") : null;
  }
  if (fn.type === "selector_expression") {
    // A method of the file with that name, when it is the only one (receiver types are not resolved).
    const decls = funcs.get(`.${fn.childForFieldName("field")?.text}`);
    if (decls?.length !== 1 || funcs.has(fn.childForFieldName("field")?.text ?? "")) return null;
    return decls[0]!.childForFieldName("body");
  }
  return null;
}

const EXIT_CALL =
  /^(panic|(os|syscall)\.Exit|runtime\.Goexit|log\.(Fatal|Fatalf|Fatalln|Panic|Panicf|Panicln)|\w+\.(Fatal|Fatalf|FailNow|Skip|Skipf|SkipNow))$/;
const BREAKABLE = new Set([
  "for_statement",
  "expression_switch_statement",
  "type_switch_statement",
  "select_statement",
]);

/**
 * Whether the loop can end from inside: a `return`, a `break` that leaves it,
 * a `goto`, or a call that ends the goroutine (`panic`, `runtime.Goexit`,
 * `log.Fatal`, `t.Fatal`). Closures inside the loop do not count.
 */
function loopExits(loop: Node): boolean {
  const label = loop.parent?.type === "labeled_statement" ? loop.parent.childForFieldName("label")?.text : undefined;
  const body = loop.childForFieldName("body");
  if (!body) return true;
  const stack: [Node, number][] = [[body, 0]];
  while (stack.length) {
    const [n, depth] = stack.pop()!;
    switch (n.type) {
      case "func_literal":
        continue;
      case "return_statement":
      case "goto_statement":
        return true;
      case "break_statement": {
        const target = n.namedChild(0)?.text;
        if (target ? target === label : depth === 0) return true;
        continue;
      }
      case "call_expression":
        if (EXIT_CALL.test(n.childForFieldName("function")?.text ?? "")) return true;
        break;
    }
    const inner = BREAKABLE.has(n.type) ? depth + 1 : depth;
    for (const c of n.namedChildren) if (c) stack.push([c, inner]);
  }
  return false;
}

const WATCH = /<-\s*[\w.()[\]]*\.Done\(\)|\b\w*(ctx|Ctx|Context\(\))\.Err\(\)/;

/**
 * Whether the loop watches a context: a receive from `X.Done()`, a
 * `ctx.Err()` check, or a receive from a local holding `ctx.Done()` (set in
 * the goroutine before the loop, or in the spawning function before `go`).
 */
function watchesContext(loop: Node, body: Node, go: Node): boolean {
  const text = loop.text;
  if (WATCH.test(text)) return true;
  const spawner = enclosingFunction(go);
  let before = body.text.slice(0, loop.startIndex - body.startIndex);
  if (spawner) before += "\n" + spawner.text.slice(0, go.startIndex - spawner.startIndex);
  for (const m of before.matchAll(/(\w+)\s*:?=\s*[\w.()[\]]*\.Done\(\)/g)) {
    if (new RegExp(`<-\\s*${m[1]}\\b`).test(text)) return true;
  }
  return false;
}

/** How a local channel is used in the function that makes it. */
interface ChannelUse {
  closed: boolean;
  /** Used in a way the rule cannot follow: passed, stored, returned, reassigned. */
  escapes: boolean;
  /** Sent on outside the goroutine. */
  sentOutside: boolean;
  decl: LocalDecl;
}

/**
 * For a channel named at `use` inside the goroutine, its local declaration
 * from `make(chan ...)` in the spawning code (outside the goroutine), and how
 * that code uses it; null when it is not such a channel.
 */
function localChannel(use: Node, go: Node): ChannelUse | null {
  if (use.type !== "identifier") return null;
  const decl = declarationOf(use, use.text);
  if (!decl || containsNode(go, decl.node) || !/^make\(\s*(chan|<-\s*chan)\b/.test(decl.value?.text ?? "")) return null;
  const fn = enclosingFunction(decl.node);
  if (!fn) return null;
  const out: ChannelUse = { closed: false, escapes: false, sentOutside: false, decl };
  for (const id of identifiersNamed(fn, use.text)) {
    // Other variables of that name, and the declaring name itself, resolve elsewhere.
    if (declarationOf(id, id.text)?.node.id !== decl.node.id) continue;
    const p = id.parent!;
    if (p.type === "send_statement" && p.childForFieldName("channel")?.id === id.id) {
      if (!containsNode(go, id)) out.sentOutside = true;
    } else if (p.type === "unary_expression" && p.childForFieldName("operator")?.text === "<-") {
      // A receive.
    } else if (p.type === "range_clause" && p.childForFieldName("right")?.id === id.id) {
      // A range over it.
    } else if (
      p.type === "argument_list" &&
      /^(close|len|cap)$/.test(p.parent?.childForFieldName("function")?.text ?? "")
    ) {
      if (p.parent?.childForFieldName("function")?.text === "close") out.closed = true;
    } else out.escapes = true;
  }
  return out;
}

/** A statement of the goroutine's body that never ends on its own, with how to describe it. */
interface Leak {
  node: Node;
  what: string;
}

/** Whether a `for` statement has no condition: `for {}` or `for ;; {}`. */
function isEndless(loop: Node): boolean {
  for (const c of loop.namedChildren) {
    if (!c || c.type === "comment" || c.id === loop.childForFieldName("body")?.id) continue;
    if (c.type === "for_clause") return !c.childForFieldName("condition");
    return false;
  }
  return true;
}

/** The range target of a loop that ranges over a ticker: `ticker.C`, `time.Tick(d)`. */
function tickerOf(right: Node, ctx: RuleContext): boolean {
  if (right.type === "selector_expression") return right.childForFieldName("field")?.text === "C";
  if (right.type === "call_expression") {
    const fn = right.childForFieldName("function");
    const pkg = fn?.type === "selector_expression" ? fn.childForFieldName("operand") : null;
    return (
      pkg?.type === "identifier" &&
      ctx.file.summary.imports[pkg.text] === "time" &&
      fn!.childForFieldName("field")?.text === "Tick"
    );
  }
  return false;
}

function leakOf(stmt: Node, body: Node, go: Node, ctx: RuleContext, life: Lifetime): Leak | null {
  if (stmt.type === "for_statement") {
    const clause = stmt.namedChildren.find((c) => c?.type === "range_clause");
    let what: string;
    if (clause) {
      const right = clause.childForFieldName("right");
      if (!right) return null;
      const r = unparen(right);
      if (tickerOf(r, ctx)) what = `ranges over ${r.text}, which never closes,`;
      else {
        const ch = localChannel(r, go);
        if (!ch || ch.closed || ch.escapes) return null;
        what = `ranges over ${r.text}, which nothing closes,`;
      }
    } else if (isEndless(stmt)) what = "loops forever";
    else return null;
    if (watchesContext(stmt, body, go) || loopExits(stmt)) return null;
    return { node: stmt, what: `${what} without watching ${life.done}` };
  }
  if (stmt.type === "select_statement") {
    // A single select blocks for good only when no case can ever proceed:
    // each receives from a channel the spawning code makes and never sends on, closes or hands out.
    const cases = stmt.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
    if (cases.length === 0) return null;
    for (const c of cases) {
      if (c.type !== "communication_case") return null;
      const comm = c.childForFieldName("communication");
      if (comm?.type !== "receive_statement") return null;
      const recv = comm.childForFieldName("right");
      const chan = recv?.type === "unary_expression" ? recv.childForFieldName("operand") : null;
      const ch = chan ? localChannel(unparen(chan), go) : null;
      if (!ch || ch.closed || ch.escapes || ch.sentOutside) return null;
    }
    return { node: stmt, what: `blocks in a select that nothing can wake, without a case on ${life.done}` };
  }
  return null;
}

export const goroutineCtxLeak: Rule = {
  id: "goroutine-ctx-leak",
  severity: "warning",
  related: [
    "go vet has no equivalent; goleak (go.uber.org/goleak) finds leaked goroutines at test time",
    "Go blog: Go Concurrency Patterns: Context",
    "Go blog: Go Concurrency Patterns: Pipelines and cancellation",
  ],
  docs: {
    title: "Goroutine that never ends although a context or request is in scope",
    flags:
      "A goroutine started where a `context.Context`, an `*http.Request` or a framework context (`*gin.Context`, `echo.Context`, `*gee.Context`, `*fiber.Ctx`) is in scope (a parameter of an enclosing function, or a local from `context.WithCancel/WithTimeout/WithDeadline` or `r.Context()` declared before the `go` statement), whose body, at its top level, runs one of these without ever watching that context:\n\n" +
      "- an endless loop: `for { ... }` (also a `select` inside it, with or without `default`);\n" +
      "- a `for range` over a ticker: `ticker.C`, `time.Tick(d)`;\n" +
      "- a `for range` over a channel that the spawning function makes with `make(chan ...)` and never closes (and never hands to other code that could close it);\n" +
      "- a lone `select` whose every case receives from such a channel that the spawning function also never sends on.\n\n" +
      "The goroutine's body is the `go` statement's function literal, a local function literal it names (`go worker()`), or a function or method of the same file (`go pump(ctx)`, `go s.loop()` when only one method of the file has that name). " +
      "Watching the context means a receive from any `X.Done()` (`<-ctx.Done()`, `<-r.Context().Done()`, `<-c.Request.Context().Done()`), a receive from a local holding `ctx.Done()`, or a `ctx.Err()` check, anywhere in the loop. The finding is on the `go` keyword.",
    why:
      "A goroutine that loops forever keeps everything it references alive: buffers, connections, timers, the request itself. Started once per request or per call, such goroutines pile up until the process runs out of memory or file descriptors, and a ticker loop keeps doing work for a client that left long ago. " +
      "The context in scope is the signal that says when the work is no longer wanted; a loop that never selects on `ctx.Done()` cannot hear it.",
    bad: `func stream(w http.ResponseWriter, r *http.Request) {
\tticker := time.NewTicker(time.Second)
\tgo func() {
\t\tfor range ticker.C {
\t\t\tpublish(stats())
\t\t}
\t}()
}`,
    good: `func stream(w http.ResponseWriter, r *http.Request) {
\tctx := r.Context()
\tticker := time.NewTicker(time.Second)
\tgo func() {
\t\tdefer ticker.Stop()
\t\tfor {
\t\t\tselect {
\t\t\tcase <-ctx.Done():
\t\t\t\treturn
\t\t\tcase <-ticker.C:
\t\t\t\tpublish(stats())
\t\t\t}
\t\t}
\t}()
}`,
    fix:
      "Turn the loop into a `select` with a `case <-ctx.Done(): return` (use `r.Context()` for a request, `c.Request.Context()` in gin), check `if ctx.Err() != nil { return }` in each iteration, or close the channel the goroutine ranges over once the producer is done. " +
      "When the goroutine must outlive the request on purpose, give it its own lifetime (a server-wide context or a stop channel) and a way out of the loop.\n\n" +
      "The quick fix **Watch ctx.Done()** (safe) does the first: a `select` gets `case <-ctx.Done(): return` as its first case; `for range ticker.C { ... }` becomes `for { select { case <-ctx.Done(): return; case <-ticker.C: ... } }` (a `time.Tick(d)` channel is made once, before the loop); `for v := range ch { ... }` becomes a select on `v, ok := <-ch` that returns when the channel closes (offered only when nothing follows the loop); any other endless loop checks `ctx.Done()` without blocking at the top of each iteration. " +
      "For a request it watches `r.Context().Done()`; for a framework context it takes the request's context before the `go` statement (`ctx := c.Request.Context()`), since the goroutine must not touch the framework's context. It is not offered when the loop's body would move into a select and holds a `break` for the loop, or when the goroutine's body is a function that cannot see the context.",
    silent: [
      "loops with a `case <-ctx.Done()` (or any receive from `X.Done()`), or a `ctx.Err()` check anywhere in the loop",
      "bounded loops: `for i := 0; i < n; i++`, `for cond { }`, `for range` over a slice, map, string or number",
      "loops that can end from inside: a `return`, a `break` that leaves the loop, a `goto`, `panic`, `runtime.Goexit`, `log.Fatal` (for example `v, ok := <-ch; if !ok { return }`)",
      "`for range ch` over a channel that the spawning function closes (`close(ch)`), or hands to other code (passes, returns, stores) that may close it, or that the rule cannot trace (a parameter, a field, a call's result)",
      "a lone `select` with a `default` case, a send case, or a case on a channel the spawning code sends on or closes",
      "goroutines started where no context, request or framework context is in scope: there is no request lifetime to outlive",
      "`go` statements that run a function whose body is not in the file (another package, a method name shared by several types)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const locals = new Map<number, LocalContext[]>();
    for (const go of ctx.file.caps.goStatements) {
      // The lifetime first: most goroutines start where no context is in scope, and it is the cheaper question.
      const life = lifetimeAt(go, ctx, locals);
      const body = life ? goroutineBody(go, ctx) : null;
      const list = body?.namedChildren.find((c) => c?.type === "statement_list");
      if (!life || !body || !list) continue;
      for (const stmt of list.namedChildren) {
        if (
          !stmt ||
          (stmt.type !== "for_statement" && stmt.type !== "select_statement" && stmt.type !== "labeled_statement")
        )
          continue;
        const s =
          stmt.type === "labeled_statement"
            ? stmt.namedChildren.find((c) => c?.type === "for_statement" || c?.type === "select_statement")
            : stmt;
        const leak = s ? leakOf(s, body, go, ctx, life) : null;
        if (!leak) continue;
        const outlives = life.request ? "it outlives the request" : `it keeps running after ${life.name} is cancelled`;
        const related: RelatedLocation[] = [
          {
            file: ctx.file.file,
            range: rangeOf(leak.node.child(0)!),
            message: leak.node.type === "select_statement" ? "the select blocks here" : "the loop starts here",
          },
          { file: ctx.file.file, range: rangeOf(life.node), message: `${life.name} is in scope here` },
        ];
        const fix = watchDoneFix(ctx, go, leak.node, { name: life.name, node: life.node });
        out.push({
          range: rangeOf(go.child(0)!),
          message: `goroutine ${leak.what}; ${outlives}`,
          related,
          ...(fix ? { fixes: [fix] } : {}),
        });
        break;
      }
    }
    return out;
  },
};
