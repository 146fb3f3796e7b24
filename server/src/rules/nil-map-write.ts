// Flags an entry assignment to a map that is certainly still nil: a `var m map[K]V` (or a struct literal's unset
// map field, or a never-assigned package map) written before anything gives it a value. That write always panics.
import type { Node } from "../parser";
import type { PackageFacts } from "../analysis/package";
import {
  enclosingDeclaration,
  enclosingFunction,
  findLocalDeclaration,
  isDeclaredLocally,
  localDeclarations,
  rangeOf,
  unparen,
} from "../analysis/syntax";
import type { Fix, Range, RawFinding, TextEdit } from "../analysis/types";
import {
  fixesAllowed,
  hasComment,
  indentOf,
  insertBefore,
  insertLine,
  replaceAfter,
  replaceNode,
  startsLine,
  typeUsableIn,
} from "../fixes/edit";
import { declIsMap, isMapField } from "./map-range-pick";
import type { Rule, RuleContext } from "../analysis/rule";

/** The `m[k]` is the target of an assignment (`=`, `op=`) or of `++`/`--`: a write that panics on a nil map. */
function isEntryWrite(index: Node): boolean {
  const p = index.parent;
  if (p?.type === "inc_statement" || p?.type === "dec_statement") return true;
  return (
    p?.type === "expression_list" &&
    p.parent?.type === "assignment_statement" &&
    p.parent.childForFieldName("left")?.id === p.id
  );
}

/** The identifier stands where a value is stored into it: `x = ...`, `x, y = ...`, `x := ...` again, `for x = range`, `case x = <-ch`. */
function isAssignedTo(id: Node): boolean {
  const list = id.parent;
  if (list?.type !== "expression_list") return false;
  const stmt = list.parent;
  if (!stmt) return false;
  if (
    stmt.type === "assignment_statement" ||
    stmt.type === "short_var_declaration" ||
    stmt.type === "range_clause" ||
    stmt.type === "receive_statement"
  ) {
    return stmt.childForFieldName("left")?.id === list.id;
  }
  return false;
}

function isAddressTaken(node: Node): boolean {
  const p = node.parent;
  return p?.type === "unary_expression" && p.childForFieldName("operator")?.text === "&";
}

/** A nil map the rule follows: a local variable, or field `field` of a local struct variable. */
interface NilTarget {
  fn: Node;
  declNode: Node;
  name: string;
  field?: string;
}

type Role = "write" | "init" | "other";

/** What an occurrence of the variable does to the map's nil-ness. */
function roleOf(id: Node, t: NilTarget): { role: Role; node: Node } {
  const p = id.parent;
  if (t.field === undefined) {
    if (p?.type === "index_expression" && p.childForFieldName("operand")?.id === id.id)
      return { role: isEntryWrite(p) ? "write" : "other", node: p };
    if (isAssignedTo(id) || isAddressTaken(id)) return { role: "init", node: id };
    return { role: "other", node: id };
  }
  // Field of a struct variable: only plain reads of other fields and entry accesses of this one are harmless;
  // assignments, address-taking, method calls (which may initialise it) and copies are not.
  if (p?.type !== "selector_expression" || p.childForFieldName("operand")?.id !== id.id)
    return { role: "init", node: id };
  const field = p.childForFieldName("field")?.text;
  if (p.parent?.type === "call_expression" && p.parent.childForFieldName("function")?.id === p.id)
    return { role: "init", node: p };
  if (field !== t.field) return { role: "other", node: p };
  const idx = p.parent;
  if (idx?.type === "index_expression" && idx.childForFieldName("operand")?.id === p.id)
    return { role: isEntryWrite(idx) ? "write" : "other", node: idx };
  if (isAssignedTo(p) || isAddressTaken(p)) return { role: "init", node: p };
  return { role: "other", node: p };
}

/** Whether the node is inside a function literal nested in `fn`. */
function inClosure(node: Node, fn: Node): boolean {
  for (let n = node.parent; n && n.id !== fn.id; n = n.parent) if (n.type === "func_literal") return true;
  return false;
}

