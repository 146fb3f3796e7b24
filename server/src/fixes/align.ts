// gofmt aligns the trailing comments of neighbouring lines. An edit that makes a
// line longer or shorter, or puts a new line between two of them, must move the
// other comments of that run as gofmt would, or the fix leaves unformatted code.
import type { FileSyntax } from "../analysis/facts";
import type { Position, TextEdit } from "../analysis/types";
import { lineStarts, positionOfOffset } from "../analysis/lines";
import type { Node, Tree } from "../parser";
import { runeWidth, tabFormat } from "./tabwriter";

/** One source line split the way gofmt's tabwriter sees a statement line. */
interface Lexed {
  /** Offset of the line's first character in its text. */
  start: number;
  /** Leading tabs. */
  indent: number;
  /** Code after the indentation, without trailing blanks. */
  code: string;
  /** Offset just after the code (where the padding before the comment starts). */
  codeEnd: number;
  /** Offset of a trailing `//` comment, or -1. */
  commentStart: number;
  /** Whether the line starts inside a raw string or block comment, holds a block comment, or is indented with spaces: its alignment is not modelled. */
  opaque: boolean;
}

type State = "code" | "raw" | "block";

/** Lexes the lines of `text` (or of `text.slice(from, to)`, which must start in code at a line start). */
function lexLines(text: string, from = 0, to = text.length): Lexed[] {
  const out: Lexed[] = [];
  let state: State = "code";
  let i = from;
  while (i <= to) {
    const nl = text.indexOf("\n", i);
    const end = nl < 0 || nl > to ? to : nl;
    const startState = state;
    let opaque = startState !== "code";
    let j = i;
    let indent = 0;
    if (state === "code") {
      while (text[j] === "\t") {
        indent++;
        j++;
      }
      if (text[j] === " " && j < end) opaque = true;
    }
    let commentStart = -1;
    let lastCode = -1;
    while (j < end) {
      const c = text[j]!;
      if (state === "raw") {
        const close = text.indexOf("`", j);
        if (close < 0 || close >= end) {
          j = end;
          break;
        }
        j = close + 1;
        state = "code";
        lastCode = j - 1;
        continue;
      }
      if (state === "block") {
        const close = text.indexOf("*/", j);
        if (close < 0 || close >= end) {
          j = end;
          break;
        }
        j = close + 2;
        state = "code";
        continue;
      }
      if (c === "/" && text[j + 1] === "/") {
        commentStart = j;
        break;
      }
      if (c === "/" && text[j + 1] === "*") {
        // Block comments inside or after code: their alignment is not modelled.
        opaque = true;
        state = "block";
        j += 2;
        continue;
      }
      if (c === '"' || c === "'") {
        let k = j + 1;
        while (k < end && text[k] !== c) k += text[k] === "\\" ? 2 : 1;
        lastCode = Math.min(k, end - 1);
        j = k + 1;
        continue;
      }
      if (c === "`") {
        state = "raw";
        opaque = true;
        lastCode = j;
        j++;
        continue;
      }
      if (c !== " " && c !== "\t" && c !== "\r") lastCode = j;
      j++;
    }
    if (state !== "code") opaque = true;
    const codeStart = i + indent;
    const codeEnd = lastCode >= codeStart ? lastCode + 1 : codeStart;
    out.push({
      start: i,
      indent,
      code: text.slice(codeStart, codeEnd),
      codeEnd,
      commentStart,
      opaque,
    });
    if (nl < 0 || nl >= to) break;
    i = nl + 1;
  }
  return out;
}

function hasTrailingComment(l: Lexed): boolean {
  return !l.opaque && l.code !== "" && l.commentStart >= 0;
}

const CASE = /^(case\b|default\s*:)/;
const CLOSES = /^[)}\]]/;

/**
 * Whether gofmt aligns the comments of two consecutive lines: same depth, both
 * with code and a trailing comment, and no section break between them (a case
 * clause starts one, and so does the statement after a multi-line one).
 */
function joins(a: Lexed, b: Lexed): boolean {
  return (
    hasTrailingComment(a) &&
    hasTrailingComment(b) &&
    a.indent === b.indent &&
    !CASE.test(b.code) &&
    !CLOSES.test(a.code)
  );
}

/**
 * For lines whose alignment has more cells than code and comment (keyed elements
 * of multi-line composite literals, struct fields, specs of grouped
 * declarations), the column where the last cell starts; -1 for other lines.
 */
