// Flags context.WithCancel/WithTimeout/WithDeadline results that go nowhere: a cancel never called, a derived ctx never
// used, or, in middleware, a derived ctx never attached to the request. The deadline or cancellation then governs nothing.
import type { Node } from "../parser";
import {
  CANCEL_DERIVERS,
  contextFunction,
  frameworkOf,
  isHttpRequestType,
  isRootContext,
} from "../analysis/frameworks";
import {
  callArgs,
  containsNode,
  declarationOf,
  enclosingFunction,
  identifiersNamed,
  isPureWrite,
  rangeOf,
  SCOPE_TYPES,
  unparen,
} from "../analysis/syntax";
import type { RawFinding } from "../analysis/types";
import { attachFix, deferCancelFix } from "../fixes/cancel";
import type { Rule, RuleContext } from "../analysis/rule";

function scopeOf(node: Node): Node | null {
  let s = node.parent;
  while (s && !SCOPE_TYPES.has(s.type)) s = s.parent;
  return s;
}

/** Whether a function literal lies between the node and `scope`: code there runs later, when the literal is called. */
function inClosure(node: Node, scope: Node): boolean {
  for (let n = node.parent; n && n.id !== scope.id; n = n.parent) if (n.type === "func_literal") return true;
  return false;
}

/**
 * The reads of the variable `target` receives from the statement `stmt`:
 * identifiers of that name after the statement that refer to the same
 * variable (not one declared later in an inner scope). Any read counts: a
 * call, a defer, an argument, a return, a store, a closure that captures it.
 * For a plain assignment to an existing variable, reads earlier in a loop that
 * repeats the statement, and reads in closures (`defer func() { cancel() }()`)
 * count too; `defer cancel()` before the assignment binds the older value and
 * does not. Returns null when the variable is not a local or parameter (a
 * package variable, a named result that a bare return hands out): storing
 * there is a use in itself.
 */
function readsOf(target: Node, stmt: Node): Node[] | null {
  const name = target.text;
  let scope: Node | null;
  const plain = stmt.type === "assignment_statement";
  if (plain) {
    const decl = declarationOf(target, name);
    if (!decl) return null;
    if (decl.node.type === "parameter_declaration") {
      const fn = decl.node.parent?.parent;
      if (!fn || fn.childForFieldName("result")?.id === decl.node.parent?.id) return null;
      scope = fn;
    } else scope = scopeOf(decl.node);
  } else scope = scopeOf(stmt);
  if (!scope) return null;
  let from = stmt.endIndex;
  for (let n = stmt.parent; n && n.id !== scope.id; n = n.parent) if (n.type === "for_statement") from = n.startIndex;
  const out: Node[] = [];
  for (const id of identifiersNamed(scope, name)) {
    if (containsNode(stmt, id) || isPureWrite(id)) continue;
    if (id.startIndex < from && !(plain && inClosure(id, scope))) continue;
    const d = declarationOf(id, name);
    // A newer declaration of the name hides ours, except in its own right-hand side (`ctx, c2 := context.WithTimeout(ctx, d)`).
    if (d && d.node.startIndex > stmt.startIndex && d.node.id !== stmt.id) {
      const right = d.node.childForFieldName("right") ?? d.node.childForFieldName("value");
      if (!right || !containsNode(right, id)) continue;
    }
    out.push(id);
  }
  return out;
}

/** The targets a WithX call's two results go to, and the statement, when it is assigned as a whole. */
function resultTargets(call: Node): { stmt: Node; ctxTarget: Node; cancelTarget: Node } | null {
  const list = call.parent;
  if (list?.type !== "expression_list" || list.namedChildCount !== 1) return null;
  const stmt = list.parent;
  let targets: Node[] = [];
  if (stmt?.type === "short_var_declaration" || stmt?.type === "assignment_statement") {
    if (stmt.childForFieldName("right")?.id !== list.id) return null;
    if (stmt.type === "assignment_statement" && stmt.childForFieldName("operator")?.text !== "=") return null;
    targets = (stmt.childForFieldName("left")?.namedChildren ?? []).filter((n): n is Node => !!n);
  } else if (stmt?.type === "var_spec") {
    // Package-level `var ctx, cancel = ...` lives for the process; only local ones are checked.
    if (!enclosingFunction(stmt)) return null;
    targets = stmt.childrenForFieldName("name").filter((n): n is Node => !!n);
  } else return null;
  if (targets.length !== 2) return null;
  return { stmt, ctxTarget: targets[0]!, cancelTarget: targets[1]! };
}

/** What a lost cancel costs, by function. */
function cancelCost(f: string): string {
  return f.startsWith("WithCancel")
    ? "the context stays registered with its parent until the parent is cancelled"
    : "its timer lives until the deadline";
}