/** The `for` statements around the node, up to `fn`. */
function loopsAround(node: Node, fn: Node): Node[] {
  const out: Node[] = [];
  for (let n = node.parent; n && n.id !== fn.id; n = n.parent) if (n.type === "for_statement") out.push(n);
  return out;
}

/**
 * The first entry write that certainly meets the map still nil: no assignment
 * (or address-taking) of it comes earlier in the text, none in a loop around
 * the write, and none in a closure that might run first. With no assignment
 * at all, every write meets nil, closures included.
 */
/**
 * The identifiers after the declaration in the function's body that name the
 * target's variable (the same declaration), in order. Found in the body's text
 * and mapped to nodes: cheaper than walking the body, and matches in comments
 * or strings map to other nodes.
 */
function* usesOf(t: NilTarget, body: Node, text: string): Generator<Node> {
  const from = Math.max(body.startIndex, t.declNode.endIndex);
  // The body's own text: a search of the file would run on past its end.
  const own = text.slice(from, body.endIndex);
  const re = new RegExp(`\\b${t.name}\\b`, "g");
  for (let m = re.exec(own); m; m = re.exec(own)) {
    const at = from + m.index;
    const id = body.descendantForIndex(at, at + t.name.length);
    if (!id || id.type !== "identifier" || id.startIndex !== at || id.endIndex !== at + t.name.length) continue;
    if (findLocalDeclaration(id, t.name)?.fn.id !== t.fn.id) continue;
    yield id;
  }
}

function firstNilWrite(t: NilTarget, text: string): Node | null {
  const body = t.fn.childForFieldName("body");
  if (!body) return null;
  const writes: Node[] = [];
  const inits: Node[] = [];
  for (const id of usesOf(t, body, text)) {
    const r = roleOf(id, t);
    if (r.role === "write") writes.push(r.node);
    else if (r.role === "init") inits.push(r.node);
  }
  if (writes.length === 0) return null;
  if (inits.length === 0) return writes[0]!;
  if (inits.some((i) => inClosure(i, t.fn))) return null;
  for (const w of writes) {
    if (inClosure(w, t.fn)) continue;
    if (inits.some((i) => i.startIndex < w.startIndex)) return null;
    if (
      loopsAround(w, t.fn).some((loop) =>
        inits.some((i) => loop.startIndex <= i.startIndex && i.endIndex <= loop.endIndex),
      )
    )
      continue;
    return w;
  }
  return null;
}

/** The struct type name and literal of a declaration like `var s T`, `s := T{...}` or `s := &T{...}`; literal is null for a bare var. */
function structDecl(node: Node, name: string): { typeName: string; literal: Node | null } | null {
  if (node.type === "var_spec") {
    const type = node.childForFieldName("type");
    const value = node.childForFieldName("value");
    if (type && !value) return /^\w+$/.test(type.text) ? { typeName: type.text, literal: null } : null;
  }
  if (node.type !== "var_spec" && node.type !== "short_var_declaration") return null;
  const left =
    node.type === "var_spec"
      ? node.childrenForFieldName("name")
      : (node.childForFieldName("left")?.namedChildren ?? []);
  const right = node.childForFieldName(node.type === "var_spec" ? "value" : "right")?.namedChildren ?? [];
  if (left.length !== right.length) return null;
  const i = left.findIndex((id) => id?.text === name);
  let v = i >= 0 ? right[i] : null;
  if (!v) return null;
  v = unparen(v);
  if (v.type === "unary_expression" && v.childForFieldName("operator")?.text === "&")
    v = unparen(v.childForFieldName("operand")!);
  if (v.type !== "composite_literal") return null;
  const typeName = v.childForFieldName("type")?.text ?? "";
  return /^\w+$/.test(typeName) ? { typeName, literal: v } : null;
}

/** Whether a struct literal leaves `field` unset (keyed elements only; positional ones set every field). */
function leavesUnset(literal: Node, field: string): boolean {
  for (const el of literal.childForFieldName("body")?.namedChildren ?? []) {
    if (!el || el.type === "comment") continue;
    if (el.type !== "keyed_element") return false;
    if (el.childForFieldName("key")?.text === field) return false;
  }
  return true;
}