function lastCellColumn(tree: Tree, line: number, column: number): number {
  let n: Node | null = tree.rootNode.descendantForPosition({ row: line, column });
  for (; n; n = n.parent) {
    if (n.startPosition.row !== line) return -1;
    let last: Node | null | undefined;
    switch (n.type) {
      case "keyed_element":
        if (n.parent?.startPosition.row === n.parent?.endPosition.row) return -1;
        last = n.namedChildren[n.namedChildren.length - 1];
        break;
      case "field_declaration":
        last = n.childForFieldName("tag") ?? n.childForFieldName("type");
        break;
      case "import_spec":
        last = n.childForFieldName("path");
        break;
      case "var_spec":
      case "const_spec": {
        const grouped =
          n.parent?.type === "var_spec_list" ||
          (n.parent?.type === "const_declaration" && n.parent.children.some((c) => c?.type === "("));
        if (!grouped) return -1;
        last = n.childForFieldName("value") ?? n.childForFieldName("type");
        break;
      }
      case "statement_list":
      case "block":
      case "source_file":
        return -1;
      default:
        continue;
    }
    return last && last.startPosition.row === line ? last.startPosition.column : Number.MAX_SAFE_INTEGER;
  }
  return -1;
}

interface Resolved {
  start: number;
  end: number;
  text: string;
}

/** Where an offset of the edited text comes from: the original text, or an edit's new text. */
type Origin = { kind: "old"; offset: number } | { kind: "edit"; index: number; offset: number };

function offsetOf(starts: number[], text: string, p: Position): number {
  if (p.line >= starts.length) return text.length;
  const s = starts[p.line]!;
  const next = p.line + 1 < starts.length ? starts[p.line + 1]! - 1 : text.length;
  return Math.min(s + p.character, next);
}

/**
 * The edits of one file plus what keeps trailing comments aligned as gofmt
 * would: padding changes on the neighbours of edited lines, and padding inside
 * inserted text. Null when an edited run of comments involves a construct whose
 * alignment this does not reproduce (struct fields, keyed elements, grouped
 * specs, block comments, multi-line raw strings): the caller offers no fix then.
 * Edits must not overlap.
 */
