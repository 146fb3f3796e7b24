// Flags a handler's framework context (*gin.Context, echo.Context, *gee.Context, *fiber.Ctx) used by a goroutine it starts.
// The framework recycles the context once the handler returns, so the goroutine reads another request's data or writes to a finished response.
import type { Node } from "../parser";
import { frameworkOf, type Framework } from "../analysis/frameworks";
import {
  containsNode,
  declarationOf,
  enclosingFunction,
  identifiersNamed,
  isPureWrite,
  rangeOf,
} from "../analysis/syntax";
import type { RawFinding } from "../analysis/types";
import { ginCopyFix } from "../fixes/gin-copy";
import type { Rule, RuleContext } from "../analysis/rule";

/** What each framework does with its context, and what the goroutine should use instead. */
const ADVICE: Record<Framework, { why: string; instead: string }> = {
  gin: { why: "gin reuses the context", instead: "take c.Copy() before the go statement" },
  echo: { why: "echo reuses the context", instead: "read the values the goroutine needs before the go statement" },
  fiber: {
    why: "fiber reuses the context and the values it returns",
    instead: "copy the values the goroutine needs before the go statement",
  },
  gee: {
    why: "the context belongs to one request",
    instead: "read the values the goroutine needs before the go statement",
  },
};

/**
 * The framework context `id` refers to: a parameter of a function that
 * encloses the `go` statement, with a framework context type. Names declared
 * anywhere in between (a literal's parameter, a loop variable) shadow it.
 */
function frameworkParam(id: Node, go: Node, ctx: RuleContext): { fw: Framework; fn: Node } | null {
  const decl = declarationOf(id, id.text);
  if (decl?.node.type !== "parameter_declaration" || !decl.typeText) return null;
  const fn = decl.node.parent?.parent;
  if (
    !fn ||
    fn.childForFieldName("parameters")?.id !== decl.node.parent?.id ||
    !containsNode(fn, go) ||
    containsNode(go, fn)
  )
    return null;
  const fw = frameworkOf(decl.typeText, ctx.file.summary.imports);
  return fw ? { fw, fn } : null;
}

/** The name is reassigned to its own copy (`c = c.Copy()`) between the function's start and the `go` statement. */
function reassignedToCopy(name: string, fn: Node, go: Node): boolean {
  const before = fn.text.slice(0, go.startIndex - fn.startIndex);
  return new RegExp(`(?<![\\w.])${name}\\s*=\\s*${name}\\.Copy\\(\\)`).test(before);
}

const WAIT = /\.Wait\(\)|(^|[=;]|:=)[ \t]*<-/m;

/**
 * The spawning function waits after the `go` statement (`wg.Wait()`,
 * `g.Wait()`, a bare `<-done` receive): the handler does not return, and its
 * context is not recycled, while the goroutine runs.
 */
function waitsAfter(go: Node): boolean {
  const fn = enclosingFunction(go);
  const body = fn?.childForFieldName("body");
  if (!body) return false;
  const after = body.text.slice(go.endIndex - body.startIndex);
  return WAIT.test(after.replace(/^\s*case\b.*$/gm, ""));
}

