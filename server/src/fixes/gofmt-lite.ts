// The parts of gofmt that rewrites can disturb: column alignment and the
// blanks around binary operators. gofmt pads trailing comments of consecutive
// statements and the columns of var/const blocks with a tabwriter, and spaces
// operators by nesting depth; a fix that changes one line of such a run, or
// moves an expression into a call, must lay it out again or `gofmt -l` lists
// the file. Only the runs and expressions on changed rows are touched.
import { lineStarts, positionOfOffset } from "../analysis/lines";
import { parseGo, type Edit, type Node, type Tree } from "../parser";
import { tabFormat } from "./tabwriter";

interface Row {
  row: number;
  /** Cells of the line after its indentation. */
  cells: string[];
}

/** The column where a trailing comment starts on `row`, if the line ends in one after code. */
function trailingComment(root: Node, lines: readonly string[], row: number): number | null {
  const line = lines[row] ?? "";
  const end = line.replace(/\s+$/, "").length;
  if (end === 0) return null;
  const node = root.descendantForPosition({ row, column: end - 1 });
  if (node?.type !== "comment" || node.startPosition.row !== row || node.endPosition.row !== row) return null;
  const col = node.startPosition.column;
  return line.slice(0, col).trim() === "" ? null : col;
}

function indentOf(line: string): string {
  return /^\s*/.exec(line)![0];
}

/** A statement line: its code, then its trailing comment if any. */
function statementCells(root: Node, lines: readonly string[], row: number): string[] {
  const line = lines[row]!;
  const indent = indentOf(line).length;
  const c = trailingComment(root, lines, row);
  if (c === null) return [line.slice(indent).replace(/\s+$/, "")];
  return [line.slice(indent, c).replace(/\s+$/, ""), line.slice(c).replace(/\s+$/, "")];
}

/** gofmt's keepTypeColumn: in a run of specs with values, the type column stays when any of them has a type. */
function keepTypeColumn(specs: readonly Node[]): boolean[] {
  const keep = specs.map(() => false);
  let i0 = -1;
  let keepType = false;
  const populate = (i: number, j: number): void => {
    if (keepType) for (; i < j; i++) keep[i] = true;
  };
  specs.forEach((s, i) => {
    if (s.childForFieldName("value")) {
      if (i0 < 0) {
        i0 = i;
        keepType = false;
      }
    } else if (i0 >= 0) {
      populate(i0, i);
      i0 = -1;
    }
    if (s.childForFieldName("type")) keepType = true;
  });
  if (i0 >= 0) populate(i0, specs.length);
  return keep;
}

/** The cells gofmt makes of a var/const spec's first line: names, type, `= values`, comment. */
function specCells(root: Node, lines: readonly string[], spec: Node, keepType: boolean): string[] {
  const row = spec.startPosition.row;
  const line = lines[row]!;
  const names = spec.childrenForFieldName("name").filter((n): n is Node => !!n);
  const cells = [names.map((n) => n.text).join(", ")];
  const type = spec.childForFieldName("type");
  const value = spec.childForFieldName("value");
  const restOfLine = (n: Node): string =>
    n.endPosition.row === row ? n.text : line.slice(n.startPosition.column).replace(/\s+$/, "");
  let extra = 3;
  if (type || keepType) {
    cells.push(type ? restOfLine(type) : "");
    extra--;
    if (type && type.endPosition.row !== row) return cells;
  }
  if (value) {
    cells.push(`= ${restOfLine(value)}`);
    extra--;
    if (value.endPosition.row !== row) return cells;
  }
  const c = spec.endPosition.row === row ? trailingComment(root, lines, row) : null;
  if (c !== null) {
    for (; extra > 0; extra--) cells.push("");
    cells.push(line.slice(c).replace(/\s+$/, ""));
  }
  return cells;
}

/** Items of a list: statements or specs, and whole-line comments; trailing comments belong to the line before. */
function items(list: Node): Node[] {
  const out: Node[] = [];
  for (const c of list.namedChildren) {
    if (!c) continue;
    const prev = out[out.length - 1];
    if (c.type === "comment" && prev && prev.endPosition.row === c.startPosition.row) continue;
    out.push(c);
  }
  return out;
}