const IDENT_HEAD = /^[A-Za-z_]\w*$/;
const SELECTOR_HEAD = /^([A-Za-z_]\w*)\.([A-Za-z_]\w*)$/;

const fieldTypesCache = new WeakMap<PackageFacts, Map<string, string[]>>();

/** Map fields of the package's struct types: field name to the names of the struct types declaring it (once per package). */
function mapFieldTypes(pkg: PackageFacts): Map<string, string[]> {
  const cached = fieldTypesCache.get(pkg);
  if (cached) return cached;
  const out = new Map<string, string[]>();
  fieldTypesCache.set(pkg, out);
  for (const t of pkg.types.values()) {
    if (t.kind !== "struct") continue;
    for (const f of t.fields) {
      if (!f.isMap && !pkg.isMapType(f.typeText)) continue;
      const list = out.get(f.name);
      if (list) list.push(t.name);
      else out.set(f.name, [t.name]);
    }
  }
  return out;
}

/**
 * Whether the declaration's text could declare `root` as one of the struct
 * types (`var s T`, `s := T{`, `s := &T{`, `var s = T{`): a cheap filter
 * before resolving declarations, which walks the whole function.
 */
function mayDeclareStruct(text: string, root: string, types: string[]): boolean {
  const t = `(?:${types.join("|")})`;
  return new RegExp(`\\b${root}\\s*(?::=|=)\\s*&?${t}\\s*\\{|\\bvar\\s+${root}\\s+(?:${t}\\b|=\\s*&?${t}\\s*\\{)`).test(
    text,
  );
}

/** Words of the result lists of the file's functions that declare a map result: candidates for named map results. */
function namedResultWords(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  const named = [...ctx.pkg.namedMapTypes];
  for (const f of ctx.file.summary.funcs) {
    const text = f.resultText;
    if (!text.startsWith("(") || text.length < 8 || !(text.includes("map[") || named.some((t) => text.includes(t))))
      continue;
    for (const w of text.matchAll(/[A-Za-z_]\w*/g)) out.add(w[0]);
  }
  return out;
}

function finding(
  write: Node,
  name: string,
  file: string,
  declRange: Range,
  declMessage: string,
  fixes: (Fix | undefined)[] = [],
): RawFinding {
  return {
    range: rangeOf(write),
    message: `map ${name} is nil here: assigning to an entry of a nil map panics`,
    related: [{ file, range: declRange, message: declMessage }],
    fixes: fixes.filter((f): f is Fix => f !== undefined),
  };
}

/** A use of the map that cannot tell nil from empty: indexing, `len`, `delete`, `clear`, `range`. */
function nilBlindUse(e: Node): boolean {
  let n = e;
  while (n.parent?.type === "parenthesized_expression") n = n.parent;
  const p = n.parent;
  if (!p) return false;
  if (p.type === "index_expression") return p.childForFieldName("operand")?.id === n.id;
  if (p.type === "range_clause") return p.childForFieldName("right")?.id === n.id;
  if (p.type === "argument_list") {
    const fn = p.parent?.childForFieldName("function");
    const first = p.namedChildren.find((a) => a?.type !== "comment");
    return fn?.type === "identifier" && /^(len|delete|clear)$/.test(fn.text) && first?.id === n.id;
  }
  return false;
}

/**
 * Whether the function can observe that the map is nil rather than empty (it
 * compares, returns, passes or copies it, or the struct holding it): then
 * creating the map up front changes behaviour beyond the panicking write.
 */
function nilnessObservable(t: NilTarget, text: string): boolean {
  const body = t.fn.childForFieldName("body");
  if (!body) return true;
  for (const id of usesOf(t, body, text)) {
    if (t.field === undefined) {
      if (!nilBlindUse(id)) return true;
      continue;
    }
    const sel = id.parent;
    if (sel?.type !== "selector_expression" || sel.childForFieldName("operand")?.id !== id.id) return true;
    if (sel.childForFieldName("field")?.text !== t.field) continue;
    if (!nilBlindUse(sel)) return true;
  }
  return false;
}

