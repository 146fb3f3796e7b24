// The fix of gin-context-in-goroutine for gin: the goroutine gets c.Copy(),
// taken before the `go` statement while the handler still owns c. gin's copy is
// read-only (its writer writes nowhere), so the fix is safe only where the
// goroutine merely reads the context.
import type { FileSyntax } from "../analysis/facts";
import { callArgs, declarationOf, enclosingFunction, identifiersNamed, isPureWrite } from "../analysis/syntax";
import type { Fix, TextEdit } from "../analysis/types";
import type { Node } from "../parser";
import type { RuleContext } from "../analysis/rule";
import { alignComments } from "./align";
import { fixesAllowed, indentOf, replaceNode, startsLine } from "./edit";
import { hasWord } from "./scope";

/** Methods of *gin.Context that only read the request or the context's keys: a copy answers them the same. */
const READS = new Set([
  "Param",
  "Query",
  "DefaultQuery",
  "GetQuery",
  "QueryArray",
  "GetQueryArray",
  "QueryMap",
  "GetQueryMap",
  "PostForm",
  "DefaultPostForm",
  "GetPostForm",
  "PostFormArray",
  "GetPostFormArray",
  "GetHeader",
  "ClientIP",
  "RemoteIP",
  "ContentType",
  "FullPath",
  "Get",
  "MustGet",
  "GetString",
  "GetBool",
  "GetInt",
  "GetInt64",
  "GetUint",
  "GetUint64",
  "GetFloat64",
  "GetTime",
  "GetDuration",
  "GetStringSlice",
  "GetStringMap",
  "GetStringMapString",
  "GetStringMapStringSlice",
  "Value",
  "Deadline",
  "Done",
  "Err",
  "Copy",
  "Cookie",
]);

/** Fields a copy carries over for reading (a copy reports itself aborted and has no handlers, writer or errors). */
const READ_FIELDS = new Set(["Request", "Params", "Keys"]);

/** Whether a use of the context only reads what a copy also has. */
function onlyReads(id: Node): boolean {
  const sel = id.parent;
  if (sel?.type !== "selector_expression" || sel.childForFieldName("operand")?.id !== id.id) return false;
  const field = sel.childForFieldName("field")?.text ?? "";
  const up = sel.parent;
  if (up?.type === "call_expression" && up.childForFieldName("function")?.id === sel.id) return READS.has(field);
  if (!READ_FIELDS.has(field)) return false;
  // c.Request = ..., c.Keys[k] = ...: writes to the handler's context.
  for (let n: Node | null = sel; n; n = n.parent) {
    const p = n.parent;
    if (!p) break;
    if (
      (p.type === "assignment_statement" || p.type === "inc_statement" || p.type === "dec_statement") &&
      p.childForFieldName("left")?.id === n.id
    )
      return false;
    if (
      p.type === "expression_list" &&
      p.parent?.type === "assignment_statement" &&
      p.parent.childForFieldName("left")?.id === p.id
    )
      return false;
    if (p.type !== "index_expression" && p.type !== "selector_expression" && p.type !== "expression_list") break;
  }
  return true;
}

/** The uses of a function's parameter at `index` in its body, when the function is a literal or a function of the file. */
function calleeUses(callee: Node, index: number, file: FileSyntax): Node[] | null {
  let fn: Node | null = null;
  if (callee.type === "func_literal") fn = callee;
  else if (callee.type === "identifier" && !declarationOf(callee, callee.text)) {
    const decls = file.tree.rootNode.namedChildren.filter(
      (d) => d?.type === "function_declaration" && d.childForFieldName("name")?.text === callee.text,
    );
    if (decls.length === 1) fn = decls[0]!;
  }
  const body = fn?.childForFieldName("body");
  if (!fn || !body) return null;
  let i = 0;
  for (const decl of fn.childForFieldName("parameters")?.namedChildren ?? []) {
    if (decl?.type !== "parameter_declaration") return null;
    for (const n of decl.childrenForFieldName("name")) {
      if (n?.type !== "identifier") continue;
      if (i++ === index)
        return identifiersNamed(body, n.text).filter((u) => declarationOf(u, n.text)?.node.id === decl.id);
    }
  }
  return null;
}

/**
 * `Use c.Copy() in the goroutine` for the handler context `use` refers to:
 * a single argument becomes `c.Copy()`; otherwise `cCopy := c.Copy()` goes
 * before the `go` statement and every use of c in the goroutine (its function
 * literal and its arguments) becomes cCopy. Not offered for `go c.Next()`
 * (a copy has no handlers left to run) or when the goroutine assigns c.
 */
export function ginCopyFix(ctx: RuleContext, go: Node, use: Node): Fix | undefined {
  if (!fixesAllowed(ctx.file)) return undefined;
  const name = use.text;
  const decl = declarationOf(use, name);
  const call = go.namedChild(0);
  const fn = call?.childForFieldName("function");
  if (!decl || call?.type !== "call_expression" || !fn) return undefined;
  const isHandlerC = (id: Node) => declarationOf(id, name)?.node.id === decl.node.id;
  if (fn.type === "selector_expression") {
    const recv = fn.childForFieldName("operand");
    if (recv?.type === "identifier" && recv.text === name && isHandlerC(recv)) return undefined;
  }
  let safe = true;
  const sites: Node[] = [];
  callArgs(call).forEach((arg, i) => {
    if (arg.type !== "identifier" || arg.text !== name || !isHandlerC(arg)) return;
    sites.push(arg);
    const uses = calleeUses(fn, i, ctx.file);
    if (!uses || !uses.every(onlyReads)) safe = false;
  });
  if (fn.type === "func_literal") {
    const body = fn.childForFieldName("body");
    for (const id of body ? identifiersNamed(body, name) : []) {
      if (!isHandlerC(id)) continue;
      if (isPureWrite(id)) return undefined;
      sites.push(id);
      if (!onlyReads(id)) safe = false;
    }
  }
  if (sites.length === 0) return undefined;
  const title = `Use ${name}.Copy() in the goroutine`;
  let edits: TextEdit[];
  if (sites.length === 1 && sites[0]!.parent?.type === "argument_list") {
    edits = [replaceNode(ctx.file.file, sites[0]!, `${name}.Copy()`)];
  } else {
    if (!startsLine(ctx.file, go)) return undefined;
    const scope = enclosingFunction(go);
    const taken = (n: string) =>
      (scope ? hasWord(scope.text, n) : true) ||
      ctx.pkg.vars.has(n) ||
      ctx.pkg.consts.has(n) ||
      ctx.pkg.types.has(n) ||
      ctx.pkg.funcs.has(n) ||
      n in ctx.file.summary.imports;
    const copy = [`${name}Copy`, `${name}Cp`, `${name}Copy2`, `${name}Copy3`].find((n) => !taken(n));
    if (!copy) return undefined;
    const line = go.startPosition.row;
    edits = [
      {
        file: ctx.file.file,
        range: { start: { line, character: 0 }, end: { line, character: 0 } },
        newText: `${indentOf(ctx.file, go)}${copy} := ${name}.Copy()\n`,
      },
      ...sites.map((s) => replaceNode(ctx.file.file, s, copy)),
    ];
  }
  const aligned = alignComments(ctx.file, edits);
  return aligned ? { title, safe, edits: aligned } : undefined;
}
