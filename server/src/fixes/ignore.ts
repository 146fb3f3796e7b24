// The "Ignore <rule-id> on this line" fix every finding gets: a suppression
// directive above the flagged line, or the rule added to one already there.
import type { FileSyntax } from "../analysis/facts";
import type { Directive } from "../analysis/suppress";
import type { Fix, Range, TextEdit } from "../analysis/types";

/** The reason placeholder: a directive should say why the code is safe, so the fix asks for it. */
export const IGNORE_REASON_PLACEHOLDER = "explain why this is safe";

export function ignoreFixTitle(rule: string): string {
  return `Ignore ${rule} on this line`;
}

/** Whether a fix is the generic ignore fix (never applied by fix-all or `mapctx fix`). */
export function isIgnoreFix(fix: Fix): boolean {
  return /^Ignore \S+ on this line$/.test(fix.title);
}

/**
 * The ignore fix for a finding of `rule` starting on `line`, or undefined when
 * the line sits in a declaration with syntax errors (the edit could land in
 * half-typed code) or when a directive there already names the rule.
 * `directives` are the file's parsed directives.
 */
export function ignoreFix(
  syntax: Pick<FileSyntax, "file" | "text" | "tree">,
  directives: readonly Directive[],
  rule: string,
  line: number,
): Fix | undefined {
  if (syntax.tree.rootNode.hasError && inBrokenDeclaration(syntax, line)) return undefined;
  if (continuesMultiLineToken(syntax, line)) return undefined;
  const existing = directives.find((d) => d.kind === "ignore" && d.targetLine === line);
  const title = ignoreFixTitle(rule);
  if (existing) {
    if (existing.rules.includes(rule)) return undefined;
    return { title, safe: false, edits: [mergeInto(syntax, existing, rule)] };
  }
  const lineText = lineAt(syntax.text, line);
  const indent = /^[ \t]*/.exec(lineText)![0];
  const edit: TextEdit = {
    file: syntax.file,
    range: point(line, 0),
    newText: `${indent}//mapctx:ignore ${rule} ${IGNORE_REASON_PLACEHOLDER}\n`,
  };
  return { title, safe: false, edits: [edit] };
}

/** Adds `rule` to the directive's comma-separated list, keeping its reason. */
function mergeInto(syntax: Pick<FileSyntax, "file" | "text">, d: Directive, rule: string): TextEdit {
  const text = lineAt(syntax.text, d.range.start.line).slice(d.range.start.character, d.range.end.character);
  const m = /^(\/\/\s*mapctx:ignore\s+)([\w,-]+)/.exec(text);
  if (!m) {
    // A directive without a rule list: give it one, and a reason if it has none.
    const insertAt = d.range.start.character + text.length;
    return {
      file: syntax.file,
      range: point(d.range.start.line, insertAt),
      newText: ` ${rule} ${IGNORE_REASON_PLACEHOLDER}`,
    };
  }
  const at = d.range.start.character + m[0].length;
  return { file: syntax.file, range: point(d.range.start.line, at), newText: `,${rule}` };
}

/** What the top level of a Go file holds; anything else there is error recovery's. */
const TOP_LEVEL = new Set([
  "package_clause",
  "import_declaration",
  "const_declaration",
  "var_declaration",
  "type_declaration",
  "function_declaration",
  "method_declaration",
  "comment",
]);

function inBrokenDeclaration(syntax: Pick<FileSyntax, "tree">, line: number): boolean {
  for (const decl of syntax.tree.rootNode.children) {
    if (!decl) continue;
    if (decl.endPosition.row < line) continue;
    if (decl.startPosition.row > line) break;
    // Error recovery can leave a clean node that is no declaration (a function's body as a bare block).
    if (decl.hasError || !TOP_LEVEL.has(decl.type)) return true;
  }
  return false;
}

/** A line that starts inside a raw string or block comment cannot take a directive above it. */
function continuesMultiLineToken(syntax: Pick<FileSyntax, "tree">, line: number): boolean {
  for (let n = syntax.tree.rootNode.descendantForPosition({ row: line, column: 0 }); n; n = n.parent) {
    if ((n.type === "raw_string_literal" || n.type === "comment") && n.startPosition.row < line) return true;
  }
  return false;
}

function lineAt(text: string, line: number): string {
  let start = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return "";
    start = nl + 1;
  }
  const end = text.indexOf("\n", start);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, "");
}

function point(line: number, character: number): Range {
  return { start: { line, character }, end: { line, character } };
}
