// Flags `for k, v := range m { ...; break }` (or a return) over a map: a loop that runs at most once to pick an entry.
// Go map iteration order is unspecified and not uniformly random, so the "picked" entry is neither stable nor fair.
import type { Node } from "../parser";
import { classifyValue, type TypeFact } from "../analysis/facts";
import type { PackageFacts } from "../analysis/package";
import {
  derefType,
  findLocalDeclaration,
  FUNCTION_TYPES,
  localDeclarations,
  rangeOf,
  spanOf,
  unparen,
  type LocalDecl,
  someInSubtree,
} from "../analysis/syntax";
import type { Fix, Range, RawFinding, TextEdit } from "../analysis/types";
import { fixesAllowed, indentOf, insertBefore, insertLine, replaceNode, startsLine, typeUsableIn } from "../fixes/edit";
import { importEdits, importName } from "../fixes/imports";
import { unusedName } from "../fixes/scope";
import { writtenMap } from "./global-map-race";
import type { Rule, RuleContext } from "../analysis/rule";

/** An expression the syntax shows to be a Go map, and where that map lives. */
export interface KnownMap {
  /** The map as messages name it: `counts`, `s.items`, or a short literal text. */
  name: string;
  /**
   * local: a variable or parameter of an enclosing function; package: a
   * package-level variable; field: a map field of a package struct reached
   * through a variable; value: a `make(...)` call or a map literal.
   */
  kind: "local" | "package" | "field" | "value";
  /** The root variable's name (`counts`, or `s` for `s.items`). */
  root: string;
  /** The function that declares the root variable; null for package-level roots and values. */
  fn: Node | null;
  /** The field name for `kind === "field"`. */
  field?: string;
  /** Where the map (or the root variable) is declared, for related information; the file is unset for locals (the current file). */
  declRange?: Range;
  declFile?: string;
  /** The declaring node of a local root variable (var_spec, short_var_declaration, parameter_declaration). */
  declNode?: Node;
}

/** Whether a local declaration gives the name a map type or a map value. */
export function declIsMap(d: LocalDecl, pkg: PackageFacts): boolean {
  switch (d.node.type) {
    case "parameter_declaration":
      return pkg.isMapType(d.typeText);
    case "var_spec":
      if (d.typeText !== undefined) return pkg.isMapType(d.typeText);
      return d.value !== undefined && classifyValue(d.value, pkg.namedMapTypes).mapType !== undefined;
    case "short_var_declaration":
      return d.value !== undefined && classifyValue(d.value, pkg.namedMapTypes).mapType !== undefined;
    default:
      return false;
  }
}

/** The name node of a declaration for `name`, for related ranges. */
function declNameRange(d: LocalDecl, name: string): Range {
  const n = d.node;
  const ids =
    n.type === "short_var_declaration"
      ? (n.childForFieldName("left")?.namedChildren ?? [])
      : n.type === "var_spec" || n.type === "parameter_declaration"
        ? n.childrenForFieldName("name")
        : [];
  const id = ids.find((i) => i?.text === name);
  return rangeOf(id ?? n);
}

/** The plain type name a type text or composite literal refers to: `Server` for `*Server`, `Server{...}`, `&Server{...}`. */
function typeNameOf(typeText: string | undefined, value: Node | undefined): string | null {
  let text = typeText;
  if (text === undefined && value) {
    let v = unparen(value);
    if (v.type === "unary_expression" && v.childForFieldName("operator")?.text === "&")
      v = unparen(v.childForFieldName("operand")!);
    if (v.type === "composite_literal") text = v.childForFieldName("type")?.text;
  }
  if (text === undefined) return null;
  const name = derefType(text).replace(/\[.*\]$/, "");
  return /^\w+$/.test(name) ? name : null;
}

