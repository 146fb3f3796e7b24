// The fix of goroutine-ctx-leak: the goroutine's loop or select also waits on
// the context in scope and returns when it is done. The loop keeps its meaning
// otherwise: its body moves into a select case only when no `break` in it would
// then leave the select instead of the loop.
import { frameworkOf, isContextType, isHttpRequestType } from "../analysis/frameworks";
import { declarationOf, enclosingFunction } from "../analysis/syntax";
import type { Fix, TextEdit } from "../analysis/types";
import type { Node } from "../parser";
import type { RuleContext } from "../analysis/rule";
import { alignComments } from "./align";
import { fixesAllowed, indentOf, insertLine, replaceNode, startsLine } from "./edit";
import { packageLevelName, unusedName } from "./scope";

/** The context or request in scope where the goroutine starts, as goroutine-ctx-leak finds it. */
export interface LifetimeRef {
  name: string;
  /** The parameter declaration, or the identifier a local declaration assigns. */
  node: Node;
}

const T = "\t";

/** A `break` that would leave a select wrapped around the node instead of the loop: unlabeled, not inside an inner for/switch/select. */
function hasBareBreak(node: Node): boolean {
  const stack: Node[] = [...node.namedChildren.filter((c): c is Node => !!c)];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "break_statement" && !n.namedChild(0)) return true;
    if (
      n.type === "func_literal" ||
      n.type === "for_statement" ||
      n.type === "expression_switch_statement" ||
      n.type === "type_switch_statement" ||
      n.type === "select_statement"
    )
      continue;
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return false;
}

/** A raw string spanning lines: re-indenting its lines would change its value. */
function hasMultilineRawString(node: Node): boolean {
  if (!node.text.includes("`")) return false;
  const stack: Node[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "raw_string_literal" && n.startPosition.row !== n.endPosition.row) return true;
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return false;
}

/** The inner lines of a block whose braces stand at the end and start of their lines, one tab deeper, and a comment after `{`. */
function blockBody(text: string, block: Node): { lines: string[]; headComment: string } | null {
  const lines = text.split("\n");
  const open = block.startPosition;
  const close = block.endPosition;
  if (close.row <= open.row) return null;
  const after = lines[open.row]!.slice(open.column + 1).trim();
  if (after !== "" && !after.startsWith("//")) return null;
  if (lines[close.row]!.slice(0, close.column - 1).trim() !== "") return null;
  const inner = lines.slice(open.row + 1, close.row).map((l) => (l.trim() === "" ? "" : T + l));
  return { lines: inner, headComment: after === "" ? "" : ` ${after}` };
}

/**
 * `Watch <ctx>.Done()` for a leaking loop or select of a goroutine, or undefined
 * when the rewrite cannot keep the code's meaning.
 */