/** What a context nobody uses governs, by function. */
function appliesTo(f: string): string {
  if (f.startsWith("WithTimeout")) return "the timeout applies to nothing";
  if (f.startsWith("WithDeadline")) return "the deadline applies to nothing";
  return "cancelling it stops nothing";
}

/**
 * The call after `stmt` that hands the request on to the next handler in a
 * middleware, with the words to describe it. A context derived after the
 * hand-over serves the middleware's own epilogue (logging, metrics).
 */
function middlewareNext(fn: Node, stmt: Node, ctx: RuleContext): { label: string } | null {
  const imports = ctx.file.summary.imports;
  for (const call of ctx.file.caps.methodCalls) {
    if (!containsNode(fn, call) || call.startIndex < stmt.endIndex || enclosingFunction(call)?.id !== fn.id) continue;
    const sel = call.childForFieldName("function")!;
    const method = sel.childForFieldName("field")?.text;
    const recv = unparen(sel.childForFieldName("operand")!);
    if (method === "Next" && recv.type === "identifier" && callArgs(call).length === 0) {
      const t = declarationOf(recv, recv.text)?.typeText;
      if (t && frameworkOf(t, imports)) return { label: `handlers after ${recv.text}.Next()` };
    } else if (method === "ServeHTTP" && callArgs(call).length === 2) {
      // next.ServeHTTP(w, r) in a function that has the request.
      for (let f: Node | null = fn; f; f = enclosingFunction(f)) {
        for (const d of f.childForFieldName("parameters")?.namedChildren ?? []) {
          if (
            d?.type === "parameter_declaration" &&
            isHttpRequestType(d.childForFieldName("type")?.text ?? "", imports)
          ) {
            return { label: `handlers called by ${sel.text}` };
          }
        }
      }
    }
  }
  return null;
}

const ATTACH_METHODS = new Set(["WithContext", "Clone", "SetRequest", "SetUserContext", "SetContext"]);

/**
 * The reads of a context and of the contexts derived from it through
 * `ctx2 := context.WithValue(ctx, ...)` or another context function (a few
 * levels deep). `escapes` is set when a derived context goes to a field or a
 * package variable, where the rule cannot follow it.
 */
function flowReads(reads: Node[], ctx: RuleContext, depth = 0): { reads: Node[]; escapes: boolean } {
  const out = { reads: [...reads], escapes: false };
  for (const id of reads) {
    const args = id.parent;
    if (args?.type !== "argument_list" || contextFunction(args.parent!, ctx) === null) continue;
    const t = depth < 4 ? resultTargetsOrSingle(args.parent!) : null;
    if (!t || t.target.type !== "identifier") {
      if (t) out.escapes = true;
      continue;
    }
    if (t.target.text === "_") continue;
    const more = readsOf(t.target, t.stmt);
    if (more === null) {
      out.escapes = true;
      continue;
    }
    const inner = flowReads(more, ctx, depth + 1);
    out.reads.push(...inner.reads);
    out.escapes ||= inner.escapes;
  }
  return out;
}

/**
 * Whether one of the reads attaches the context to the request: an argument
 * of `.WithContext(...)`, `.Clone(...)`, echo's `SetRequest`, fiber's
 * `SetUserContext`, or of any call that also receives the request or the
 * framework context (a helper that may attach it).
 */
function attached(reads: Node[], ctx: RuleContext): boolean {
  const imports = ctx.file.summary.imports;
  for (const id of reads) {
    const args = id.parent;
    if (args?.type !== "argument_list") continue;
    const call = args.parent!;
    const fn = call.childForFieldName("function");
    if (fn?.type === "selector_expression" && ATTACH_METHODS.has(fn.childForFieldName("field")?.text ?? ""))
      return true;
    for (const a of callArgs(call)) {
      if (a.id === id.id || a.type !== "identifier") continue;
      const type = declarationOf(a, a.text)?.typeText;
      if (type && (isHttpRequestType(type, imports) || frameworkOf(type, imports))) return true;
    }
  }
  return false;
}

/**
 * Whether the middleware uses the context for work of its own: it passes it
 * to a call that runs before the middleware returns (`user, err :=
 * lookup(ctx, token)`), not to a `go` statement. Such a context bounds that
 * work, as an auth lookup with a timeout does, and was never meant for the
 * handlers that follow.
 */
function boundsOwnWork(reads: Node[], fn: Node, ctx: RuleContext): boolean {
  for (const id of reads) {
    const args = id.parent;
    if (args?.type !== "argument_list") continue;
    const call = args.parent!;
    if (contextFunction(call, ctx) !== null) continue;
    let spawned = false;
    for (let n: Node | null = call; n && n.id !== fn.id; n = n.parent) if (n.type === "go_statement") spawned = true;
    if (!spawned) return true;
  }
  return false;
}