/** The statement a declaration belongs to, when it stands alone in a statement list (so a line can follow it). */
function declStatement(declNode: Node): Node | null {
  let stmt: Node | null = declNode;
  if (stmt.type === "var_spec") stmt = stmt.parent;
  if (stmt?.type === "var_spec_list") stmt = stmt.parent;
  if (!stmt || (stmt.type !== "var_declaration" && stmt.type !== "short_var_declaration")) return null;
  return stmt.parent?.type === "statement_list" ? stmt : null;
}

/** A line after the statement: `<indent><text>`; only when nothing but a comment follows the statement on its line. */
function lineAfter(ctx: RuleContext, stmt: Node, text: string): TextEdit | null {
  const src = ctx.file.text;
  const eol = src.indexOf("\n", stmt.endIndex);
  const rest = src.slice(stmt.endIndex, eol < 0 ? src.length : eol).trim();
  if (rest !== "" && !rest.startsWith("//")) return null;
  if (eol < 0) return null;
  return insertLine(ctx.file.file, stmt.endPosition.row + 1, `${indentOf(ctx.file, stmt)}${text}\n`);
}

/**
 * `if m == nil { m = make(...) }` right before the write: the map is created
 * only where the write would have panicked, so every other path behaves as
 * before. Offered when creating the map up front is not safe.
 */
function guardFix(
  ctx: RuleContext,
  write: Node,
  expr: string,
  typeText: string | undefined,
  upFront?: Fix,
): Fix | undefined {
  if (!typeText || upFront?.safe) return undefined;
  let stmt: Node | null = write.parent;
  if (stmt?.type === "expression_list") stmt = stmt.parent;
  if (!stmt || stmt.parent?.type !== "statement_list" || !startsLine(ctx.file, stmt)) return undefined;
  const ind = indentOf(ctx.file, stmt);
  const guard = `if ${expr} == nil {\n${ind}\t${expr} = make(${typeText})\n${ind}}\n${ind}`;
  return {
    title: `Initialize the map ${expr} before this write`,
    safe: true,
    edits: [insertBefore(ctx.file.file, stmt, guard)],
  };
}

function initFix(title: string, safe: boolean, edit: TextEdit | null): Fix | undefined {
  return edit ? { title, safe, edits: [edit] } : undefined;
}

/**
 * `var m map[K]V` becomes `m := make(map[K]V)` (or `m = make(map[K]V)` follows a
 * declaration of several names). Safe when nothing in the function can tell the
 * new empty map from nil, so only the panicking write changes.
 */
function localVarFix(ctx: RuleContext, t: NilTarget): Fix | undefined {
  const spec = t.declNode;
  const type = spec.childForFieldName("type");
  const stmt = declStatement(spec);
  if (!type || !stmt) return undefined;
  const title = `Initialize the map ${t.name}`;
  const safe = !nilnessObservable(t, ctx.file.text);
  const make = `make(${type.text})`;
  const names = spec.childrenForFieldName("name").filter((n) => n?.type === "identifier");
  if (spec.parent?.id === stmt.id && names.length === 1 && !hasComment(ctx.file, stmt.startIndex, stmt.endIndex))
    return initFix(title, safe, replaceNode(ctx.file.file, stmt, `${t.name} := ${make}`));
  return initFix(title, safe, lineAfter(ctx, stmt, `${t.name} = ${make}`));
}

function fieldFixes(ctx: RuleContext, t: NilTarget, typeName: string, write: Node): (Fix | undefined)[] {
  const upFront = fieldFix(ctx, t, typeName);
  const fieldType = ctx.pkg.types.get(typeName)?.fields.find((f) => f.name === t.field)?.typeText;
  const usable = fieldType && typeUsableIn(fieldType, ctx.file) ? fieldType : undefined;
  return [upFront, guardFix(ctx, write, `${t.name}.${t.field}`, usable, upFront)];
}