export function alignComments(
  syntax: Pick<FileSyntax, "file" | "text" | "tree">,
  edits: readonly TextEdit[],
): TextEdit[] | null {
  const text = syntax.text;
  const mine = edits.filter((e) => e.file === syntax.file);
  if (mine.length === 0) return [...edits];
  const starts = lineStarts(text);
  const resolved: Resolved[] = mine
    .map((e) => ({
      start: offsetOf(starts, text, e.range.start),
      end: offsetOf(starts, text, e.range.end),
      text: e.newText,
    }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < resolved.length; i++) if (resolved[i]!.start < resolved[i - 1]!.end) return null;

  // An edit before the last cell of a line with several cells moves that line's columns.
  for (const r of resolved) {
    const p = positionOfOffset(starts, r.start);
    const first = /^\s*/.exec(text.slice(starts[p.line]!, r.start))![0].length;
    const col = lastCellColumn(syntax.tree, p.line, Math.min(first, p.character));
    if (col >= 0 && p.character < col) return null;
  }

  // The edited text, and for each of its offsets where it comes from.
  const segments: { newStart: number; origin: Origin; length: number }[] = [];
  let out = "";
  let last = 0;
  resolved.forEach((r, index) => {
    if (r.start > last)
      segments.push({ newStart: out.length, origin: { kind: "old", offset: last }, length: r.start - last });
    out += text.slice(last, r.start);
    if (r.text.length)
      segments.push({ newStart: out.length, origin: { kind: "edit", index, offset: 0 }, length: r.text.length });
    out += r.text;
    last = r.end;
  });
  segments.push({ newStart: out.length, origin: { kind: "old", offset: last }, length: text.length - last });
  out += text.slice(last);
  const originOf = (offset: number, preferOld: boolean): Origin => {
    let best: Origin | undefined;
    for (const s of segments) {
      if (offset < s.newStart || offset > s.newStart + s.length) continue;
      const at: Origin = { ...s.origin, offset: s.origin.offset + offset - s.newStart };
      if (offset < s.newStart + s.length) return at;
      // At a boundary: the end of one segment is the start of the next.
      if (!best || (preferOld && at.kind === "old")) best = at;
    }
    return best ?? { kind: "old", offset: text.length };
  };

  const lines = lexLines(out);
  const newStarts = lines.map((l) => l.start);
  const lineAt = (offset: number): number => positionOfOffset(newStarts, offset).line;
  // Lines around every edit: the edited lines and their neighbours, whose run of comments may have split or grown.
  const seeds = new Set<number>();
  for (const s of segments) {
    if (s.origin.kind !== "edit") continue;
    const a = lineAt(s.newStart);
    const b = lineAt(s.newStart + s.length);
    for (let l = Math.max(0, a - 1); l <= Math.min(lines.length - 1, b + 1); l++) seeds.add(l);
  }
  for (const r of resolved) {
    if (r.text.length) continue;
    // A deletion: the lines that met where text was removed.
    const at = segments.find((s) => s.origin.kind === "old" && s.origin.offset === r.end);
    if (!at) continue;
    const l = lineAt(at.newStart);
    for (let k = Math.max(0, l - 1); k <= Math.min(lines.length - 1, l + 1); k++) seeds.add(k);
  }

  const padding = new Map<number, number>();
  const done = new Set<number>();
  for (const seed of [...seeds].sort((x, y) => x - y)) {
    if (done.has(seed) || !hasTrailingComment(lines[seed]!)) continue;
    let a = seed;
    let b = seed;
    while (a > 0 && joins(lines[a - 1]!, lines[a]!)) a--;
    while (b + 1 < lines.length && joins(lines[b]!, lines[b + 1]!)) b++;
    // A neighbour whose alignment is not modelled might belong to the run.
    for (const k of [a - 1, b + 1]) {
      const n = lines[k];
      if (n?.opaque && n.indent === lines[seed]!.indent && n.code !== "") return null;
    }
    let max = 0;
    for (let k = a; k <= b; k++) max = Math.max(max, runeWidth(lines[k]!.code));
    let changed = false;
    for (let k = a; k <= b; k++) {
      done.add(k);
      const l = lines[k]!;
      const want = max - runeWidth(l.code) + 1;
      if (l.commentStart - l.codeEnd !== want) {
        padding.set(k, want);
        changed = true;
      }
    }
    if (!changed) continue;
    // Lines with more alignment cells than code and comment are not modelled.
    for (let k = a; k <= b; k++) {
      const from = originOf(lines[k]!.start + lines[k]!.indent, true);
      if (from.kind !== "old") continue;
      const oldLine = positionOfOffset(starts, from.offset).line;
      if (lastCellColumn(syntax.tree, oldLine, from.offset - starts[oldLine]!) >= 0) return null;
    }
  }

  const texts = resolved.map((r) => r.text);
  const ends = resolved.map((r) => r.end);
  const patches = new Map<number, { from: number; to: number; text: string }[]>();
  const extra: Resolved[] = [];
  for (const [k, want] of padding) {
    const l = lines[k]!;
    const from = originOf(l.codeEnd, true);
    const to = originOf(l.commentStart, false);
    if (from.kind === "old") {
      if (to.kind !== "old") return null;
      extra.push({ start: from.offset, end: to.offset, text: " ".repeat(want) });
    } else if (to.kind === "edit" && to.index === from.index) {
      const list = patches.get(from.index) ?? [];
      list.push({ from: from.offset, to: to.offset, text: " ".repeat(want) });
      patches.set(from.index, list);
    } else if (to.kind === "old" && ends[from.index] !== undefined && to.offset >= ends[from.index]!) {
      // The code ends in an edit and the padding continues in old text: the edit takes the padding over.
      const cut = texts[from.index]!.slice(0, from.offset);
      texts[from.index] = cut + " ".repeat(want);
      ends[from.index] = to.offset;
    } else {
      return null;
    }
  }
  for (const [index, list] of patches) {
    let t = texts[index]!;
    for (const p of list.sort((x, y) => y.from - x.from)) t = t.slice(0, p.from) + p.text + t.slice(p.to);
    texts[index] = t;
  }
  const all: Resolved[] = resolved.map((r, i) => ({ start: r.start, end: ends[i]!, text: texts[i]! }));
  for (const e of extra) {
    if (all.some((r) => e.start < r.end && r.start < e.end)) return null;
    all.push(e);
  }
  all.sort((x, y) => x.start - y.start || x.end - y.end);
  const result: TextEdit[] = edits.filter((e) => e.file !== syntax.file);
  for (const r of all) {
    result.push({
      file: syntax.file,
      range: { start: positionOfOffset(starts, r.start), end: positionOfOffset(starts, r.end) },
      newText: r.text,
    });
  }
  return result;
}

interface Row {
  /** Cells ended by a tab stop. */
  cells: string[];
  /** Text after the last cell (a comment), not aligned. */
  trailing: string;
}

/** A change to one spec of a grouped declaration: new names text and/or type text ("" removes the type). */
export interface SpecChange {
  names?: string;
  type?: string;
}

/**
 * Re-renders a parenthesised `const (...)` or `var (...)` declaration as gofmt
 * would after changing the names or types of some specs: gofmt aligns names,
 * types, values and comments in columns, so one new type moves every line of
 * its section. Returns the edit replacing the lines inside the parentheses, or
 * null when a spec spans several lines or the group is not laid out one spec or
 * comment per line.
 */
export function rewriteSpecGroup(
  syntax: Pick<FileSyntax, "file" | "text">,
  decl: Node,
  changes: ReadonlyMap<number, SpecChange>,
): TextEdit | null {
  const children =
    decl.type === "var_declaration"
      ? (decl.namedChildren.find((c) => c?.type === "var_spec_list")?.children ?? [])
      : decl.children;
  const open = children.find((c) => c?.type === "(");
  const close = children.find((c) => c?.type === ")");
  if (!open || !close || close.startPosition.row <= open.startPosition.row) return null;
  const specs = children.filter((c): c is Node => c?.type === "const_spec" || c?.type === "var_spec");
  // gofmt keeps the type column for a run of valued specs when one of them has a type.
  const typeOf = (s: Node): string | undefined => {
    const ch = changes.get(s.id);
    if (ch?.type !== undefined) return ch.type === "" ? undefined : ch.type;
    return s.childForFieldName("type")?.text;
  };
  const keep = new Map<number, boolean>();
  let runStart = -1;
  let keepType = false;
  const close_ = (to: number) => {
    for (let i = runStart; i < to; i++) keep.set(specs[i]!.id, keepType);
  };
  specs.forEach((s, i) => {
    if (s.childForFieldName("value")) {
      if (runStart < 0) {
        runStart = i;
        keepType = false;
      }
    } else if (runStart >= 0) {
      close_(i);
      runStart = -1;
    }
    if (typeOf(s) !== undefined) keepType = true;
  });
  if (runStart >= 0) close_(specs.length);

  const rows: (Row | null)[] = [];
  const firstRow = open.startPosition.row + 1;
  const lastRow = close.startPosition.row - 1;
  if (open.endPosition.row !== open.startPosition.row) return null;
  // What sits on each line: a spec (with its trailing comment) or a comment line.
  const items = children.filter(
    (c): c is Node => !!c && (c.type === "comment" || c.type === "const_spec" || c.type === "var_spec"),
  );
  let row = firstRow;
  for (let k = 0; k < items.length; k++) {
    const it = items[k]!;
    if (it.startPosition.row < firstRow || it.startPosition.row > lastRow) return null;
    if (it.endPosition.row !== it.startPosition.row) return null;
    while (row < it.startPosition.row) {
      rows.push(null);
      row++;
    }
    if (it.startPosition.row < row) return null;
    if (it.type === "comment") {
      rows.push({ cells: [], trailing: it.text });
      row++;
      continue;
    }
    const next = items[k + 1];
    const comment = next?.type === "comment" && next.startPosition.row === it.startPosition.row ? next : undefined;
    if (comment) k++;
    const ch = changes.get(it.id);
    const names =
      ch?.names ??
      it
        .childrenForFieldName("name")
        .filter((n) => n?.type === "identifier")
        .map((n) => n!.text)
        .join(", ");
    const type = typeOf(it);
    const value = it.childForFieldName("value");
    const cells: string[] = [names];
    let extra = 3;
    if (type !== undefined || keep.get(it.id)) {
      cells.push(type ?? "");
      extra--;
    }
    if (value) {
      cells.push(`= ${value.text}`);
      extra--;
    }
    let trailing = "";
    if (comment) {
      for (; extra > 0; extra--) cells.push("");
      trailing = comment.text;
    } else {
      // The last cell is not ended by a tab stop: it is trailing text.
      trailing = cells.pop()!;
    }
    rows.push({ cells, trailing });
    row++;
  }
  while (row <= lastRow) {
    rows.push(null);
    row++;
  }
  const out: string[] = [];
  let run: Row[] = [];
  const lineStart = syntax.text.lastIndexOf("\n", decl.startIndex - 1) + 1;
  const indent = `${/^\t*/.exec(syntax.text.slice(lineStart, decl.startIndex))![0]}\t`;
  const flush = () => {
    for (const l of tabFormat(run.map((r) => [...r.cells, r.trailing]))) out.push(l === "" ? "" : `${indent}${l}`);
    run = [];
  };
  for (const r of rows) {
    if (r === null) {
      flush();
      out.push("");
    } else run.push(r);
  }
  flush();
  const lines = syntax.text.split("\n");
  const endCol = lines[lastRow]?.length ?? 0;
  return {
    file: syntax.file,
    range: { start: { line: firstRow, character: 0 }, end: { line: lastRow, character: endCol } },
    newText: out.join("\n"),
  };
}
