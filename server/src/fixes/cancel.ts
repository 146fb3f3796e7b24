// The fixes of context-not-propagated: `defer cancel()` after a derived
// context whose cancel is lost, and, in middleware, the derived context
// attached to the request before the next handler runs.
import { contextFunction, frameworkOf, isHttpRequestType, isRootContext } from "../analysis/frameworks";
import { callArgs, declarationOf, enclosingFunction, identifiersNamed, isPureWrite, unparen } from "../analysis/syntax";
import type { Fix, TextEdit } from "../analysis/types";
import type { Node } from "../parser";
import type { RuleContext } from "../analysis/rule";
import { alignComments } from "./align";
import { fixesAllowed, indentOf, insertLine, replaceNode } from "./edit";
import { packageLevelName } from "./scope";

/** The statement as it stands in its block: `var ...` for a spec. Null unless it is a statement of a block that ends its line. */
function blockStatement(stmt: Node, text: string): Node | null {
  const s = stmt.type === "var_spec" ? stmt.parent : stmt;
  if (s?.parent?.type !== "statement_list") return null;
  const lines = text.split("\n", s.endPosition.row + 1);
  const rest = lines[s.endPosition.row]!.slice(s.endPosition.column).trim();
  if (rest !== "" && !rest.startsWith("//")) return null;
  const before = lines[s.startPosition.row]!.slice(0, s.startPosition.column).trim();
  return before === "" ? s : null;
}

/**
 * Whether a use of the derived context lets it outlive the function: returned,
 * stored, sent, appended, or used by a goroutine or a closure. Passing it to a
 * call that runs now is not.
 */
function escapes(id: Node, fn: Node): boolean {
  if (isPureWrite(id)) return false;
  // Whether the node is still the context itself, not yet part of a larger expression.
  let direct = true;
  for (let n = id.parent; n && n.id !== fn.id; n = n.parent) {
    if (n.type === "go_statement" || n.type === "func_literal") return true;
    if (!direct) continue;
    switch (n.type) {
      case "parenthesized_expression":
      case "expression_list":
        continue;
      case "return_statement":
      case "send_statement":
      case "literal_element":
      case "keyed_element":
      case "assignment_statement":
      case "short_var_declaration":
      case "var_spec":
        return true;
      case "argument_list":
        if (n.parent?.childForFieldName("function")?.text === "append") return true;
        break;
    }
    direct = false;
  }
  return false;
}

function inLoop(node: Node, fn: Node): boolean {
  for (let n = node.parent; n && n.id !== fn.id; n = n.parent) if (n.type === "for_statement") return true;
  return false;
}

/**
 * `Defer cancel` for a derived context whose cancel function is never called
 * or is assigned to `_`: `defer cancel()` goes on the line after the call (a
 * `_` becomes a fresh `cancel`). Not safe inside a loop (the defers pile up
 * until the function returns) or when the context leaves the function, since
 * it is then cancelled while still in use.
 */
export function deferCancelFix(
  ctx: RuleContext,
  call: Node,
  stmt: Node,
  ctxTarget: Node,
  cancelTarget: Node,
): Fix | undefined {
  if (!fixesAllowed(ctx.file)) return undefined;
  const file = ctx.file.file;
  const block = blockStatement(stmt, ctx.file.text);
  const fn = enclosingFunction(stmt);
  const f = contextFunction(call, ctx);
  const pkg = call.childForFieldName("function")?.childForFieldName("operand")?.text;
  if (!block || !fn || !f || !pkg) return undefined;
  const edits: TextEdit[] = [];
  let name = cancelTarget.text;
  if (name === "_") {
    // Identifiers, not words: a comment that says "cancel" does not take the name.
    const candidate = ["cancel", "cancelCtx", "stop"].find(
      (n) => identifiersNamed(fn, n).length === 0 && !declarationOf(stmt, n) && !packageLevelName(ctx, n),
    );
    if (!candidate) return undefined;
    name = candidate;
    edits.push(replaceNode(file, cancelTarget, name));
    if (stmt.type === "assignment_statement") {
      // `ctx, _ = ...` assigns: cancel needs a declaration, `:=` where ctx lives in the same scope, else a var.
      const targets = stmt.childForFieldName("left")?.namedChildren ?? [];
      const sameScope = targets.every((t) => {
        if (!t || t.type !== "identifier" || t.id === cancelTarget.id) return true;
        const d = declarationOf(t, t.text);
        if (!d) return false;
        if (d.node.type === "parameter_declaration")
          return d.node.parent?.parent?.id === fn.id && block.parent?.parent?.id === fn.childForFieldName("body")?.id;
        return d.node.parent?.id === block.parent?.id;
      });
      const op = stmt.childForFieldName("operator");
      if (sameScope && op) edits.push(replaceNode(file, op, ":="));
      else {
        const type = f === "WithCancelCause" ? "CancelCauseFunc" : "CancelFunc";
        edits.push(
          insertLine(file, block.startPosition.row, `${indentOf(ctx.file, block)}var ${name} ${pkg}.${type}\n`),
        );
      }
    }
  }
  const args = f === "WithCancelCause" ? "nil" : "";
  edits.push(insertLine(file, block.endPosition.row + 1, `${indentOf(ctx.file, block)}defer ${name}(${args})\n`));
  let safe = !inLoop(stmt, fn);
  if (ctxTarget.type === "identifier" && ctxTarget.text !== "_") {
    const decl = declarationOf(ctxTarget, ctxTarget.text);
    for (const id of identifiersNamed(fn, ctxTarget.text)) {
      if (id.startIndex < stmt.endIndex) continue;
      const d = declarationOf(id, id.text);
      if (decl && d?.node.id !== decl.node.id && d?.node.id !== stmt.id) continue;
      if (escapes(id, fn)) safe = false;
    }
  }
  const aligned = alignComments(ctx.file, edits);
  return aligned ? { title: `Defer ${name}`, safe, edits: aligned } : undefined;
}

