// Recognises, from parameter types and imports alone, the request contexts of
// net/http and the web frameworks mapctx knows (gin, echo, gee, fiber).
import type { Node } from "../parser";
import { enclosingFunction, functionParams } from "./syntax";

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

export function isContextType(typeText: string, imports: Record<string, string>): boolean {
  const m = /^(\w+)\.Context$/.exec(typeText);
  return !!m && imports[m[1]!] === "context";
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