/** Splits the items of a list into gofmt's alignment sections: a blank line, a comment line or a multi-line item ends one. */
function sections(list: Node): Node[][] {
  const out: Node[][] = [];
  let cur: Node[] = [];
  let prev: Node | null = null;
  for (const it of items(list)) {
    const breaks =
      !prev ||
      prev.type === "comment" ||
      it.type === "comment" ||
      prev.endPosition.row > prev.startPosition.row ||
      it.startPosition.row > prev.endPosition.row + 1;
    if (breaks && cur.length) {
      out.push(cur);
      cur = [];
    }
    if (it.type !== "comment") cur.push(it);
    prev = it;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** A parenthesised var or const group: tree-sitter-go puts const specs directly in the declaration. */
function isSpecList(n: Node): boolean {
  return n.type === "var_spec_list" || (n.type === "const_declaration" && n.children.some((c) => c?.type === "("));
}

/** The innermost list whose alignment a change on `row` can affect. */
export function listAt(root: Node, lines: readonly string[], row: number): Node | null {
  const line = lines[row] ?? "";
  const col = indentOf(line).length;
  if (col >= line.length) return null;
  for (let n: Node | null = root.descendantForPosition({ row, column: col }); n; n = n.parent) {
    if (n.type === "statement_list" || isSpecList(n) || n.type === "source_file") {
      // Only the first line of an item aligns with its neighbours.
      const item = n.namedChildren.find((c) => c && c.startPosition.row <= row && row <= c.endPosition.row);
      return item && item.startPosition.row === row ? n : null;
    }
  }
  return null;
}

/**
 * Re-aligns, as gofmt would, the sections of statement lists and var/const
 * blocks that contain one of `rows` (0-based lines of `text`). Top-level
 * sections that hold functions are left alone.
 */
export function realign(text: string, rows: Iterable<number>): string {
  const tree = parseGo(text);
  if (!tree) return text;
  try {
    return realignTree(text, tree.rootNode, rows);
  } finally {
    tree.delete();
  }
}

function realignTree(text: string, root: Node, rows: Iterable<number>): string {
  {
    const lines = text.split("\n");
    const wanted = new Set(rows);
    const lists = new Map<number, Node>();
    for (const r of wanted) {
      const l = listAt(root, lines, r);
      if (l) lists.set(l.id, l);
    }
    for (const list of lists.values()) {
      const isSpec = isSpecList(list);
      const keep = isSpec
        ? keepTypeColumn(
            list.namedChildren.filter((c): c is Node => c?.type === "var_spec" || c?.type === "const_spec"),
          )
        : [];
      const specIndex = new Map<number, number>();
      if (isSpec)
        list.namedChildren
          .filter((c): c is Node => c?.type === "var_spec" || c?.type === "const_spec")
          .forEach((s, i) => specIndex.set(s.id, i));
      for (const sec of sections(list)) {
        if (!sec.some((it) => wanted.has(it.startPosition.row))) continue;
        if (
          list.type === "source_file" &&
          sec.some((it) => it.type !== "var_declaration" && it.type !== "const_declaration")
        )
          continue;
        const rowsOf: Row[] = sec.map((it) => ({
          row: it.startPosition.row,
          cells: isSpec
            ? specCells(root, lines, it, keep[specIndex.get(it.id) ?? 0] ?? false)
            : statementCells(root, lines, it.startPosition.row),
        }));
        const formatted = tabFormat(rowsOf.map((r) => r.cells));
        rowsOf.forEach((r, i) => {
          lines[r.row] = indentOf(lines[r.row]!) + formatted[i]!;
        });
      }
    }
    return lines.join("\n");
  }
}

// ---- binary operator spacing ------------------------------------------------

const PREC: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  "+": 4,
  "-": 4,
  "|": 4,
  "^": 4,
  "*": 5,
  "/": 5,
  "%": 5,
  "<<": 5,
  ">>": 5,
  "&": 5,
  "&^": 5,
};

function opOf(b: Node): string {
  return b.childForFieldName("operator")?.text ?? "";
}

function diffPrec(e: Node, prec: number): number {
  return e.type === "binary_expression" && PREC[opOf(e)] === prec ? 0 : 1;
}

/** go/printer's walkBinary: which precedences a binary tree mixes, and spacing problems. */
function walkBinary(e: Node): { has4: boolean; has5: boolean; maxProblem: number } {
  const prec = PREC[opOf(e)] ?? 0;
  let has4 = prec === 4;
  let has5 = prec === 5;
  let maxProblem = 0;
  const l = e.childForFieldName("left");
  const r = e.childForFieldName("right");
  if (l?.type === "binary_expression" && (PREC[opOf(l)] ?? 0) >= prec) {
    const w = walkBinary(l);
    has4 ||= w.has4;
    has5 ||= w.has5;
    maxProblem = Math.max(maxProblem, w.maxProblem);
  }
  if (r?.type === "binary_expression") {
    if ((PREC[opOf(r)] ?? 0) > prec) {
      const w = walkBinary(r);
      has4 ||= w.has4;
      has5 ||= w.has5;
      maxProblem = Math.max(maxProblem, w.maxProblem);
    }
  } else if (r?.type === "unary_expression") {
    const pair = opOf(e) + (r.childForFieldName("operator")?.text ?? "");
    if (pair === "/*" || pair === "&&" || pair === "&^") maxProblem = 5;
    else if ((pair === "++" || pair === "--") && maxProblem < 4) maxProblem = 4;
  }
  return { has4, has5, maxProblem };
}

function cutoff(e: Node, depth: number): number {
  const { has4, has5, maxProblem } = walkBinary(e);
  if (maxProblem > 0) return maxProblem + 1;
  if (has4 && has5) return depth === 1 ? 5 : 4;
  return depth === 1 ? 6 : 4;
}

function argCount(list: Node): number {
  return list.namedChildren.filter((c) => c && c.type !== "comment").length;
}

/** The nesting depth go/printer prints an expression at (it decides the blanks around binary operators). */
export function printDepth(n: Node): number {
  const p = n.parent;
  if (!p) return 1;
  switch (p.type) {
    case "parenthesized_expression":
      return Math.max(1, printDepth(p) - 1);
    case "binary_expression": {
      const d = printDepth(p);
      return p.childForFieldName("left")?.id === n.id ? d + diffPrec(n, PREC[opOf(p)] ?? 0) : d + 1;
    }
    case "argument_list": {
      const call = p.parent;
      return (call ? printDepth(call) : 1) + (argCount(p) > 1 ? 1 : 0);
    }
    case "call_expression": {
      const args = p.childForFieldName("arguments");
      return printDepth(p) + (args && argCount(args) > 1 ? 1 : 0);
    }
    case "index_expression":
    case "slice_expression":
      return p.childForFieldName("operand")?.id === n.id ? 1 : printDepth(p) + 1;
    case "selector_expression":
      return printDepth(p);
    case "type_assertion_expression":
      return p.childForFieldName("operand")?.id === n.id ? printDepth(p) : 1;
    case "unary_expression":
      return p.childForFieldName("operator")?.text === "*" ? 1 : printDepth(p);
    case "expression_list": {
      const st = p.parent;
      if (st && (st.type === "assignment_statement" || st.type === "short_var_declaration")) {
        const l = st.childForFieldName("left");
        const r = st.childForFieldName("right");
        if (l && r && argCount(l) > 1 && argCount(r) > 1) return 2;
      }
      return 1;
    }
    case "inc_statement":
    case "dec_statement":
      return 2;
  }
  return 1;
}

/** Whether some row of the sorted list lies in [from, to]. */
function anyRowIn(sorted: readonly number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo]! <= to;
}