/** `s.f = make(map[K]V)` after the declaration of the struct variable `s`. */
function fieldFix(ctx: RuleContext, t: NilTarget, typeName: string): Fix | undefined {
  const fieldType = ctx.pkg.types.get(typeName)?.fields.find((f) => f.name === t.field)?.typeText;
  const stmt = declStatement(t.declNode);
  if (!fieldType || !stmt || !typeUsableIn(fieldType, ctx.file)) return undefined;
  const safe = !nilnessObservable(t, ctx.file.text);
  return initFix(
    `Initialize the map ${t.name}.${t.field}`,
    safe,
    lineAfter(ctx, stmt, `${t.name}.${t.field} = make(${fieldType})`),
  );
}

/** A named map result gets `m = make(...)` as the function's first statement; callers see an empty map instead of nil. */
function namedResultFix(ctx: RuleContext, t: NilTarget, decl: Node): Fix | undefined {
  const type = decl.childForFieldName("type");
  const list = t.fn.childForFieldName("body")?.namedChildren.find((n) => n?.type === "statement_list");
  const first = list?.namedChildren.find((n) => !!n);
  if (!type || !first || decl.childrenForFieldName("name").length !== 1) return undefined;
  const edit = insertLine(
    ctx.file.file,
    first.startPosition.row,
    `${indentOf(ctx.file, first)}${t.name} = make(${type.text})\n`,
  );
  if (ctx.file.text.slice(ctx.file.text.lastIndexOf("\n", first.startIndex - 1) + 1, first.startIndex).trim() !== "")
    return undefined;
  return { title: `Initialize the map ${t.name}`, safe: false, edits: [edit] };
}

/**
 * `var m map[K]V` at package level becomes `var m = make(map[K]V)`: not safe,
 * since other files of the package may compare it with nil.
 */
function packageVarFix(ctx: RuleContext, name: string, range: Range): Fix | undefined {
  const id = ctx.file.tree.rootNode.descendantForPosition({ row: range.start.line, column: range.start.character });
  const spec = id?.parent;
  if (id?.type !== "identifier" || spec?.type !== "var_spec") return undefined;
  const names = spec.childrenForFieldName("name").filter((n) => n?.type === "identifier");
  const type = spec.childForFieldName("type");
  const list = spec.parent;
  // In a group of several specs gofmt aligns the columns, which one rewritten spec would upset.
  if (
    names.length !== 1 ||
    !type ||
    (list?.type === "var_spec_list" && list.namedChildren.filter((n) => n?.type === "var_spec").length !== 1)
  )
    return undefined;
  if (hasComment(ctx.file, id.endIndex, spec.endIndex)) return undefined;
  return {
    title: `Initialize the map ${name}`,
    safe: false,
    edits: [replaceAfter(ctx.file.file, id, spec, ` = make(${type.text})`)],
  };
}

