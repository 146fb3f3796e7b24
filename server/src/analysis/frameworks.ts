// Recognises request contexts and context.Context values from syntax: the
// request types of net/http and of the web frameworks mapctx knows (gin, echo,
// gee, fiber) by parameter types and imports, calls of package context, and
// variables declared with a context type or assigned from such calls.
import type { Node } from "../parser";
import type { RuleContext } from "./rule";
import { callArgs, declarationOf, enclosingFunction, functionParams, unparen } from "./syntax";

export type Framework = "gin" | "echo" | "gee" | "fiber";

/** Import paths whose last element is the framework (any major version). */
const FRAMEWORK_PATH: Record<Framework, RegExp> = {
  gin: /(^|\/)gin-gonic\/gin$|(^|\/)gin$/,
  echo: /(^|\/)labstack\/echo(\/v\d+)?$|(^|\/)echo$/,
  gee: /(^|\/)gee$/,
  fiber: /(^|\/)gofiber\/fiber(\/v\d+)?$|(^|\/)fiber$/,
};

/** The framework context type each framework hands to handlers. */
const CONTEXT_TYPE: Record<Framework, RegExp> = {
  gin: /^\*(\w+)\.Context$/,
  echo: /^(\w+)\.Context$/,
  gee: /^\*(\w+)\.Context$/,
  fiber: /^\*(\w+)\.Ctx$/,
};

/**
 * The framework whose request context `typeText` is, given the file's imports
 * (name -> path), or null. `*gin.Context` counts only when `gin` is imported
 * from gin-gonic (or a package named gin).
 */
export function frameworkOf(typeText: string, imports: Record<string, string>): Framework | null {
  for (const fw of Object.keys(CONTEXT_TYPE) as Framework[]) {
    const m = CONTEXT_TYPE[fw].exec(typeText);
    if (!m) continue;
    const importPath = imports[m[1]!];
    if (importPath && FRAMEWORK_PATH[fw].test(importPath)) return fw;
  }
  return null;
}

export function isHttpRequestType(typeText: string, imports: Record<string, string>): boolean {
  const m = /^\*(\w+)\.Request$/.exec(typeText);
  return !!m && imports[m[1]!] === "net/http";
}

export function isResponseWriterType(typeText: string, imports: Record<string, string>): boolean {
  const m = /^(\w+)\.ResponseWriter$/.exec(typeText);
  return !!m && imports[m[1]!] === "net/http";
}

/** Import paths of packages whose WithValue/Background/... are the standard context functions. */
const CONTEXT_PATHS: ReadonlySet<string> = new Set(["context", "golang.org/x/net/context"]);

/** Whether a type text names context.Context (golang.org/x/net/context's Context is an alias of it). */
export function isContextType(typeText: string | undefined, imports: Record<string, string>): boolean {
  const m = typeText ? /^(\w+)\.Context$/.exec(typeText) : null;
  return !!m && CONTEXT_PATHS.has(imports[m[1]!] ?? "");
}

/** Whether a function node handles requests: it takes a request, a response writer or a framework context. */
export function isHandlerFunction(fn: Node, imports: Record<string, string>): boolean {
  if (fn.type === "method_declaration" && fn.childForFieldName("name")?.text === "ServeHTTP") return true;
  for (const type of functionParams(fn).values()) {
    if (isHttpRequestType(type, imports) || isResponseWriterType(type, imports) || frameworkOf(type, imports))
      return true;
  }
  return false;
}

/** Whether `node` runs inside a request handler (a handler function or a literal nested in one). */
export function inHandler(node: Node, imports: Record<string, string>): boolean {
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
    if (isHandlerFunction(fn, imports)) return true;
  }
  return false;
}

/** context functions that derive a context and return a cancel function with it. */
export const CANCEL_DERIVERS: ReadonlySet<string> = new Set([
  "WithCancel",
  "WithCancelCause",
  "WithTimeout",
  "WithTimeoutCause",
  "WithDeadline",
  "WithDeadlineCause",
]);

/** Functions of package context that return a context derived from (or as) a fresh one. */
const CONTEXT_CONSTRUCTORS = new Set(["Background", "TODO", "WithValue", "WithoutCancel"]);