/** A text replacement by offsets in the text it applies to. */
export interface OffsetEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * Parses `newText` incrementally from the tree of `oldText`, given the
 * non-overlapping edits that turn one into the other. The old tree is not
 * changed (a copy is edited). The caller deletes the result.
 */
export function reparse(oldText: string, oldTree: Tree, edits: readonly OffsetEdit[], newText: string): Tree | null {
  const copy = oldTree.copy();
  try {
    const starts = lineStarts(oldText);
    const pointAt = (offset: number) => {
      const p = positionOfOffset(starts, offset);
      return { row: p.line, column: p.character };
    };
    // From the last edit back: earlier offsets stay valid in the text being described.
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
      const startPosition = pointAt(e.start);
      const lines = e.text.split("\n");
      const newEndPosition =
        lines.length === 1
          ? { row: startPosition.row, column: startPosition.column + e.text.length }
          : { row: startPosition.row + lines.length - 1, column: lines[lines.length - 1]!.length };
      copy.edit({
        startIndex: e.start,
        oldEndIndex: e.end,
        newEndIndex: e.start + e.text.length,
        startPosition,
        oldEndPosition: pointAt(e.end),
        newEndPosition,
      } as Edit);
    }
    return parseGo(newText, copy);
  } finally {
    copy.delete();
  }
}