/** The variable a context-returning call is assigned to: `ctx2 := context.WithValue(ctx, k, v)` or the first of two results. */
function resultTargetsOrSingle(call: Node): { target: Node; stmt: Node } | null {
  const pair = resultTargets(call);
  if (pair) return { target: pair.ctxTarget, stmt: pair.stmt };
  const list = call.parent;
  const stmt = list?.parent;
  if (list?.type !== "expression_list" || list.namedChildCount !== 1) return null;
  if (stmt?.type !== "short_var_declaration" && stmt?.type !== "assignment_statement") return null;
  if (stmt.childForFieldName("right")?.id !== list.id) return null;
  const left = stmt.childForFieldName("left")?.namedChildren ?? [];
  return left.length === 1 && left[0] ? { target: left[0], stmt } : null;
}

export const contextNotPropagated: Rule = {
  id: "context-not-propagated",
  severity: "warning",
  related: [
    "go vet lostcancel (reports a cancel function that is discarded or not used on all paths)",
    'context package documentation: "Failing to call the CancelFunc leaks the child and its children until the parent is canceled or the timer fires"',
  ],
  docs: {
    title: "Derived context whose cancel, context or attachment is lost",
    flags:
      "A call of `context.WithCancel`, `WithTimeout`, `WithDeadline` or their `...Cause` variants whose two results are assigned to variables (`ctx, cancel := ...`, `var ctx, cancel = ...`, `ctx, cancel = ...`), when one of them goes nowhere:\n\n" +
      "- the cancel function is never read after the call: not called, deferred, returned, stored, passed on or captured by a closure, or it is assigned to `_` (reported on the callee, `context.WithTimeout`);\n" +
      "- the derived context is never read after the call, or it is assigned to `_` (reported on the variable);\n" +
      "- in a middleware, a function that calls `c.Next()` on a framework context or `next.ServeHTTP(w, r)` with a request in scope, a context derived before that call (and not from `context.Background()`) is read but never attached to the request: it never reaches `r.WithContext(ctx)`, `r.Clone(ctx)`, `c.Request = c.Request.WithContext(ctx)`, echo's `c.SetRequest(...)`, fiber's `c.SetUserContext(ctx)`, or a call that also receives the request, and the middleware does no work of its own with it (it is only watched with `ctx.Done()`, handed to a goroutine, or `_ = ctx`) (reported on the variable).\n\n" +
      "Reads are found by name in the variable's scope, so a read anywhere after the call counts (for a plain `=` assignment in a loop, anywhere in the loop; a `defer cancel()` written before a reassignment defers the older cancel and does not count). A context derived from it with `WithValue` or another `WithX` and attached counts as attached.",
    why:
      "`WithTimeout` and `WithDeadline` start a timer and register the child with its parent; only the cancel function (or the deadline) releases them, so a lost cancel keeps both alive, once per call. " +
      "A derived context that nothing uses means the timeout or cancellation the code sets up governs no work at all: the database query or HTTP call below still runs with the parent's lifetime, which is rarely what the author meant. " +
      "In a middleware, the handlers that follow see only the context attached to the request; a deadline that is not attached never reaches them. " +
      "go vet's lostcancel check reports some lost cancels when the package type-checks; this rule also works on code that does not compile yet, and also reports the lost context and the missing attachment.",
    bad: `func Timeout() gin.HandlerFunc {
\treturn func(c *gin.Context) {
\t\tctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
\t\tdefer cancel()
\t\tgo audit(ctx)
\t\tc.Next()
\t}
}`,
    good: `func Timeout() gin.HandlerFunc {
\treturn func(c *gin.Context) {
\t\tctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
\t\tdefer cancel()
\t\tc.Request = c.Request.WithContext(ctx)
\t\tc.Next()
\t}
}`,
    fix:
      "Call `defer cancel()` right after the call (or return or store the cancel function when the context outlives the function). " +
      "Pass the derived context to the calls it is meant to bound, or delete the call when no deadline is wanted. " +
      "In a middleware, attach the context before handing on: `c.Request = c.Request.WithContext(ctx)` in gin, `next.ServeHTTP(w, r.WithContext(ctx))` in net/http.\n\n" +
      "Quick fixes: **Defer cancel** inserts `defer cancel()` on the line after the call (a cancel assigned to `_` gets a name first); it is not safe inside a loop, where the defers pile up until the function returns, or when the context leaves the function (returned, stored, handed to a goroutine), which would then see it cancelled. " +
      "**Attach ctx to the request** inserts `c.Request = c.Request.WithContext(ctx)` (gin), `c.Req = c.Req.WithContext(ctx)` (gee), `c.SetUserContext(ctx)` (fiber) or `r = r.WithContext(ctx)` (net/http) after the call and its `defer cancel()`, for a middleware's context that is never attached or never used.",
    silent: [
      "a cancel function that is called, deferred (`defer cancel()`, `defer func() { cancel() }()`), returned, stored in a struct field or a variable, appended to a list, passed to a function or captured by a closure, anywhere after the call (one call on any path is enough)",
      "a derived context passed to any call, returned, stored or captured",
      "results assigned to struct fields or package-level variables (`s.ctx, s.cancel = context.WithCancel(...)`): they are stored",
      "calls whose results are returned or passed on directly (`return context.WithTimeout(ctx, d)`)",
      "middleware that attaches the context, directly or through a context derived from it, or passes it to a helper together with the request",
      "middleware that uses the context for its own work before handing on (`user, err := lookup(ctx, token)` under a short timeout): that deadline was never meant for the handlers that follow",
      "in middleware, a context derived after the hand-over (`c.Next()`, `next.ServeHTTP`) or from `context.Background()`/`TODO()`/`WithoutCancel`: it serves the middleware's own work",
      "package-level `var ctx, cancel = context.WithCancel(...)`",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    for (const call of ctx.file.caps.methodCalls) {
      // The method name first: resolving the package (and its shadowing) costs a walk of the function.
      if (!CANCEL_DERIVERS.has(call.childForFieldName("function")?.childForFieldName("field")?.text ?? "")) continue;
      const f = contextFunction(call, ctx);
      if (!f) continue;
      const t = resultTargets(call);
      if (!t) continue;
      const callee = call.childForFieldName("function")!;
      const { stmt, ctxTarget, cancelTarget } = t;
      if (cancelTarget.text === "_") {
        const fix = deferCancelFix(ctx, call, stmt, ctxTarget, cancelTarget);
        out.push({
          range: rangeOf(callee),
          message: `the cancel function of ${f} is discarded; ${cancelCost(f)}`,
          ...(fix ? { fixes: [fix] } : {}),
        });
      } else if (cancelTarget.type === "identifier") {
        const reads = readsOf(cancelTarget, stmt);
        if (reads && reads.length === 0) {
          const fix = deferCancelFix(ctx, call, stmt, ctxTarget, cancelTarget);
          out.push({
            range: rangeOf(callee),
            message: `${cancelTarget.text} of the context from ${f} is never called; ${cancelCost(f)}`,
            related: [
              { file: ctx.file.file, range: rangeOf(cancelTarget), message: `${cancelTarget.text} is assigned here` },
            ],
            ...(fix ? { fixes: [fix] } : {}),
          });
        }
      }
      if (ctxTarget.text === "_") {
        out.push({ range: rangeOf(ctxTarget), message: `the context from ${f} is discarded; ${appliesTo(f)}` });
        continue;
      }
      if (ctxTarget.type !== "identifier") continue;
      const reads = readsOf(ctxTarget, stmt);
      if (!reads) continue;
      if (reads.length === 0) {
        // In a middleware, the context nobody uses was most likely meant for the handlers that follow.
        const fix = attachFix(
          ctx,
          call,
          stmt,
          ctxTarget,
          cancelTarget.type === "identifier" ? cancelTarget.text : undefined,
        );
        out.push({
          range: rangeOf(ctxTarget),
          message: `${ctxTarget.text} from ${f} is never used; ${appliesTo(f)}`,
          ...(fix ? { fixes: [fix] } : {}),
        });
        continue;
      }
      // Only a context derived from the request is meant for the handlers that follow; one from Background is the middleware's own.
      const parentCtx = callArgs(call)[0];
      const fromRoot = parentCtx ? isRootContext(parentCtx, ctx) : false;
      const fn = enclosingFunction(stmt);
      const next = fn && !fromRoot ? middlewareNext(fn, stmt, ctx) : null;
      const flow = next ? flowReads(reads, ctx) : null;
      if (next && flow && !flow.escapes && !attached(flow.reads, ctx) && !boundsOwnWork(flow.reads, fn!, ctx)) {
        const what = f.startsWith("WithCancel") ? "the cancellation" : "the deadline";
        const fix = attachFix(
          ctx,
          call,
          stmt,
          ctxTarget,
          cancelTarget.type === "identifier" ? cancelTarget.text : undefined,
        );
        out.push({
          range: rangeOf(ctxTarget),
          message: `${ctxTarget.text} from ${f} is never attached to the request; ${next.label} never see ${what}`,
          ...(fix ? { fixes: [fix] } : {}),
        });
      }
    }
    return out;
  },
};