/** The package struct type of variable `id` (a local with a written-out type or a struct literal, or a package var). */
export function structTypeOf(
  id: Node,
  pkg: PackageFacts,
): { type: TypeFact; fn: Node | null; declRange: Range; declFile?: string; declNode?: Node } | null {
  const name = id.text;
  const local = findLocalDeclaration(id, name);
  let typeName: string | null;
  let fn: Node | null = null;
  let declRange: Range;
  let declFile: string | undefined;
  let declNode: Node | undefined;
  if (local) {
    if (local.decls.length !== 1) return null;
    const d = local.decls[0]!;
    if (
      d.node.type !== "parameter_declaration" &&
      d.node.type !== "var_spec" &&
      d.node.type !== "short_var_declaration"
    )
      return null;
    typeName = typeNameOf(d.typeText, d.value);
    fn = local.fn;
    declRange = declNameRange(d, name);
    declNode = d.node;
  } else {
    const v = pkg.vars.get(name);
    if (!v) return null;
    typeName =
      typeNameOf(v.typeText, undefined) ?? (v.valueText ? (/^&?(\w+)\{/.exec(v.valueText)?.[1] ?? null) : null);
    declRange = v.range;
    declFile = v.file;
  }
  const type = typeName ? pkg.types.get(typeName) : undefined;
  if (!type || type.kind !== "struct") return null;
  return { type, fn, declRange, declFile, declNode };
}

/** Whether `field` of the struct type holds a map. */
export function isMapField(type: TypeFact, field: string, pkg: PackageFacts): boolean {
  const f = type.fields.find((x) => x.name === field);
  return f !== undefined && (f.isMap || pkg.isMapType(f.typeText));
}

/**
 * What the expression is known to be, when the syntax shows it is a map:
 * a local or package map variable, a map-typed parameter, a map field of a
 * package struct reached through a variable of that struct type, or a
 * `make(map...)` call or map literal. Null when it cannot tell.
 */
export function knownMap(expr: Node, pkg: PackageFacts): KnownMap | null {
  const e = unparen(expr);
  if (e.type === "identifier") {
    const name = e.text;
    const local = findLocalDeclaration(e, name);
    if (local) {
      if (!local.decls.every((d) => declIsMap(d, pkg))) return null;
      return {
        name,
        kind: "local",
        root: name,
        fn: local.fn,
        declRange: declNameRange(local.decls[0]!, name),
        declNode: local.decls[0]!.node,
      };
    }
    const v = pkg.mapVar(name);
    return v ? { name, kind: "package", root: name, fn: null, declRange: v.range, declFile: v.file } : null;
  }
  if (e.type === "selector_expression") {
    const operand = unparen(e.childForFieldName("operand")!);
    const field = e.childForFieldName("field")?.text;
    if (operand.type !== "identifier" || !field) return null;
    const st = structTypeOf(operand, pkg);
    if (!st || !isMapField(st.type, field, pkg)) return null;
    return {
      name: `${operand.text}.${field}`,
      kind: "field",
      root: operand.text,
      fn: st.fn,
      field,
      declRange: st.declRange,
      declFile: st.declFile,
      declNode: st.declNode,
    };
  }
  if (e.type === "call_expression" || e.type === "composite_literal") {
    if (classifyValue(e, pkg.namedMapTypes).mapType === undefined) return null;
    const text = e.text.replace(/\s+/g, " ");
    return { name: text.length > 40 ? `${text.slice(0, 37)}...` : text, kind: "value", root: "", fn: null };
  }
  return null;
}

/** Escapes text for use inside a regular expression. */
function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Whether a length check makes the loop's single iteration deterministic: the
 * loop sits under `if len(m) == 1`, in the `else` of `if len(m) != 1`, in
 * `case 1:` of `switch len(m)`, or after an `if len(m) != 1 { ... }` (or
 * `> 1`) that leaves early.
 */
function lengthGuarded(loop: Node, mapText: string): boolean {
  const len = `len\\(\\s*${escapeRe(mapText)}\\s*\\)`;
  const one = new RegExp(`${len}\\s*(==\\s*1|<=\\s*1|<\\s*2)\\b|\\b1\\s*==\\s*${len}`);
  const notOne = new RegExp(`${len}\\s*(!=\\s*1|>\\s*1|>=\\s*2)\\b|\\b1\\s*(!=|<)\\s*${len}`);
  let child = loop;
  for (let n = loop.parent; n && !FUNCTION_TYPES.has(n.type); child = n, n = n.parent) {
    if (n.type === "if_statement") {
      const cond = n.childForFieldName("condition")?.text ?? "";
      if (n.childForFieldName("consequence")?.id === child.id && one.test(cond)) return true;
      if (n.childForFieldName("alternative")?.id === child.id && notOne.test(cond)) return true;
    } else if (n.type === "expression_case") {
      const sw = n.parent;
      const value = sw?.type === "expression_switch_statement" ? (sw.childForFieldName("value")?.text ?? "") : "";
      const caseValue = n.childForFieldName("value")?.text ?? "";
      if (new RegExp(`^${len}$`).test(value) && /^1$/.test(caseValue)) return true;
      // A tagless switch: `case len(m) == 1:`.
      if (value === "" && one.test(caseValue)) return true;
    } else if (n.type === "statement_list") {
      for (const s of n.namedChildren) {
        if (!s || s.startIndex >= child.startIndex) break;
        // Any condition of an if / else-if chain before the loop: `if len(m) == 0 {...} else if len(m) > 1 {...}`.
        for (let cond: Node | null = s; cond?.type === "if_statement"; cond = cond.childForFieldName("alternative")) {
          if (notOne.test(cond.childForFieldName("condition")?.text ?? "")) return true;
        }
      }
    }
  }
  return false;
}

/** Whether the subtree holds a `continue` that targets this loop (unlabelled outside inner loops, or naming its label). */
function continuesLoop(node: Node, label: string | null): boolean {
  const cursor = node.walk();
  try {
    // Depths at which an inner for statement's children start: an unlabelled continue below belongs to that loop.
    const innerLoops: number[] = [];
    let depth = 0;
    for (;;) {
      const type = cursor.nodeType;
      let descend = type !== "func_literal";
      if (type === "continue_statement") {
        const target = cursor.currentNode.namedChild(0)?.text ?? null;
        if (target === null ? innerLoops.length === 0 : target === label) return true;
        descend = false;
      }
      if (descend && cursor.gotoFirstChild()) {
        depth++;
        if (type === "for_statement") innerLoops.push(depth);
        continue;
      }
      for (;;) {
        if (depth === 0) return false;
        if (cursor.gotoNextSibling()) break;
        cursor.gotoParent();
        depth--;
        while (innerLoops.length > 0 && innerLoops[innerLoops.length - 1]! > depth) innerLoops.pop();
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Whether an identifier of `names` occurs in the subtree (nested functions included: they may capture it). */
export function mentionsAny(node: Node, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  return someInSubtree(node, (type, cursor) => type === "identifier" && names.has(cursor.currentNode.text));
}

/** `delete(...)` or `clear(...)` as a statement. */
function isDeleteStatement(s: Node): boolean {
  if (s.type !== "expression_statement") return false;
  const call = s.namedChild(0);
  const fn = call?.type === "call_expression" ? call.childForFieldName("function")?.text : undefined;
  return fn === "delete" || fn === "clear";
}

const BREAK_OR_RETURN = /\b(break|return)\b/;

/** A map composite literal with at most one entry. */
function singleEntryLiteral(node: Node | undefined): boolean {
  const lit = node ? unparen(node) : null;
  if (lit?.type !== "composite_literal") return false;
  const entries = lit.childForFieldName("body")?.namedChildren.filter((c) => c?.type !== "comment") ?? [];
  return entries.length <= 1;
}

/**
 * Whether the map holds at most one entry wherever the loop runs: a literal
 * with one entry, or a local built from one that the function never writes
 * or reassigns. Then the pick is deterministic.
 */
function singleEntryMap(range: Node, map: KnownMap, ctx: RuleContext): boolean {
  if (map.kind === "value") return singleEntryLiteral(range);
  if (map.kind !== "local" || !map.fn) return false;
  const decls = localDeclarations(map.fn).get(map.root);
  if (decls?.length !== 1 || !singleEntryLiteral(decls[0]!.value)) return false;
  const fn = map.fn;
  for (const w of ctx.file.caps.mapWrites) {
    if (w.startIndex < fn.startIndex || w.endIndex > fn.endIndex) continue;
    if (writtenMap(w)?.text === map.root) return false;
  }
  const body = ctx.file.text.slice(fn.startIndex, fn.endIndex);
  return !new RegExp(`\\b${map.root}\\s*=[^=]|&\\s*${map.root}\\b`).test(body);
}

/** The map type text of a known map, resolved through the package's named map types. */
function mapTypeOf(map: KnownMap, expr: Node, ctx: RuleContext): string | undefined {
  let t: string | undefined;
  if (map.kind === "package") t = ctx.pkg.mapVar(map.root)?.mapType;
  else if (map.kind === "local") {
    const local = findLocalDeclaration(unparen(expr), map.root);
    const d = local?.decls.length === 1 ? local.decls[0]! : undefined;
    if (d)
      t =
        d.typeText !== undefined
          ? d.typeText
          : d.value
            ? classifyValue(d.value, ctx.pkg.namedMapTypes).mapType
            : undefined;
  } else if (map.kind === "field") {
    const operand = unparen(unparen(expr).childForFieldName("operand")!);
    t = structTypeOf(operand, ctx.pkg)?.type.fields.find((f) => f.name === map.field)?.typeText;
  }
  if (t && !t.startsWith("map[")) {
    const named = ctx.pkg.types.get(t);
    t = named?.kind === "map" ? named.typeText : undefined;
  }
  return t;
}

/** `K` of `map[K]V`. */
function keyTypeOf(mapType: string): string | undefined {
  if (!mapType.startsWith("map[")) return undefined;
  let depth = 0;
  for (let i = 3; i < mapType.length; i++) {
    const c = mapType[i];
    if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return mapType.slice(4, i).trim();
  }
  return undefined;
}

const SORTERS: Record<string, string> = { string: "Strings", int: "Ints", float64: "Float64s" };
const ORDERED = /^(u?int(8|16|32|64)?|uintptr|float32|byte|rune)$/;

/** The local name of an import a fix adds or reuses, or undefined when the name is taken by something else. */
function importedAs(ctx: RuleContext, near: Node, importPath: string): string | undefined {
  const existing = importName(ctx.file, importPath);
  if (existing) return existing;
  const name = importPath.slice(importPath.lastIndexOf("/") + 1);
  if (name in ctx.file.summary.imports || findLocalDeclaration(near, name)) return undefined;
  return name;
}

/**
 * "Pick the smallest key" and "Pick a random key": the keys are collected into
 * a slice, sorted or shuffled, and the loop ranges over that slice, so its
 * body (which ends in its first iteration) and any break keep their meaning;
 * the value becomes a lookup. Neither is safe: each changes which entry is
 * picked, which is the point.
 */
function pickFixes(ctx: RuleContext, loop: Node, clause: Node, right: Node, map: KnownMap): Fix[] {
  if (!fixesAllowed(ctx.file) || map.kind === "value") return [];
  const left =
    clause.childForFieldName("left")?.namedChildren.filter((n): n is Node => !!n && n.type !== "comment") ?? [];
  // `for k, v = range m` assigns existing variables: rare, and a rewrite would change their scope.
  if (clause.text.includes(":=") === false || left.length === 0 || left.some((n) => n.type !== "identifier")) return [];
  const mapType = mapTypeOf(map, right, ctx);
  const keyType = mapType ? keyTypeOf(mapType) : undefined;
  if (!keyType || !typeUsableIn(keyType, ctx.file)) return [];
  const stmt = loop.parent?.type === "labeled_statement" ? loop.parent : loop;
  const body = loop.childForFieldName("body");
  if (stmt.parent?.type !== "statement_list" || !startsLine(ctx.file, stmt) || !body) return [];
  // The value lookup goes on its own line after `{`: only when nothing but a comment follows it.
  const src = ctx.file.text;
  const eol = src.indexOf("\n", body.startIndex);
  const afterBrace = src.slice(body.startIndex + 1, eol < 0 ? src.length : eol).trim();
  if (eol < 0 || (afterBrace !== "" && !afterBrace.startsWith("//"))) return [];

  // New names must be unused in the whole top-level declaration: an outer one would be shadowed.
  let top = loop;
  while (top.parent && top.parent.type !== "source_file") top = top.parent;
  const fn = ctx.file.text.slice(top.startIndex, top.endIndex);
  const keys = unusedName(fn, ["keys", "mapKeys", "pickKeys"]);
  const keyVar = left[0]!.text !== "_" ? left[0]!.text : unusedName(fn, ["k", "key", "pickKey"]);
  const valueVar = left[1] && left[1].text !== "_" ? left[1].text : undefined;
  if (!keys || !keyVar) return [];
  // The value moves from the loop header into the body's block, where a redeclaration would clash.
  if (valueVar && redeclares(body, valueVar)) return [];
  const m = unparen(right).text;
  const ind = indentOf(ctx.file, stmt);
  const file = ctx.file.file;
  const collect =
    `${keys} := make([]${keyType}, 0, len(${m}))\n` +
    `${ind}for ${keyVar} := range ${m} {\n` +
    `${ind}\t${keys} = append(${keys}, ${keyVar})\n` +
    `${ind}}\n`;
  const rewrite: TextEdit[] = [
    replaceNode(file, clause, `_, ${keyVar} := range ${keys}`),
    ...(valueVar
      ? [insertLine(file, body.startPosition.row + 1, `${indentOf(ctx.file, stmt)}\t${valueVar} := ${m}[${keyVar}]\n`)]
      : []),
  ];
  const out: Fix[] = [];
  const sortName = SORTERS[keyType] || ORDERED.test(keyType) ? importedAs(ctx, loop, "sort") : undefined;
  if (sortName) {
    const sorter = SORTERS[keyType]
      ? `${sortName}.${SORTERS[keyType]}(${keys})`
      : `${sortName}.Slice(${keys}, func(i, j int) bool { return ${keys}[i] < ${keys}[j] })`;
    out.push({
      title: `Pick the smallest key of ${map.name}`,
      safe: false,
      edits: [
        insertBefore(file, stmt, `${collect}${ind}${sorter}\n${ind}`),
        ...rewrite,
        ...importEdits(ctx.file, ["sort"]),
      ],
    });
  }
  const randName = importedAs(ctx, loop, "math/rand");
  if (randName) {
    const shuffle = `${randName}.Shuffle(len(${keys}), func(i, j int) { ${keys}[i], ${keys}[j] = ${keys}[j], ${keys}[i] })`;
    out.push({
      title: `Pick a random key of ${map.name}`,
      safe: false,
      edits: [
        insertBefore(file, stmt, `${collect}${ind}${shuffle}\n${ind}`),
        ...rewrite,
        ...importEdits(ctx.file, ["math/rand"]),
      ],
    });
  }
  return out;
}

/** Whether a top-level statement of the block declares `name` (with `:=` or `var`). */
function redeclares(block: Node, name: string): boolean {
  const list = block.namedChildren.find((c) => c?.type === "statement_list");
  for (const st of list?.namedChildren ?? []) {
    if (
      st?.type === "short_var_declaration" &&
      st.childForFieldName("left")?.namedChildren.some((n) => n?.text === name)
    )
      return true;
    if (st?.type === "var_declaration" && new RegExp(`\\b${name}\\b`).test(st.text)) return true;
  }
  return false;
}

export const mapRangePick: Rule = {
  id: "map-range-pick",
  severity: "warning",
  related: [
    "The Go Programming Language Specification, For statements: the iteration order over maps is not specified",
    "golang/go#66361 (cmd/compile: special case getting a random map entry?): the runtime makes no promise of a uniform choice",
    "weaveworks/mesh#122: a random-neighbour pick built on map order chose the first-added of two peers about 90% of the time",
  ],
  docs: {
    title: "Loop over a map that picks whichever entry comes first",
    flags:
      "A `for k, v := range m` loop over a map whose body ends its first iteration unconditionally: a `break` or `return` that is a top-level statement of the body, with no `continue` before it. Such a loop runs at most once, so it picks one entry of the map. " +
      "The range expression must be known to be a map: a local or package-level map variable, a map-typed parameter, a map field of a package struct reached through a variable of that struct type (a receiver, parameter or struct literal), or a `make(map...)` call or map literal. " +
      "The range covers the loop header, from `for` to the end of the range expression.",
    why:
      "Go does not specify the iteration order of maps. The runtime starts each range loop at a randomly chosen position, so the result changes from run to run, but the choice is not uniformly random either: an entry that follows empty slots (for example the only entry of a sparsely filled bucket) comes first far more often than its neighbours, and small maps are the most skewed. " +
      'Code that takes "the first" entry is therefore neither deterministic (tests flake, output differs between runs) nor a fair random choice (load balancing and sampling are biased).',
    bad: `func anyBackend(backends map[string]*Backend) *Backend {
\tfor _, b := range backends {
\t\treturn b
\t}
\treturn nil
}`,
    good: `func anyBackend(backends map[string]*Backend) *Backend {
\tif len(backends) == 0 {
\t\treturn nil
\t}
\tnames := make([]string, 0, len(backends))
\tfor name := range backends {
\t\tnames = append(names, name)
\t}
\tsort.Strings(names)
\treturn backends[names[rand.Intn(len(names))]] // or names[0] for a stable choice
}`,
    fix:
      "Choose explicitly: collect the keys, then sort them for a deterministic choice (`names[0]`) or draw one with `rand.Intn(len(names))` for a uniform random one. When the map always holds exactly one entry, say so with a `len(m) == 1` check around the loop. " +
      "The quick fixes **Pick the smallest key of m** (keys of an ordered type, sorted with `sort`) and **Pick a random key of m** (keys shuffled with `math/rand`) collect the keys into a slice before the loop and make the loop range over it, so the body, its `break` and its `return` stay as they are and the value becomes `v := m[k]`. Neither is marked safe: each changes which entry is picked.",
    silent: [
      "ranging over slices, arrays, strings, channels, or anything not known to be a map (`for _, x := range s { return x }` over a slice is the ordinary way to take its first element)",
      "loops whose `break` or `return` is conditional (searching, not picking), or that can `continue` before it",
      "loops under `if len(m) == 1`, in `case 1:` of `switch len(m)` or `case len(m) == 1:`, or after `if len(m) != 1 { ... }` (also `len(m) > 1`, anywhere in an if / else-if chain): with one entry the pick is deterministic",
      "maps that hold at most one entry: a one-entry literal, or a local built from one that the function never writes, reassigns or takes the address of",
      "draining or evicting: a body that only deletes (`delete(m, k)` or `clear(m)`) before its `break`",
      "emptiness checks: the loop variables are not used in the body (`for range m { nonEmpty = true; break }`)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const text = ctx.file.text;
    for (const clause of ctx.file.caps.rangeClauses) {
      const loop = clause.parent;
      // Most loops hold neither word: skip them before touching their nodes.
      if (!loop || !BREAK_OR_RETURN.test(text.slice(clause.endIndex, loop.endIndex))) continue;
      const right = clause.childForFieldName("right");
      // Error recovery in a half-typed loop can pull later statements into its body: its shape is unknown.
      if (loop.type !== "for_statement" || !right || loop.hasError) continue;
      // A comment after `{` comes before the statement list among the block's children.
      const list = loop.childForFieldName("body")?.namedChildren.find((c) => c?.type === "statement_list");
      if (!list) continue;
      // Cheap syntactic shape first: a top-level break or return ends the first iteration.
      const stmts = list.namedChildren.filter((s): s is Node => s !== null && s.type !== "comment");
      const end = stmts.findIndex((s) => s.type === "break_statement" || s.type === "return_statement");
      if (end < 0) continue;
      const vars = new Set<string>();
      for (const id of clause.childForFieldName("left")?.namedChildren ?? [])
        if (id?.type === "identifier" && id.text !== "_") vars.add(id.text);
      // Without a loop variable in use, the loop looks at no entry: it checks for emptiness.
      if (!stmts.some((s) => mentionsAny(s, vars))) continue;
      const before = stmts.slice(0, end);
      const terminator = stmts[end]!;
      if (before.every(isDeleteStatement) && !mentionsAny(terminator, vars)) continue;
      const label =
        loop.parent?.type === "labeled_statement" ? (loop.parent.childForFieldName("label")?.text ?? null) : null;
      if (before.some((s) => continuesLoop(s, label))) continue;
      const map = knownMap(right, ctx.pkg);
      if (!map) continue;
      if (lengthGuarded(loop, unparen(right).text) || singleEntryMap(right, map, ctx)) continue;
      out.push({
        range: spanOf(loop, right),
        message: `loop over map ${map.name} picks whichever entry comes first; map order is unspecified and not uniformly random`,
        fixes: pickFixes(ctx, loop, clause, right, map),
        related:
          map.declRange && map.kind !== "value"
            ? [{ file: map.declFile ?? ctx.file.file, range: map.declRange, message: `${map.root} is declared here` }]
            : [],
      });
    }
    return out;
  },
};