/** For each single-line binary expression on `rows`, the spacing gofmt gives its operator. */
function respace(text: string, root: Node, rows: ReadonlySet<number>): OffsetEdit[] {
  const fixes: OffsetEdit[] = [];
  const sorted = [...rows].sort((a, b) => a - b);
  // Only the subtrees that touch a changed row are visited.
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "binary_expression" && n.startPosition.row === n.endPosition.row && rows.has(n.startPosition.row)) {
      const l = n.childForFieldName("left");
      const r = n.childForFieldName("right");
      const op = n.childForFieldName("operator");
      if (l && r && op) {
        const gap = text.slice(l.endIndex, r.startIndex);
        if (gap.trim() === op.text) {
          const blank = (PREC[op.text] ?? 0) < cutoff(n, printDepth(n));
          const want = blank ? ` ${op.text} ` : op.text;
          if (gap !== want) fixes.push({ start: l.endIndex, end: r.startIndex, text: want });
        }
      }
    }
    for (let c = n.firstNamedChild; c; c = c.nextNamedSibling) {
      if (anyRowIn(sorted, c.startPosition.row, c.endPosition.row)) stack.push(c);
    }
  }
  return fixes;
}

function applyOffsetEdits(text: string, edits: readonly OffsetEdit[]): string {
  let out = text;
  for (const f of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, f.start) + f.text + out.slice(f.end);
  return out;
}

/**
 * gofmt's layout of the changed `rows` of `text`: binary operator spacing,
 * then the alignment of the sections those rows belong to. `tree` is the
 * parse of `text`; it is not kept.
 */
export function gofmtRows(text: string, tree: Tree, rows: ReadonlySet<number>): string {
  if (rows.size === 0) return text;
  const spaces = respace(text, tree.rootNode, rows);
  if (!spaces.length) return realignTree(text, tree.rootNode, rows);
  const spaced = applyOffsetEdits(text, spaces);
  const next = reparse(text, tree, spaces, spaced);
  if (!next) return spaced;
  try {
    return realignTree(spaced, next.rootNode, rows);
  } finally {
    next.delete();
  }
}

// ---- line diff ------------------------------------------------------------------

/** Myers' O(ND) diff of two line arrays as hunks [a0, a1, b0, b1) of differing lines. */
export function diffLineHunks(a: readonly string[], b: readonly string[]): [number, number, number, number][] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  return diffHunks(a.slice(pre, a.length - suf), b.slice(pre, b.length - suf)).map(([a0, a1, b0, b1]) => [
    a0 + pre,
    a1 + pre,
    b0 + pre,
    b1 + pre,
  ]);
}

function diffHunks(a: readonly string[], b: readonly string[]): [number, number, number, number][] {
  const n = a.length;
  const m = b.length;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [[0, n, 0, m]];
  const max = n + m;
  const v = new Map<number, number>([[1, 0]]);
  const trace: Map<number, number>[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(new Map(v));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v.get(k - 1) ?? -1) < (v.get(k + 1) ?? -1))
          ? (v.get(k + 1) ?? 0)
          : (v.get(k - 1) ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v.set(k, x);
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Backtrack into a list of equal-line pairs, then group the gaps into hunks.
  const pairs: [number, number][] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && (vd.get(k - 1) ?? -1) < (vd.get(k + 1) ?? -1)) ? k + 1 : k - 1;
    const prevX = vd.get(prevK) ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      pairs.push([x, y]);
    }
    if (d > 0) {
      x = prevX;
      y = prevY;
    }
  }
  pairs.reverse();
  const hunks: [number, number, number, number][] = [];
  let ai = 0;
  let bi = 0;
  for (const [pa, pb] of [...pairs, [n, m] as [number, number]]) {
    if (pa > ai || pb > bi) hunks.push([ai, pa, bi, pb]);
    ai = pa + 1;
    bi = pb + 1;
  }
  return hunks;
}
