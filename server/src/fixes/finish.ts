// Turns a rewrite's offset edits into gofmt-clean line edits, at a cost that
// follows the edited code rather than the file: edits are grouped by the
// top-level declaration they fall in, and only a group that can need gofmt's
// help (a trailing comment near a changed line, a var/const block, a moved
// binary expression) is formatted, by parsing that declaration on its own.
// Language servers compute fixes on every keystroke; a 10k-line file must not
// be re-parsed three times per finding.
import type { FileSyntax } from "../analysis/facts";
import type { TextEdit } from "../analysis/types";
import { parseGo, type Node } from "../parser";
import { diffLineHunks, gofmtRows, type OffsetEdit } from "./gofmt-lite";

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

/** Row of an offset, counting from a known row at a known offset before it. */
function rowOf(text: string, from: number, fromRow: number, offset: number): number {
  let row = fromRow;
  for (let i = text.indexOf("\n", from); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) row++;
  return row;
}

interface Group {
  start: number;
  end: number;
  edits: OffsetEdit[];
}

const OPERATOR = /\|\||&&|==|!=|<=|>=|<<|>>|&\^|[-+*/%|^<>&]/;

/** Whether a group's edits can leave something for gofmt to fix: alignment or operator spacing. */
function needsFormat(file: FileSyntax, g: Group): boolean {
  const text = file.text;
  if (g.edits.some((e) => OPERATOR.test(e.text.replace(/"(?:[^"\\\n]|\\.)*"|`[^`]*`|\/\/[^\n]*/g, "")))) return true;
  // Alignment: a comment after code, or a var/const block, in the run of non-blank lines around an edit.
  for (const e of g.edits) {
    let a = lineStartOf(text, e.start);
    for (let n = 0; n < 60 && a > 0; n++) {
      const prev = lineStartOf(text, a - 1);
      if (text.slice(prev, a - 1).trim() === "") break;
      a = prev;
    }
    let b = nextLineStart(text, e.end);
    for (let n = 0; n < 60 && b < text.length; n++) {
      const next = nextLineStart(text, b);
      if (text.slice(b, next).trim() === "") break;
      b = next;
    }
    const around = text.slice(a, b) + e.text;
    if (/\S[ \t]*(\/\/|\/\*)/.test(around) || /^\s*(var|const)\s*\(/m.test(around)) return true;
    if (/^\s*(var|const)\s*\(/m.test(text.slice(lineStartOf(text, g.start), g.end))) return true;
  }
  return false;
}

/**
 * The spans of the top-level named nodes, in order, read with a cursor.
 * (tree-sitter's firstNamedChildForIndex can answer differently on a tree
 * that was edited and parsed again, so the same text would get differently
 * grouped edits in the editor than in the CLI.)
 */
function topSpans(root: Node): [number, number][] {
  const out: [number, number][] = [];
  const cursor = root.walk();
  try {
    if (!cursor.gotoFirstChild()) return out;
    do if (cursor.nodeIsNamed) out.push([cursor.startIndex, cursor.endIndex]);
    while (cursor.gotoNextSibling());
  } finally {
    cursor.delete();
  }
  return out;
}

/** The index of the last span starting at or before `at` (-1 when none does). */
function lastStartingBy(spans: readonly [number, number][], at: number): number {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]![0] <= at) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}

/** The top-level node that contains [start, end], or null when the range lies between (or across) them. */
function topAt(root: Node, spans: readonly [number, number][], start: number, end: number): Node | null {
  const i = lastStartingBy(spans, start);
  return i >= 0 && start < spans[i]![1] && end <= spans[i]![1] ? root.namedChild(i) : null;
}

/** The last top-level node that ends at or before `at`. */
function topBefore(root: Node, spans: readonly [number, number][], at: number): Node | null {
  let i = lastStartingBy(spans, at);
  while (i >= 0 && spans[i]![1] > at) i--;
  return i >= 0 ? root.namedChild(i) : null;
}

/** Parses a declaration on its own (after a package clause) and lays out its changed rows as gofmt would. */
function formatSnippet(text: string, rows: ReadonlySet<number>): string {
  const header = "package p\n\n";
  const shifted = new Set([...rows].map((r) => r + 2));
  const full = header + text;
  const tree = parseGo(full);
  if (!tree) return text;
  try {
    if (tree.rootNode.hasError) return text;
    const out = gofmtRows(full, tree, shifted);
    return out.startsWith(header) ? out.slice(header.length) : text;
  } finally {
    tree.delete();
  }
}

/**
 * The line edits for one file: `raw` (non-overlapping offset edits of
 * `file.text`) applied, the groups that need it formatted, and the result
 * compared line by line with the original.
 */
export function finishFile(file: FileSyntax, raw: readonly OffsetEdit[]): TextEdit[] {
  const text = file.text;
  const root = file.tree.rootNode;
  const sorted = [...raw].sort((a, b) => a.start - b.start || a.end - b.end);
  const groups: Group[] = [];
  const spans = topSpans(root);
  for (const e of sorted) {
    const top = topAt(root, spans, e.start, e.end);
    let start = top ? top.startIndex : e.start;
    let end = top ? top.endIndex : e.end;
    if (!top) {
      // Text inserted right after a declaration (a mutex beside a var, an init after it) goes with it.
      const prev = topBefore(root, spans, e.start);
      if (prev && prev.type !== "comment" && nextLineStart(text, prev.endIndex) === e.start) start = prev.startIndex;
    } else if (
      top.startPosition.row === top.endPosition.row &&
      (top.type === "var_declaration" || top.type === "const_declaration")
    ) {
      // A single-line declaration aligns its trailing comment with its neighbours.
      for (
        let p = top.previousNamedSibling;
        p && p.endPosition.row === p.startPosition.row && rowGap(text, p.endIndex, start) === 0;
        p = p.previousNamedSibling
      )
        start = p.startIndex;
      for (
        let n = top.nextNamedSibling;
        n && n.endPosition.row === n.startPosition.row && rowGap(text, end, n.startIndex) === 0;
        n = n.nextNamedSibling
      )
        end = n.endIndex;
    }
    const last = groups[groups.length - 1];
    if (last && start <= last.end) {
      last.end = Math.max(last.end, end);
      last.edits.push(e);
    } else groups.push({ start, end, edits: [e] });
  }
  const out: TextEdit[] = [];
  let cursor = 0;
  let cursorRow = 0;
  for (const g of groups) {
    const a = lineStartOf(text, Math.min(g.start, ...g.edits.map((e) => e.start)));
    const b = nextLineStart(text, Math.max(g.end, ...g.edits.map((e) => e.end)));
    const baseRow = rowOf(text, cursor, cursorRow, a);
    cursor = a;
    cursorRow = baseRow;
    // The group's new text and the rows (of it) that the edits wrote.
    let s = "";
    let at = a;
    const rows = new Set<number>();
    for (const e of g.edits) {
      s += text.slice(at, e.start);
      const from = countNewlines(s);
      s += e.text;
      const to = countNewlines(s);
      for (let r = from; r <= to; r++) rows.add(r);
      at = e.end;
    }
    s += text.slice(at, b);
    const formatted = needsFormat(file, g) ? formatSnippet(s, rows) : s;
    const oldLines = text.slice(a, b).split(/(?<=\n)/);
    const newLines = formatted.split(/(?<=\n)/);
    for (const [a0, a1, b0, b1] of diffLineHunks(oldLines, newLines)) {
      out.push({
        file: file.file,
        range: { start: { line: baseRow + a0, character: 0 }, end: { line: baseRow + a1, character: 0 } },
        newText: newLines.slice(b0, b1).join(""),
      });
    }
  }
  return out;
}

/**
 * Deletions of the imports a rewrite leaves unused: a package whose every use
 * in code lay inside replaced text, and that no new text mentions.
 */
export function unusedImportEdits(file: FileSyntax, raw: readonly OffsetEdit[]): OffsetEdit[] {
  const text = file.text;
  const root = file.tree.rootNode;
  const out: OffsetEdit[] = [];
  for (const [name] of Object.entries(file.summary.imports)) {
    const re = new RegExp(`(?<![\\w.])${name.replace(/\W/g, "")}\\s*\\.`, "g");
    if (!raw.some((e) => text.slice(e.start, e.end).search(re) >= 0)) continue;
    if (raw.some((e) => new RegExp(re.source).test(e.text))) continue;
    let usedOutside = false;
    for (let m = re.exec(text); m && !usedOutside; m = re.exec(text)) {
      const n = root.descendantForIndex(m.index, m.index + name.length);
      if (!n || n.text !== name || (n.type !== "identifier" && n.type !== "package_identifier")) continue;
      if (!raw.some((e) => e.start <= m!.index && m!.index < e.end)) usedOutside = true;
    }
    if (usedOutside) continue;
    const spec = importSpecNamed(root, name, file.summary.imports[name]!);
    if (!spec || spec.startPosition.row !== spec.endPosition.row) continue;
    const decl = spec.parent?.type === "import_declaration" ? spec.parent : null;
    const node = decl ?? spec;
    const a = lineStartOf(text, node.startIndex);
    let b = nextLineStart(text, node.endIndex);
    // A whole declaration between blank lines takes one of them along, unless something is inserted there.
    const blankBefore = a > 0 && text.slice(lineStartOf(text, a - 1), a).trim() === "";
    const blankAfter = text.slice(b, nextLineStart(text, b)).trim() === "" && b < text.length;
    if (decl && blankBefore && blankAfter && !raw.some((e) => e.start === b || e.start === a))
      b = nextLineStart(text, b);
    out.push({ start: a, end: b, text: "" });
  }
  return out;
}

function importSpecNamed(root: Node, name: string, path: string): Node | null {
  for (let d = root.firstNamedChild; d; d = d.nextNamedSibling) {
    if (d.type === "function_declaration" || d.type === "method_declaration") break;
    if (d.type !== "import_declaration") continue;
    const list = d.namedChildren.find((c) => c?.type === "import_spec_list");
    for (const spec of (list ?? d).namedChildren) {
      if (spec?.type !== "import_spec") continue;
      const p = (spec.childForFieldName("path")?.text ?? "").replace(/^["`]|["`]$/g, "");
      const alias = spec.childForFieldName("name")?.text;
      if (p === path && (alias === undefined || alias === name)) return spec;
    }
  }
  return null;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** Blank lines between two offsets (0 when the second starts on the line after the first ends). */
function rowGap(text: string, from: number, to: number): number {
  return Math.max(0, countNewlines(text.slice(from, to)) - 1);
}