export const nilMapWrite: Rule = {
  id: "nil-map-write",
  severity: "error",
  related: [
    "staticcheck SA5000 (assignment to nil map), which needs the package to type-check",
    "Go specification, Map types: a nil map is equivalent to an empty map except that no elements may be added",
  ],
  docs: {
    title: "Entry assigned in a map that is certainly nil",
    flags:
      "An entry write (`m[k] = v`, `m[k]++`, `m[k] op= v`) to a map that nothing has given a value yet: " +
      "a local `var m map[K]V` (or `= nil`), or a named result `(m map[K]V)`, written before any assignment to `m` in the text of the function; " +
      "a field `s.f` of a package struct, where `s` is a local `var s T`, `s := T{...}` or `s := &T{...}` whose literal does not set `f`, written before anything assigns `s.f`, takes its address, calls a method on `s` or passes `s` on; " +
      "or an unexported package-level `var m map[K]V` with no initializer that no file of the package ever assigns or takes the address of. " +
      "One finding per map and function: the first write that would panic.",
    why: "The zero value of a map type is nil. Reading a nil map returns zero values and `delete` on it does nothing, but storing an entry panics with `assignment to entry in nil map`. The declaration looks like it creates a map, so the mistake survives review and crashes the first time the code runs.",
    bad: `func index(words []string) map[string]int {
\tvar pos map[string]int
\tfor i, w := range words {
\t\tpos[w] = i
\t}
\treturn pos
}`,
    good: `func index(words []string) map[string]int {
\tpos := make(map[string]int, len(words))
\tfor i, w := range words {
\t\tpos[w] = i
\t}
\treturn pos
}`,
    fix:
      "Create the map before the first write: declare it with `m := make(map[K]V)` or a literal `map[K]V{}`, set the field in the struct literal (`T{f: map[K]V{}}`) or in a constructor, and initialise package-level maps in their declaration or in `init`. " +
      "The quick fix **Initialize the map m** turns `var m map[K]V` into `m := make(map[K]V)` (or adds `m = make(map[K]V)` after a declaration of several names), adds `s.f = make(...)` after the declaration of a struct variable, `= make(...)` to a package-level declaration, or `m = make(...)` at the top of a function with a named map result. " +
      "It is marked safe only when the function uses the map in ways that cannot tell an empty map from nil (indexing, `range`, `len`, `delete`): returning it, comparing it with nil or passing it on would now see an empty map. " +
      "Where it is not, the safe fix **Initialize the map m before this write** puts `if m == nil { m = make(map[K]V) }` right before the write, which changes only the path that panicked.",
    silent: [
      "writes after any assignment to the map in the text of the function (`m = make(...)`, `m, err = load()`, `if m == nil { m = ... }`), even in another branch",
      "writes in a loop whose body also assigns the map, and maps that a closure may assign or whose address is taken (`json.Unmarshal(data, &m)`)",
      "`delete(m, k)`, `clear(m)` and reads of a nil map: all are allowed",
      "struct variables that are passed on, copied or have a method called on them before the write (the callee may initialise the field), and struct literals with positional elements",
      "exported package-level maps (another package may assign them) and package maps assigned anywhere in the package",
      "variables whose name is declared more than once in the function (the syntax cannot tell which one is written)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const file = ctx.file.file;
    // Local `var m map[K]V` with no value, or `= nil`.
    for (const spec of ctx.file.caps.localMapVars) {
      const value = spec.childForFieldName("value");
      if (value && !value.namedChildren.every((v) => v?.type === "nil")) continue;
      const fn = enclosingFunction(spec);
      if (!fn) continue;
      const fnText = fn.text;
      for (const id of spec.childrenForFieldName("name")) {
        // No `name[` in the function: nothing indexes the map, so nothing writes it.
        if (!id || !new RegExp(`\\b${id.text}\\s*\\[`).test(fnText)) continue;
        if (localDeclarations(fn).get(id.text)?.length !== 1) continue;
        const target = { fn, declNode: spec, name: id.text };
        const w = firstNilWrite(target, ctx.file.text);
        if (!w) continue;
        const fixes: (Fix | undefined)[] = [];
        if (fixesAllowed(ctx.file)) {
          const upFront = localVarFix(ctx, target);
          fixes.push(upFront, guardFix(ctx, w, id.text, spec.childForFieldName("type")?.text, upFront));
        }
        out.push(finding(w, id.text, file, rangeOf(id), `${id.text} is declared here without a value`, fixes));
      }
    }
    const fields = mapFieldTypes(ctx.pkg);
    const results = namedResultWords(ctx);
    const seen = new Set<string>();
    const structFilter = new Map<string, boolean>();
    const text = ctx.file.text;
    for (const write of ctx.file.caps.mapWrites) {
      // The source text before `[` names the operand; most writes are ruled out without touching nodes.
      const start = write.startIndex;
      const bracket = text.indexOf("[", start);
      const head = bracket > start && bracket - start < 120 ? text.slice(start, bracket) : "";
      const sel = SELECTOR_HEAD.exec(head);
      if (sel ? !fields.has(sel[2]!) : !IDENT_HEAD.test(head) || (!results.has(head) && !ctx.pkg.mapVar(head)))
        continue;
      if (write.type !== "index_expression") continue;
      const operand = unparen(write.childForFieldName("operand")!);
      // A named map result: nil until the function assigns it.
      if (operand.type === "identifier" && results.has(operand.text)) {
        const local = findLocalDeclaration(write, operand.text);
        const decl = local?.decls.length === 1 ? local.decls[0]! : null;
        if (
          local &&
          decl &&
          decl.node.type === "parameter_declaration" &&
          decl.node.parent?.id === local.fn.childForFieldName("result")?.id &&
          declIsMap(decl, ctx.pkg)
        ) {
          const key = `${decl.node.id}:${operand.text}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const target = { fn: local.fn, declNode: decl.node, name: operand.text };
          const w = firstNilWrite(target, ctx.file.text);
          const id = decl.node.childrenForFieldName("name").find((n) => n?.text === operand.text);
          if (w)
            out.push(
              finding(
                w,
                operand.text,
                file,
                rangeOf(id ?? decl.node),
                `${operand.text} is a named result: nil until the function assigns it`,
                fixesAllowed(ctx.file)
                  ? [
                      namedResultFix(ctx, target, decl.node),
                      guardFix(ctx, w, operand.text, decl.node.childForFieldName("type")?.text),
                    ]
                  : [],
              ),
            );
          continue;
        }
      }
      // A map field of a struct variable built in this function.
      if (operand.type === "selector_expression" && fields.has(operand.childForFieldName("field")?.text ?? "")) {
        const root = unparen(operand.childForFieldName("operand")!);
        const field = operand.childForFieldName("field")!.text;
        if (root.type !== "identifier") continue;
        const outer = enclosingDeclaration(write);
        if (!outer) continue;
        const filterKey = `${outer.id}:${root.text}.${field}`;
        let may = structFilter.get(filterKey);
        if (may === undefined)
          structFilter.set(
            filterKey,
            (may = mayDeclareStruct(
              ctx.file.text.slice(outer.startIndex, outer.endIndex),
              root.text,
              fields.get(field)!,
            )),
          );
        if (!may) continue;
        const local = findLocalDeclaration(write, root.text);
        if (!local || local.decls.length !== 1) continue;
        const decl = local.decls[0]!;
        const key = `${decl.node.id}.${field}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const sd = structDecl(decl.node, root.text);
        const type = sd ? ctx.pkg.types.get(sd.typeName) : undefined;
        if (!sd || !type || type.kind !== "struct" || !isMapField(type, field, ctx.pkg)) continue;
        if (sd.literal && !leavesUnset(sd.literal, field)) continue;
        const target = { fn: local.fn, declNode: decl.node, name: root.text, field };
        const w = firstNilWrite(target, ctx.file.text);
        if (w)
          out.push(
            finding(
              w,
              `${root.text}.${field}`,
              file,
              rangeOf(sd.literal ?? decl.node),
              `${root.text} is built here without ${field}`,
              fixesAllowed(ctx.file) ? fieldFixes(ctx, target, sd.typeName, w) : [],
            ),
          );
        continue;
      }
      // A package-level map that nothing ever creates.
      if (operand.type !== "identifier") continue;
      const name = operand.text;
      const v = ctx.pkg.mapVar(name);
      if (
        !v ||
        (v.valueKind !== "none" && v.valueKind !== "nil") ||
        !ctx.pkg.isMapType(v.typeText) ||
        !isEntryWrite(write)
      )
        continue;
      if (/^[A-Z]/.test(name) || ctx.pkg.assignedNames.has(name)) continue;
      if (isDeclaredLocally(write, name)) continue;
      const host = enclosingDeclaration(write) ?? enclosingFunction(write);
      if (!host) continue;
      const key = `${host.id}:${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const fix = fixesAllowed(ctx.file) && v.file === file ? packageVarFix(ctx, name, v.range) : undefined;
      out.push(
        finding(write, name, v.file, v.range, `${name} is declared here without a value and never assigned`, [fix]),
      );
    }
    return out;
  },
};