/** Context functions whose result has no caller's lifetime in it. */
const CONTEXT_ROOTS: ReadonlySet<string> = new Set(["Background", "TODO", "WithoutCancel"]);

/** Whether `expr` is `context.Background()`, `context.TODO()` or `context.WithoutCancel(...)`: a context with no caller's lifetime. */
export function isRootContext(expr: Node, ctx: RuleContext): boolean {
  return CONTEXT_ROOTS.has(contextFunction(unparen(expr), ctx) ?? "");
}

/** The type text written for an identifier at `use`: its parameter or var type, or a package var's type. */
export function declaredType(use: Node, name: string, ctx: RuleContext): string | undefined {
  const local = declarationOf(use, name);
  if (local) return local.typeText;
  return ctx.pkg.vars.get(name)?.typeText;
}

/** For `<alias>.F(...)` calls where alias imports package context (and is not shadowed), F; otherwise null. */
export function contextFunction(call: Node, ctx: RuleContext): string | null {
  if (call.type !== "call_expression") return null;
  const fn = call.childForFieldName("function");
  if (fn?.type !== "selector_expression") return null;
  const operand = fn.childForFieldName("operand");
  if (operand?.type !== "identifier" || !CONTEXT_PATHS.has(ctx.file.summary.imports[operand.text] ?? "")) return null;
  if (declarationOf(call, operand.text)) return null;
  return fn.childForFieldName("field")?.text ?? null;
}

/** Whether `expr` is `r.Context()` on a request: `*http.Request`, gin/gee's `c.Request`, echo's `c.Request()`. */
export function isRequestContext(expr: Node, ctx: RuleContext): boolean {
  const e = unparen(expr);
  if (e.type !== "call_expression" || callArgs(e).length !== 0) return false;
  const fn = e.childForFieldName("function");
  if (fn?.type !== "selector_expression" || fn.childForFieldName("field")?.text !== "Context") return false;
  const recv = unparen(fn.childForFieldName("operand")!);
  const imports = ctx.file.summary.imports;
  if (recv.type === "identifier") {
    const t = declaredType(recv, recv.text, ctx);
    return t !== undefined && isHttpRequestType(t, imports);
  }
  // c.Request (gin, gee) and c.Request() (echo) are the *http.Request of a framework context.
  const sel =
    recv.type === "call_expression" && callArgs(recv).length === 0 ? recv.childForFieldName("function") : recv;
  if (sel?.type !== "selector_expression" || sel.childForFieldName("field")?.text !== "Request") return false;
  const c = unparen(sel.childForFieldName("operand")!);
  if (c.type !== "identifier") return false;
  const t = declaredType(c, c.text, ctx);
  const fw = t ? frameworkOf(t, imports) : null;
  if (recv.type === "call_expression") return fw === "echo";
  return fw === "gin" || fw === "gee";
}

/**
 * Whether `expr` is known to be a context.Context: a parameter or variable of
 * that type, `r.Context()` on a request, or a variable assigned from
 * context.Background/TODO/WithValue/WithCancel/... or from `r.Context()`.
 */
export function isKnownContext(expr: Node, ctx: RuleContext, depth = 0): boolean {
  if (depth > 8) return false;
  const e = unparen(expr);
  const imports = ctx.file.summary.imports;
  if (e.type === "identifier") {
    const local = declarationOf(e, e.text);
    if (!local) return isContextType(ctx.pkg.vars.get(e.text)?.typeText, imports);
    if (local.typeText !== undefined) return isContextType(local.typeText, imports);
    if (local.value) return isKnownContext(local.value, ctx, depth + 1);
    // ctx, cancel := context.WithCancel(parent)
    if (local.node.type === "short_var_declaration") {
      const left = local.node.childForFieldName("left")?.namedChildren ?? [];
      const right = local.node.childForFieldName("right")?.namedChildren ?? [];
      if (right.length === 1 && left[0]?.text === e.text) {
        const f = contextFunction(right[0]!, ctx);
        return f !== null && CANCEL_DERIVERS.has(f);
      }
    }
    return false;
  }
  if (e.type === "call_expression") {
    const f = contextFunction(e, ctx);
    if (f) return CONTEXT_CONSTRUCTORS.has(f);
    return isRequestContext(e, ctx);
  }
  return false;
}