/**
 * `Attach ctx to the request` in a middleware: the request the next handler
 * gets carries the derived context. The line goes after the call, or after the
 * `defer cancel()` that follows it.
 */
export function attachFix(
  ctx: RuleContext,
  call: Node,
  stmt: Node,
  ctxTarget: Node,
  cancelName: string | undefined,
): Fix | undefined {
  if (!fixesAllowed(ctx.file) || ctxTarget.type !== "identifier") return undefined;
  const file = ctx.file.file;
  const block = blockStatement(stmt, ctx.file.text);
  const fn = enclosingFunction(stmt);
  if (!block || !fn) return undefined;
  const parent = callArgs(call)[0];
  // A context from a root is the middleware's own.
  if (!parent || isRootContext(parent, ctx)) return undefined;
  const imports = ctx.file.summary.imports;
  const name = ctxTarget.text;
  // The hand-over to the next handler, after the call and in the same function.
  let attach: string | undefined;
  for (const c of ctx.file.caps.methodCalls) {
    if (c.startIndex < stmt.endIndex || c.endIndex > fn.endIndex || enclosingFunction(c)?.id !== fn.id) continue;
    const sel = c.childForFieldName("function")!;
    const method = sel.childForFieldName("field")?.text;
    const recv = unparen(sel.childForFieldName("operand")!);
    if (method === "Next" && recv.type === "identifier" && callArgs(c).length === 0) {
      const t = declarationOf(recv, recv.text)?.typeText;
      const fw = t ? frameworkOf(t, imports) : null;
      const x = recv.text;
      if (fw === "gin") attach = `${x}.Request = ${x}.Request.WithContext(${name})`;
      else if (fw === "gee") attach = `${x}.Req = ${x}.Req.WithContext(${name})`;
      else if (fw === "echo") attach = `${x}.SetRequest(${x}.Request().WithContext(${name}))`;
      else if (fw === "fiber") attach = `${x}.SetUserContext(${name})`;
    } else if (method === "ServeHTTP" && callArgs(c).length === 2) {
      const r = callArgs(c)[1]!;
      const t = r.type === "identifier" ? declarationOf(r, r.text)?.typeText : undefined;
      if (t && isHttpRequestType(t, imports)) attach = `${r.text} = ${r.text}.WithContext(${name})`;
    }
    if (attach) break;
  }
  if (!attach) return undefined;
  // After `defer cancel()` when it follows the call.
  let anchor = block;
  let next = block.nextNamedSibling;
  while (next?.type === "comment") next = next.nextNamedSibling;
  if (
    cancelName &&
    next?.type === "defer_statement" &&
    new RegExp(`^defer\\s+${cancelName}\\(`).test(next.text) &&
    blockStatement(next, ctx.file.text)
  )
    anchor = next;
  const edits = [insertLine(file, anchor.endPosition.row + 1, `${indentOf(ctx.file, block)}${attach}\n`)];
  const aligned = alignComments(ctx.file, edits);
  return aligned ? { title: `Attach ${name} to the request`, safe: true, edits: aligned } : undefined;
}