export const ginContextInGoroutine: Rule = {
  id: "gin-context-in-goroutine",
  severity: "error",
  related: [
    'gin documentation: Goroutines inside a middleware ("you have to use a read-only copy")',
    "fiber documentation: Zero Allocation (values from the context are only valid inside the handler)",
    "echo documentation: the Context is pooled and must not be accessed after the handler returns",
  ],
  docs: {
    title: "Framework request context used by a goroutine the handler starts",
    flags:
      "A handler's request context used by a goroutine it starts: a parameter of type `*gin.Context`, `echo.Context`, `*gee.Context` or `*fiber.Ctx` (the framework's import must be visible) that appears inside the function literal of a `go` statement (`go func() { c.JSON(...) }()`), or that is passed as is to a function started with `go` (`go process(c)`, `go func(c *gin.Context) {...}(c)`, `go c.Next()`). " +
      "The finding points at the first use of the context inside the goroutine, or at the argument; the related location is the `go` keyword. " +
      "A `c.Copy()` taken inside the goroutine is flagged too: the copy must be made before the `go` statement, while the handler still owns the context.",
    why:
      "Frameworks recycle their request contexts: gin and echo take them from a pool and reset them for the next request as soon as the handler returns, and fiber also reuses the strings and byte slices its context hands out. " +
      "A goroutine that still holds the context then reads another request's parameters, headers and keys, or writes to a response that is already sent; the race detector reports it, and in production it shows up as data leaking between users. " +
      "gin documents that goroutines must use a read-only copy made with `c.Copy()`. echo and fiber contexts have no copy: the goroutine must receive the values it needs, extracted before the `go` statement.",
    bad: `func upload(c *gin.Context) {
\tgo func() {
\t\tlog.Printf("processed %s", c.Param("id"))
\t}()
\tc.Status(http.StatusAccepted)
}`,
    good: `func upload(c *gin.Context) {
\tcCp := c.Copy()
\tgo func() {
\t\tlog.Printf("processed %s", cCp.Param("id"))
\t}()
\tc.Status(http.StatusAccepted)
}`,
    fix:
      "For gin, take `cCp := c.Copy()` before the `go` statement and use `cCp` inside the goroutine (or pass it: `go process(c.Copy())`). " +
      'For echo, fiber and gee, read what the goroutine needs before the `go` statement (`id := c.Param("id")`; with fiber, copy strings with `utils.CopyString`) and pass those values instead of the context; use `context.WithoutCancel(c.Request().Context())` when the goroutine needs a context.\n\n' +
      "The quick fix **Use c.Copy() in the goroutine** (gin only: the other frameworks have no copy) inserts `cCopy := c.Copy()` before the `go` statement and uses `cCopy` everywhere in the goroutine, or passes `c.Copy()` when the context is a single argument (`go process(c.Copy())`). " +
      "It is safe when the goroutine only reads the context (`Param`, `Query`, `GetHeader`, `Get`, `c.Request`, ...); it is offered but not safe when the goroutine writes the response, calls `Set` or `IsAborted`, or hands the context on, since gin's copy is read-only and reports itself aborted. It is not offered for `go c.Next()` (a copy has no handlers left) or when the goroutine assigns `c`.",
    silent: [
      "goroutines that use only a copy taken before the `go` statement (`cp := c.Copy(); go func() { use(cp) }()`, `go process(c.Copy())`), or a context reassigned to its copy (`c = c.Copy()`)",
      'goroutines that use only values extracted before the `go` statement (`id := c.Param("id"); go func() { use(id) }()`, `go process(c.Param("id"))`)',
      "names that shadow the context inside the goroutine: a literal's own parameter (`go func(c *gin.Context) {...}(c.Copy())`), a loop variable, a local declared in between",
      "handlers that wait for the goroutine before returning (`wg.Wait()`, `g.Wait()` of an errgroup, a bare `<-done` receive after the `go` statement)",
      "a `c` whose type is not a framework context, or whose framework is not imported in the file (`*gin.Context` where `gin` is some other package)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const reported = new Set<number>();
    for (const go of ctx.file.caps.goStatements) {
      const call = go.namedChild(0);
      if (call?.type !== "call_expression") continue;
      const fn = call.childForFieldName("function");
      if (!fn) continue;
      // Names of framework-context parameters of the enclosing functions; without any, there is nothing to find.
      const names = new Set<string>();
      for (let f = enclosingFunction(go); f; f = enclosingFunction(f)) {
        for (const [name, type] of paramTypes(f)) if (frameworkOf(type, ctx.file.summary.imports)) names.add(name);
      }
      if (names.size === 0) continue;
      // Bare identifiers evaluated by the go statement and handed to the goroutine: arguments and a method receiver.
      const handed: Node[] = [];
      for (const arg of call.childForFieldName("arguments")?.namedChildren ?? [])
        if (arg?.type === "identifier" && names.has(arg.text)) handed.push(arg);
      const recv = fn.type === "selector_expression" ? fn.childForFieldName("operand") : null;
      if (recv?.type === "identifier" && names.has(recv.text)) handed.push(recv);
      let hit: { use: Node; fw: Framework; passed: boolean } | null = null;
      for (const id of handed) {
        const p = frameworkParam(id, go, ctx);
        if (p && !reassignedToCopy(id.text, p.fn, go)) {
          hit = { use: id, fw: p.fw, passed: true };
          break;
        }
      }
      if (!hit && fn.type === "func_literal") {
        const body = fn.childForFieldName("body");
        let first: Node | null = null;
        for (const name of body ? names : []) {
          for (const id of identifiersNamed(body!, name)) {
            if (first && id.startIndex >= first.startIndex) break;
            if (isPureWrite(id)) continue;
            const p = frameworkParam(id, go, ctx);
            if (!p || reassignedToCopy(name, p.fn, go)) continue;
            first = id;
            hit = { use: id, fw: p.fw, passed: false };
            break;
          }
        }
      }
      if (!hit || reported.has(hit.use.id) || waitsAfter(go)) continue;
      reported.add(hit.use.id);
      const name = hit.use.text;
      const advice = ADVICE[hit.fw];
      const instead = hit.fw === "gin" ? advice.instead.replace("c.Copy()", `${name}.Copy()`) : advice.instead;
      const message = hit.passed
        ? `${name} is passed to a goroutine that may outlive the handler; ${advice.why}, ${hit.fw === "gin" ? `pass ${name}.Copy() instead` : instead}`
        : `${name} is used in a goroutine after the handler may have returned; ${advice.why}, ${instead}`;
      // Only gin has a copy to hand the goroutine; echo, fiber and gee contexts have none.
      const fix = hit.fw === "gin" ? ginCopyFix(ctx, go, hit.use) : undefined;
      out.push({
        range: rangeOf(hit.use),
        message,
        related: [{ file: ctx.file.file, range: rangeOf(go.child(0)!), message: "the goroutine starts here" }],
        ...(fix ? { fixes: [fix] } : {}),
      });
    }
    return out;
  },
};

/** Parameter names and type texts of a function node (receiver and results excluded: a handler's context is a parameter). */
function paramTypes(fn: Node): [string, string][] {
  const out: [string, string][] = [];
  for (const decl of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (decl?.type !== "parameter_declaration") continue;
    const type = decl.childForFieldName("type")?.text ?? "";
    for (const n of decl.childrenForFieldName("name")) if (n) out.push([n.text, type]);
  }
  return out;
}