export function watchDoneFix(ctx: RuleContext, go: Node, leak: Node, life: LifetimeRef): Fix | undefined {
  if (!fixesAllowed(ctx.file) || !startsLine(ctx.file, leak)) return undefined;
  const file = ctx.file.file;
  const text = ctx.file.text;
  const spawner = enclosingFunction(go);
  const literal = go.namedChild(0)?.childForFieldName("function");
  const inLiteral =
    literal?.type === "func_literal" && literal.startIndex <= leak.startIndex && leak.endIndex <= literal.endIndex;
  const edits: TextEdit[] = [];

  // What to receive from: the context itself, r.Context(), or a context taken from the framework before `go`.
  let done: string;
  const typeText = life.node.type === "parameter_declaration" ? (life.node.childForFieldName("type")?.text ?? "") : "";
  const imports = ctx.file.summary.imports;
  const fw = typeText ? frameworkOf(typeText, imports) : null;
  if (fw) {
    // The framework recycles its context: the goroutine must not touch it, so the request's context is taken first.
    const source: Record<string, string> = {
      gin: `${life.name}.Request.Context()`,
      gee: `${life.name}.Req.Context()`,
      echo: `${life.name}.Request().Context()`,
      fiber: `${life.name}.UserContext()`,
    };
    if (!inLiteral || !spawner || !startsLine(ctx.file, go)) return undefined;
    const name = unusedName(spawner.text, ["ctx", "reqCtx", "requestCtx"], (n) => !packageLevelName(ctx, n));
    if (!name) return undefined;
    edits.push(insertLine(file, go.startPosition.row, `${indentOf(ctx.file, go)}${name} := ${source[fw]}\n`));
    done = `${name}.Done()`;
  } else {
    // The goroutine must see the same variable the go statement sees.
    const here = declarationOf(go, life.name);
    const there = declarationOf(leak, life.name);
    if (!here || !there || here.node.id !== there.node.id) return undefined;
    if (typeText && isHttpRequestType(typeText, imports)) done = `${life.name}.Context().Done()`;
    else if (!typeText || isContextType(typeText, imports)) done = `${life.name}.Done()`;
    else return undefined;
  }
  const title = `Watch ${done}`;
  const indent = indentOf(ctx.file, leak);
  const doneCase = (i: string) => `${i}case <-${done}:\n${i}${T}return\n`;

  /** Adds the done case in front of a select's cases. */
  const addCase = (sel: Node): boolean => {
    const first = sel.namedChildren.find(
      (c) => c?.type === "communication_case" || c?.type === "default_case" || c?.type === "comment",
    );
    if (!first || first.startPosition.row === sel.startPosition.row) return false;
    edits.push(insertLine(file, first.startPosition.row, doneCase(indentOf(ctx.file, sel))));
    return true;
  };

  if (leak.type === "select_statement") {
    if (!addCase(leak)) return undefined;
  } else {
    const block = leak.childForFieldName("body");
    if (!block) return undefined;
    const clause = leak.namedChildren.find((c) => c?.type === "range_clause");
    if (!clause) {
      // for { ... }: a lone select gets the case; other bodies check the context at the top of each iteration.
      const stmts =
        block.namedChildren
          .find((c) => c?.type === "statement_list")
          ?.namedChildren.filter((c) => c?.type !== "comment") ?? [];
      if (stmts.length === 1 && stmts[0]!.type === "select_statement") {
        if (!addCase(stmts[0]!)) return undefined;
      } else {
        if (blockBody(text, block) === null) return undefined;
        const i = indent + T;
        edits.push(insertLine(file, block.startPosition.row + 1, `${i}select {\n${doneCase(i)}${i}default:\n${i}}\n`));
      }
    } else {
      if (hasBareBreak(block) || hasMultilineRawString(block)) return undefined;
      const body = blockBody(text, block);
      const right = clause.childForFieldName("right");
      const left = clause.childForFieldName("left");
      if (!body || !right) return undefined;
      const assign = clause.children.find((c) => c?.type === ":=" || c?.type === "=")?.type;
      const target = left?.namedChildren.filter((c) => c?.type !== "comment").map((c) => c!.text) ?? [];
      const named = target.length > 0 && target[0] !== "_";
      let head: string;
      const lines: string[] = [];
      let chan = right.text;
      const isTicker = right.type === "selector_expression" || right.type === "call_expression";
      if (isTicker) {
        if (right.type === "call_expression") {
          // time.Tick(d) runs once, before the loop: the channel is hoisted so that each select does not make a new one.
          const scope = enclosingFunction(leak);
          const name = unusedName(scope?.text ?? "", ["ticks", "tick", "tickC"], (n) => !packageLevelName(ctx, n));
          if (!name) return undefined;
          const stmt = leak.parent?.type === "labeled_statement" ? leak.parent : leak;
          edits.push(insertLine(file, stmt.startPosition.row, `${indentOf(ctx.file, stmt)}${name} := ${right.text}\n`));
          chan = name;
        }
        head = named ? `case ${target[0]} ${assign} <-${chan}:` : `case <-${chan}:`;
      } else {
        // A channel closes: the loop ended there and the goroutine went on after it, so this is only faithful when nothing follows.
        const list = leak.parent?.type === "labeled_statement" ? leak.parent : leak;
        const siblings = list.parent?.namedChildren.filter((c) => c && c.type !== "comment") ?? [];
        if (siblings[siblings.length - 1]?.id !== list.id || list.parent?.parent?.type !== "block") return undefined;
        if (
          list.parent.parent.parent?.type !== "func_literal" &&
          list.parent.parent.parent?.type !== "function_declaration" &&
          list.parent.parent.parent?.type !== "method_declaration"
        )
          return undefined;
        if (named && assign !== ":=") return undefined;
        const ok = unusedName(leak.text, ["ok", "open", "more"]);
        if (!ok) return undefined;
        head = `case ${named ? target[0] : "_"}, ${ok} := <-${chan}:`;
        lines.push(`${indent}${T}${T}if !${ok} {`, `${indent}${T}${T}${T}return`, `${indent}${T}${T}}`);
      }
      const out = [
        `for {`,
        `${indent}${T}select {`,
        doneCase(`${indent}${T}`).slice(0, -1),
        `${indent}${T}${head}${body.headComment}`,
        ...lines,
        ...body.lines,
        `${indent}${T}}`,
        `${indent}}`,
      ];
      edits.push(replaceNode(file, leak, out.join("\n")));
    }
  }
  const aligned = alignComments(ctx.file, edits);
  return aligned ? { title, safe: true, edits: aligned } : undefined;
}
