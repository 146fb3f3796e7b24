// The map-race rewrites: convert a map variable to sync.Map, wrap it in a small
// RWMutex-guarded type, or guard its accesses with a mutex. Every use of the
// map is rewritten (in every file of the package for a package-level map), or
// the fix is not offered and the reason says which use stands in the way.
// Pure: the caller hands in the parsed files; nothing here reads or writes disk.
import { classifyValue, type FileSyntax } from "../analysis/facts";
import type { PackageFacts } from "../analysis/package";
import { goAtLeast, type Fix, type Position, type Range } from "../analysis/types";
import { rangeOf } from "../analysis/syntax";
import type { Node } from "../parser";
import type { RuleContext } from "../analysis/rule";
import { asType, isInterfaceType, neededImports, qualify, splitMapType } from "./go-types";
import { importName } from "./imports";
import { guardFix } from "./map-guard";
import {
  collectUses,
  EditSet,
  endsLine,
  fresh,
  hasCalls,
  indentAt,
  lineOf,
  nextLineStart,
  ownsLines,
  returnedAfterJoin,
  startsLine,
  unparenUp,
  type MapEnv,
  type MapTarget,
  type Use,
} from "./map-uses";
import { Rewriter } from "./rewriter";
import { hasWord, resolveLocal } from "./scope";

export type { MapTarget } from "./map-uses";

export interface MapFixSet {
  /** `Convert <name> to sync.Map`, or why it is not offered. */
  syncMap: Fix | string;
  /** `Wrap <name> in an RWMutex-guarded type`, or why not. */
  wrapper: Fix | string;
  /** `Guard <name> with a sync.RWMutex`, or why not. */
  guard: Fix | string;
}

/** Which map a remembered fix set is for, in terms that move with the text. */
export interface MemoTarget {
  name: string;
  /** A local map: where its declaration starts, and the top-level declaration that holds all its uses. */
  local?: { at: Position; scope: Range };
}

/**
 * Fix sets kept from earlier analyses of an open file (workspace/fix-memo.ts):
 * `lookup` answers only while no edit since can have changed the set.
 */
export interface MapFixMemo {
  lookup(t: MemoTarget): MapFixSet | undefined;
  record(t: MemoTarget, set: MapFixSet): void;
}

const cache = new WeakMap<object, Map<string, MapFixSet | null>>();

/**
 * The three map fixes for a map variable, computed once per analysis run.
 * Null when no fix can be offered at all: syntax errors, or a package-level
 * map whose package files were not all parsed together (the language server
 * analysing one open file of a multi-file package).
 */
export function mapFixes(target: MapTarget, ctx: RuleContext): MapFixSet | null {
  if (ctx.file.summary.hasErrors) return null;
  const owner: object = ctx.siblings ?? ctx.file;
  let perRun = cache.get(owner);
  if (!perRun) {
    perRun = new Map();
    cache.set(owner, perRun);
  }
  const key = target.kind === "package" ? `p:${target.name}` : `l:${ctx.file.file}:${target.declNode.startIndex}`;
  if (perRun.has(key)) return perRun.get(key)!;
  const memo = ctx.fixMemo;
  const remembered = memo ? memoTarget(target) : undefined;
  let result: MapFixSet | null | undefined = remembered ? memo!.lookup(remembered) : undefined;
  if (result === undefined) {
    result = compute(target, ctx);
    if (result && remembered) memo!.record(remembered, result);
  }
  perRun.set(key, result);
  return result;
}

function memoTarget(target: MapTarget): MemoTarget {
  if (target.kind === "package") return { name: target.name };
  let top = target.declNode;
  while (top.parent && top.parent.type !== "source_file") top = top.parent;
  return { name: target.name, local: { at: rangeOf(target.declNode).start, scope: rangeOf(top) } };
}

/** The reasons a set leaves out, as a message tail: `; not convertible to sync.Map: ...`. */
export function whyNot(set: MapFixSet, which: readonly (keyof MapFixSet)[] = ["syncMap", "wrapper", "guard"]): string {
  const reason = (w: keyof MapFixSet): string | null => {
    const r = set[w];
    return typeof r === "string" && !r.startsWith("-") && which.includes(w) ? r : null;
  };
  const s = reason("syncMap");
  const w = reason("wrapper");
  const g = reason("guard");
  let out = "";
  if (s && s === w) out += `; not convertible to sync.Map or an RWMutex-guarded type: ${s}`;
  else {
    if (s) out += `; not convertible to sync.Map: ${s}`;
    if (w) out += `; not convertible to an RWMutex-guarded type: ${w}`;
  }
  if (g) out += `; no mutex guard: ${g}`;
  return out;
}

/** The offered fixes of a set in preference order. */
export function offered(set: MapFixSet, which: readonly (keyof MapFixSet)[] = ["syncMap", "wrapper", "guard"]): Fix[] {
  return which.map((w) => set[w]).filter((f): f is Fix => typeof f !== "string");
}

function packageFiles(ctx: RuleContext): readonly FileSyntax[] | null {
  const sib = ctx.siblings;
  if (sib && sib.length >= ctx.pkg.files.length && sib.some((f) => f.file === ctx.file.file)) return sib;
  return ctx.pkg.files.length === 1 ? [ctx.file] : null;
}

function compute(target: MapTarget, ctx: RuleContext): MapFixSet | null {
  const pkgFiles = packageFiles(ctx);
  const all = (why: string): MapFixSet => ({ syncMap: why, wrapper: why, guard: why });
  let files: readonly FileSyntax[];
  let declFile: FileSyntax;
  let declNode: Node;
  let mapType: string | undefined;
  if (target.kind === "package") {
    if (!pkgFiles || pkgFiles.some((f) => f.summary.hasErrors)) return null;
    files = pkgFiles;
    const df = files.find((f) => f.file === target.decl.file);
    if (!df) return null;
    declFile = df;
    const id = df.tree.rootNode.descendantForPosition({
      row: target.decl.range.start.line,
      column: target.decl.range.start.character,
    });
    const spec = id?.parent;
    if (id?.type !== "identifier" || spec?.type !== "var_spec") return null;
    if (spec.childrenForFieldName("name").length !== 1)
      return all(`${target.name} is declared together with other variables`);
    declNode = spec;
    mapType = target.decl.mapType;
  } else {
    files = [ctx.file];
    declFile = ctx.file;
    declNode = target.declNode;
    if (declNode.type === "short_var_declaration") {
      const left = declNode.childForFieldName("left")?.namedChildren ?? [];
      const right = declNode.childForFieldName("right")?.namedChildren ?? [];
      if (left.length !== 1 || right.length !== 1)
        return all(`${target.name} is declared together with other variables`);
      mapType = classifyValue(right[0], ctx.pkg.namedMapTypes).mapType;
    } else if (declNode.type === "var_spec") {
      if (declNode.childrenForFieldName("name").length !== 1)
        return all(`${target.name} is declared together with other variables`);
      mapType =
        declNode.childForFieldName("type")?.text ??
        classifyValue(declNode.childForFieldName("value")?.namedChild(0), ctx.pkg.namedMapTypes).mapType;
    } else if (declNode.type === "parameter_declaration") {
      mapType = declNode.childForFieldName("type")?.text;
    } else return null;
  }
  if (!mapType) return all(`the type of ${target.name} is not written out`);
  const named = ctx.pkg.types.get(mapType);
  const kv = splitMapType(named && named.kind === "map" ? named.typeText : mapType);
  if (!kv) return all(`the key and value types of ${target.name} are not written out`);
  const base = {
    pkg: ctx.pkg,
    target,
    name: target.name,
    files,
    declFile,
    declNode,
    key: kv.key,
    value: kv.value,
    mapType,
    modern: goAtLeast(ctx.module, 18),
    taken: new Map<number, Set<string>>(),
  };
  const env: MapEnv = { ...base, uses: collectUses(base) };
  const placement = pkgFiles ?? [ctx.file];
  const run = (f: (env: MapEnv) => Fix | string): Fix | string => {
    env.taken = new Map();
    try {
      return f(env);
    } catch (e) {
      return `-internal error: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  return {
    syncMap: run(syncMapFix),
    wrapper: run((e) => wrapperFix(e, placement)),
    guard: run(guardFix),
  };
}

// ---- shared checks ------------------------------------------------------------

function brief(node: Node): string {
  const t = node.text.replace(/\s+/g, " ");
  return t.length > 40 ? `${t.slice(0, 37)}...` : t;
}

/** Why neither sync.Map nor the wrapper can take over the map, or null. */
function commonObstacle(env: MapEnv): string | null {
  const t = env.target;
  if (t.kind === "package" && /^[A-Z]/.test(t.name)) return `${t.name} is exported, so other packages may use it`;
  if (env.declNode.type === "parameter_declaration") return `${env.name} is a parameter, so its callers own the map`;
  for (const u of env.uses) {
    if (u.kind === "reassign" || u.kind === "escape" || u.kind === "nilcmp") return u.why!;
    if (u.kind === "multi") return `${brief(u.node.parent!.parent!)} assigns several values at once`;
    if (u.kind === "clear") return `clear(${env.name}) has no equivalent`;
    if (!enclosingFunctionOf(u.id)) return `${env.name} is used in a package-level initializer`;
  }
  return null;
}

function enclosingFunctionOf(n: Node): Node | null {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === "function_declaration" || p.type === "method_declaration" || p.type === "func_literal") return p;
  }
  return null;
}

/** Per-file view of the map's types and the imports that file then needs. */
class Types {
  private readonly need = new Map<string, { file: FileSyntax; paths: Set<string> }>();

  constructor(private readonly env: MapEnv) {}

  private qualified(type: string, file: FileSyntax): string {
    let e = this.need.get(file.file);
    if (!e) {
      e = { file, paths: new Set() };
      this.need.set(file.file, e);
    }
    const q = qualify(type, this.env.declFile, file, e.paths);
    if (q === null) throw new Obstacle(`the type ${type} cannot be named in ${baseName(file.file)}`);
    return q;
  }

  key(file: FileSyntax): string {
    return this.qualified(this.env.key, file);
  }

  value(file: FileSyntax): string {
    return this.qualified(this.env.value, file);
  }

  /** `sync` as the file imports it (added when missing). */
  sync(file: FileSyntax): string {
    const name = importName(file, "sync");
    if (name) return name;
    let e = this.need.get(file.file);
    if (!e) {
      e = { file, paths: new Set() };
      this.need.set(file.file, e);
    }
    e.paths.add("sync");
    return "sync";
  }

  addImports(edits: EditSet): void {
    for (const { file, paths } of this.need.values()) edits.addTextEdits(file, neededImports(file, paths));
  }
}

/** A use that stops a fix; thrown from deep inside a rewrite and turned into the reason. */
class Obstacle extends Error {}

function baseName(file: string): string {
  return file.replace(/^.*[\\/]/, "");
}

function anyType(env: MapEnv): string {
  return env.modern ? "any" : "interface{}";
}

/** For `rangeTypes`: the variables of a range over the map itself have its key and value types. */
function rangeTypesOf(env: MapEnv) {
  return (decl: Node, index: number): string | null => {
    const right = decl.childForFieldName("right");
    if (!right || !env.uses.some((u) => u.kind === "range" && u.node.id === decl.id)) return null;
    return index === 0 ? env.key : index === 1 ? env.value : null;
  };
}

function isEmptyInterface(t: string): boolean {
  return /^(any|interface\s*\{\s*\})$/.test(t.trim());
}

const PRIMARY = new Set([
  "identifier",
  "int_literal",
  "float_literal",
  "imaginary_literal",
  "rune_literal",
  "interpreted_string_literal",
  "raw_string_literal",
  "call_expression",
  "selector_expression",
  "index_expression",
  "parenthesized_expression",
  "true",
  "false",
  "nil",
  "composite_literal",
]);

// ---- hoisting reads out of expressions ----------------------------------------------

/**
 * The statement before which a read of the map at `ix` can be evaluated
 * instead, without changing what the program does: the read is not
 * conditional (`&&`, `||`, case values, loop conditions, else-if), nothing
 * before it in the statement calls a function, and its key only uses names
 * declared outside the statement. Throws an Obstacle otherwise.
 */
function hoistPoint(file: FileSyntax, ix: Node): Node {
  const cannot = (why: string): never => {
    throw new Obstacle(`${brief(ix)} is read ${why}`);
  };
  // Reading a map has no effects; only the key's evaluation could panic where the original never
  // evaluated it. A conditional read moves only with a key that cannot.
  const conditional = (why: string): void => {
    if (!pureKey(ix.childForFieldName("index"))) cannot(why);
  };
  let child = ix;
  let stmt: Node | null = null;
  for (let n = ix.parent; n; child = n, n = n.parent) {
    if (n.type === "func_literal" || n.type === "source_file") break;
    if (n.type === "binary_expression") {
      const op = n.childForFieldName("operator")?.text;
      if ((op === "&&" || op === "||") && n.childForFieldName("right")?.id === child.id)
        conditional(`only when ${brief(n.childForFieldName("left")!)} allows it`);
    }
    // (A condition or switch tag after an initializer is fine: the checks below see the initializer.)
    if (n.type === "if_statement" && n.parent?.type === "if_statement") conditional("in an else-if condition");
    if (n.type === "for_clause" && n.childForFieldName("initializer")?.id !== child.id) cannot("in a loop condition");
    if (n.type === "expression_case") conditional("in a case");
    if (n.type === "communication_case" || n.type === "select_statement") cannot("in a select case");
    if (n.parent?.type === "statement_list") {
      stmt = n;
      break;
    }
  }
  if (!stmt) return cannot("outside a statement");
  if (!ownsLines(file, stmt)) cannot("in a statement that shares its line");
  if (hasCalls(stmt, ix.startIndex)) cannot("after a call in the same statement");
  // The key must not use names the statement itself declares.
  const idx = ix.childForFieldName("index");
  const stack: Node[] = idx ? [idx] : [];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "identifier") {
      const d = resolveLocal(n);
      if (d && d.startIndex >= stmt.startIndex && d.endIndex <= stmt.endIndex)
        cannot("with a key declared in the same statement");
    }
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return stmt;
}

/** A key whose evaluation can neither panic nor have effects: names, literals and arithmetic on them. */
function pureKey(n: Node | null): boolean {
  if (!n) return false;
  switch (n.type) {
    case "identifier":
    case "int_literal":
    case "float_literal":
    case "rune_literal":
    case "interpreted_string_literal":
    case "raw_string_literal":
    case "true":
    case "false":
    case "nil":
      return true;
    case "parenthesized_expression":
      return pureKey(n.namedChild(0));
    case "unary_expression":
      return (
        ["-", "+", "!", "^"].includes(n.childForFieldName("operator")?.text ?? "") &&
        pureKey(n.childForFieldName("operand"))
      );
    case "binary_expression":
      return (
        !["/", "%", "<<", ">>"].includes(n.childForFieldName("operator")?.text ?? "") &&
        pureKey(n.childForFieldName("left")) &&
        pureKey(n.childForFieldName("right"))
      );
    case "selector_expression":
      // A package's constant or variable: `time.Second`.
      return (
        n.childForFieldName("operand")?.type === "identifier" &&
        !resolveLocal(n.childForFieldName("operand")!) &&
        /^[A-Z]/.test(n.childForFieldName("field")?.text ?? "")
      );
    case "composite_literal": {
      const body = n.childForFieldName("body");
      return (
        !!body &&
        body.namedChildren.every(
          (c) =>
            !c ||
            c.type === "comment" ||
            (c.type === "literal_element"
              ? pureKey(c.namedChild(0))
              : c.type === "keyed_element" && pureKey(c.childForFieldName("value")?.namedChild(0) ?? null)),
        )
      );
    }
  }
  return false;
}

// ---- range loops ------------------------------------------------------------

interface LoopParts {
  loop: Node;
  /** The statement in the list: the loop or its labeled statement. */
  stmt: Node;
  label: string | null;
  keyVar: string | null;
  valueVar: string | null;
  body: Node;
}

function loopParts(env: MapEnv, file: FileSyntax, clause: Node): LoopParts {
  const loop = clause.parent!;
  const no = (why: string): never => {
    throw new Obstacle(`the range over ${env.name} ${why}`);
  };
  const define = clause.children.some((c) => c?.type === ":=");
  const left = clause.childForFieldName("left")?.namedChildren.filter((c): c is Node => !!c) ?? [];
  if (left.length > 0 && !define) no("assigns variables declared outside the loop");
  const labeled = loop.parent?.type === "labeled_statement" ? loop.parent : null;
  const stmt = labeled ?? loop;
  if (stmt.parent?.type !== "statement_list") no("is not a plain statement");
  const body = loop.childForFieldName("body")!;
  if (
    !startsLine(file.text, loop) ||
    body.startPosition.row === body.endPosition.row ||
    !startsLine(file.text, body.lastChild!)
  )
    no("is written on one line");
  const name = (i: number): string | null => {
    const n = left[i];
    return n && n.text !== "_" ? n.text : null;
  };
  return { loop, stmt, label: labeled?.namedChild(0)?.text ?? null, keyVar: name(0), valueVar: name(1), body };
}

const BREAKABLE = new Set([
  "for_statement",
  "expression_switch_statement",
  "type_switch_statement",
  "select_statement",
]);

/** Whether control reaches the end of the function right after the loop (so `return` in it may become `return false`). */
function endsFunction(stmt: Node): boolean {
  let n = stmt;
  for (;;) {
    const list = n.parent;
    if (list?.type !== "statement_list") return false;
    const rest = list.namedChildren.filter((c) => c && c.type !== "comment" && c.startIndex > n.startIndex);
    if (rest.length) return false;
    const holder = list.parent;
    if (!holder) return false;
    if (holder.type === "block") {
      const owner = holder.parent;
      if (!owner) return false;
      if (
        owner.type === "function_declaration" ||
        owner.type === "method_declaration" ||
        owner.type === "func_literal"
      ) {
        return !owner.childForFieldName("result");
      }
      if (owner.type === "if_statement") {
        n = topIf(owner);
        continue;
      }
      if (owner.type === "block" || owner.type === "statement_list") {
        n = holder;
        continue;
      }
      return false;
    }
    if (
      holder.type === "expression_case" ||
      holder.type === "default_case" ||
      holder.type === "type_case" ||
      holder.type === "communication_case"
    ) {
      n = holder.parent!;
      continue;
    }
    return false;
  }
}

function topIf(n: Node): Node {
  let t = n;
  while (t.parent?.type === "if_statement") t = t.parent;
  return t;
}

/**
 * Rewrites the body's jumps for a Range callback: `break` (to this loop) to
 * `return false`, `continue` to `return true`, a bare `return` that ends the
 * function to `return false`. Returns whether the body then ends in a
 * terminating statement.
 */
function rewriteJumps(env: MapEnv, file: FileSyntax, rw: Rewriter, parts: LoopParts): boolean {
  const no = (why: string): never => {
    throw new Obstacle(`the range over ${env.name} ${why}`);
  };
  const finalOf = new Map<number, string>();
  const stack: Node[] = [parts.body];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "func_literal") continue;
    const innermost = (types: Set<string>): Node | null => {
      for (let p = n.parent; p && p.id !== parts.body.id; p = p.parent) if (types.has(p.type)) return p;
      return null;
    };
    const labelOf = (s: Node): string | null => s.namedChildren.find((c) => c?.type === "label_name")?.text ?? null;
    const definedInside = (label: string): boolean => {
      for (let p = n.parent; p && p.id !== parts.body.id; p = p.parent)
        if (p.type === "labeled_statement" && p.namedChild(0)?.text === label) return true;
      return false;
    };
    if (n.type === "break_statement" || n.type === "continue_statement") {
      const label = labelOf(n);
      let ours: boolean;
      if (label) {
        ours = label === parts.label;
        if (!ours && !definedInside(label))
          no(`${n.type === "break_statement" ? "breaks" : "continues"} to an outer label`);
      } else ours = !innermost(n.type === "break_statement" ? BREAKABLE : new Set(["for_statement"]));
      if (ours) {
        const text = n.type === "break_statement" ? "return false" : "return true";
        rw.replace(file, n, text);
        finalOf.set(n.id, text);
      }
    } else if (n.type === "return_statement") {
      if (n.namedChildCount > 0 || !endsFunction(parts.stmt)) no("returns from the function");
      rw.replace(file, n, "return false");
      finalOf.set(n.id, "return false");
    } else if (n.type === "goto_statement") no("uses goto");
    else if (n.type === "defer_statement") no("defers a call");
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  const list = parts.body.namedChildren.find((c) => c?.type === "statement_list");
  const stmts = list?.namedChildren.filter((c): c is Node => !!c && c.type !== "comment") ?? [];
  return stmts.length > 0 && terminating(stmts[stmts.length - 1]!, finalOf);
}

function terminating(s: Node, rewritten: ReadonlyMap<number, string>): boolean {
  if (rewritten.has(s.id) || s.type === "return_statement" || s.type === "goto_statement") return true;
  if (s.type === "expression_statement") {
    const call = s.namedChild(0);
    return call?.type === "call_expression" && call.childForFieldName("function")?.text === "panic";
  }
  if (s.type === "block") {
    const list = s.namedChildren.find((c) => c?.type === "statement_list");
    const last = list?.namedChildren.filter((c): c is Node => !!c && c.type !== "comment").pop();
    return !!last && terminating(last, rewritten);
  }
  if (s.type === "if_statement") {
    const alt = s.childForFieldName("alternative");
    return !!alt && terminating(s.childForFieldName("consequence")!, rewritten) && terminating(alt, rewritten);
  }
  if (s.type === "labeled_statement") {
    const inner = s.namedChildren.find((c) => c?.type !== "label_name");
    return !!inner && terminating(inner, rewritten);
  }
  return false;
}

/** Header, extra first lines and closing of a Range callback replacing a range loop. */
function rewriteRange(
  env: MapEnv,
  file: FileSyntax,
  rw: Rewriter,
  types: Types,
  use: Use,
  mode: "sync" | "wrap",
): void {
  const parts = loopParts(env, file, use.node);
  const ends = rewriteJumps(env, file, rw, parts);
  const indent = indentAt(file.text, parts.loop.startIndex);
  const lines: string[] = [];
  let header: string;
  if (mode === "sync") {
    // An interface{} key or value needs no assertion: the callback's parameter is the variable.
    const kp = parts.keyVar ? (isEmptyInterface(env.key) ? parts.keyVar : fresh(env, parts.loop, "key")) : "_";
    const vp = parts.valueVar ? (isEmptyInterface(env.value) ? parts.valueVar : fresh(env, parts.loop, "value")) : "_";
    header = `${env.name}.Range(func(${kp}, ${vp} ${anyType(env)}) bool {`;
    const assert = (v: string, p: string, t: string): string =>
      isInterfaceType(t, env.pkg) === false ? `${v} := ${p}.(${t})` : `${v}, _ := ${p}.(${t})`;
    if (parts.keyVar && kp !== parts.keyVar) lines.push(assert(parts.keyVar, kp, types.key(file)));
    if (parts.valueVar && vp !== parts.valueVar) lines.push(assert(parts.valueVar, vp, types.value(file)));
  } else {
    const K = types.key(file);
    const V = types.value(file);
    const k = parts.keyVar ?? "_";
    const v = parts.valueVar ?? "_";
    header = `${env.name}.Range(func(${K === V ? `${k}, ${v} ${V}` : `${k} ${K}, ${v} ${V}`}) bool {`;
  }
  const start =
    parts.stmt.id === parts.loop.id ? parts.loop.startIndex : lineOf(file.text, parts.stmt.startIndex).start;
  const prefix = parts.stmt.id === parts.loop.id ? "" : indent;
  rw.replaceRange(file, start, parts.body.startIndex + 1, prefix + header);
  if (lines.length)
    rw.insert(
      file,
      nextLineStart(file.text, parts.body.startIndex),
      lines.map((l) => `${indent}\t${l}\n`).join(""),
      -1,
    );
  const close = parts.body.endIndex - 1;
  rw.replaceRange(file, close, close + 1, ends ? "})" : `\treturn true\n${indent}})`);
}

// ---- sync.Map -----------------------------------------------------------------

function syncMapFix(env: MapEnv): Fix | string {
  const common = commonObstacle(env);
  if (common) return common;
  for (const u of env.uses) {
    if (u.kind === "rmw")
      return `${brief(unparenUp(u.node).parent!.type === "expression_list" ? unparenUp(u.node).parent!.parent! : unparenUp(u.node).parent!)} is a read-modify-write`;
    if (u.kind === "len") return `len(${env.name}) has no sync.Map equivalent`;
    if (u.kind === "return") return `${u.why!} as a map`;
  }
  const rw = new Rewriter();
  const types = new Types(env);
  const pkg = env.pkg;
  const rangeTypes = rangeTypesOf(env);
  const conv = (file: FileSyntax, e: Node, type: string): string =>
    asType(e, type, { pkg, imports: file.summary.imports, rangeTypes }, rw.sub(file, e));
  const load = (file: FileSyntax, ix: Node): string =>
    `${env.name}.Load(${conv(file, ix.childForFieldName("index")!, types.key(file))})`;
  const assertion = (file: FileSyntax, v: string, from: string): string => `${v}, _ := ${from}.(${types.value(file)})`;
  try {
    declToSyncMap(env, rw, types);
    for (const u of env.uses) {
      const f = u.file;
      switch (u.kind) {
        case "store": {
          const st = unparenUp(u.node).parent!.parent!;
          const v = st.childForFieldName("right")!.namedChild(0)!;
          rw.replace(
            f,
            st,
            () =>
              `${env.name}.Store(${conv(f, u.node.childForFieldName("index")!, types.key(f))}, ${conv(f, v, types.value(f))})`,
          );
          break;
        }
        case "delete": {
          const k = u.node.childForFieldName("arguments")!.namedChild(1);
          if (!k) throw new Obstacle(`${brief(u.node)} has no key`);
          rw.replace(f, u.node, () => `${env.name}.Delete(${conv(f, k, types.key(f))})`);
          break;
        }
        case "range":
          rewriteRange(env, f, rw, types, u, "sync");
          break;
        case "commaok":
          // Load's (interface{}, bool) already has the types of `v, ok := m[k]` for an interface{} map.
          if (isEmptyInterface(env.value)) rw.replace(f, u.node, () => load(f, u.node));
          else syncCommaOk(env, f, rw, types, u, load);
          break;
        case "read":
        case "elemwrite":
          if (isEmptyInterface(env.value)) wrapRead(env, f, rw, u, () => load(f, u.node));
          else syncRead(env, f, rw, u, load, assertion);
          break;
      }
    }
  } catch (e) {
    if (e instanceof Obstacle) return e.message;
    throw e;
  }
  const edits = new EditSet();
  rw.emit(edits);
  types.addImports(edits);
  return edits.toFix(`Convert ${env.name} to sync.Map`, true);
}

/** The declaration becomes `var m sync.Map`; a literal's entries are stored in init (or right after a local). */
function declToSyncMap(env: MapEnv, rw: Rewriter, types: Types): void {
  const f = env.declFile;
  const d = env.declNode;
  const sync = types.sync(f);
  const value =
    d.type === "short_var_declaration"
      ? d.childForFieldName("right")!.namedChild(0)
      : d.childForFieldName("value")?.namedChild(0);
  if (value && value.type !== "composite_literal" && classifyValue(value, env.pkg.namedMapTypes).kind !== "make") {
    throw new Obstacle(`${env.name} starts as ${brief(value)}`);
  }
  if (value && hasCalls(value)) throw new Obstacle(`the initial value of ${env.name} calls functions`);
  rw.replace(f, d, d.type === "short_var_declaration" ? `var ${env.name} ${sync}.Map` : `${env.name} ${sync}.Map`);
  const body = value?.type === "composite_literal" ? value.childForFieldName("body") : null;
  const entries = body ? literalEntries(env, f, body, types) : [];
  if (!entries.length) return;
  if (env.target.kind === "local") {
    const indent = indentAt(f.text, d.startIndex);
    if (!ownsLines(f, d)) throw new Obstacle(`the declaration of ${env.name} shares its line`);
    rw.insert(f, nextLineStart(f.text, d.endIndex), entries.map((e) => reindent(e, indent)).join(""));
    return;
  }
  storeInInit(env, rw, entries);
}

/** `m.Store(k, v)` lines (indented by one tab) for a map literal's entries, comments kept. */
function literalEntries(env: MapEnv, f: FileSyntax, body: Node, types: Types): string[] {
  const out: string[] = [];
  let lastRow = -1;
  const spell = (el: Node, type: string): string => {
    const inner = el.namedChild(0)!;
    if (inner.type === "literal_value")
      return type.startsWith("*") ? `&${type.slice(1)}${inner.text}` : `${type}${inner.text}`;
    return asType(inner, type, { pkg: env.pkg, imports: f.summary.imports }, inner.text);
  };
  for (const c of body.namedChildren) {
    if (!c) continue;
    if (c.type === "comment") {
      if (c.startPosition.row === lastRow && out.length)
        out[out.length - 1] = out[out.length - 1]!.replace(/\n$/, ` ${c.text}\n`);
      else out.push(`\t${c.text}\n`);
      continue;
    }
    if (c.type !== "keyed_element") throw new Obstacle(`the literal of ${env.name} has an element without a key`);
    const k = c.childForFieldName("key")!;
    const v = c.childForFieldName("value")!;
    const elemIndent = indentAt(f.text, c.startIndex);
    let text = `${env.name}.Store(${spell(k, types.key(f))}, ${spell(v, types.value(f))})`;
    if (text.includes("\n")) {
      if (/`[^`]*\n/.test(c.text)) throw new Obstacle(`an entry of ${env.name} holds a multi-line raw string`);
      text = text
        .split("\n")
        .map((l, i) => (i === 0 ? l : l.startsWith(elemIndent) ? `\t${l.slice(elemIndent.length)}` : l))
        .join("\n");
    }
    out.push(`\t${text}\n`);
    lastRow = c.endPosition.row;
  }
  return out;
}

/** Lines indented by one tab (as literalEntries makes them), re-indented under `indent`. */
function reindent(lines: string, indent: string): string {
  return lines
    .split("\n")
    .map((l) => (l === "" ? l : indent + l.replace(/^\t/, "")))
    .join("\n");
}

/**
 * Stores a package-level literal's entries in an init function: the first
 * init that uses the map (it must see them), else the declaring file's first
 * init, else a new one after the declaration.
 */
function storeInInit(env: MapEnv, rw: Rewriter, entries: string[]): void {
  const inits: { file: FileSyntax; fn: Node }[] = [];
  for (const f of [...env.files].sort((a, b) => (baseName(a.file) < baseName(b.file) ? -1 : 1))) {
    for (const n of f.tree.rootNode.namedChildren) {
      if (n?.type === "function_declaration" && n.childForFieldName("name")?.text === "init")
        inits.push({ file: f, fn: n });
    }
  }
  const usesIn = (fn: Node) =>
    env.uses.some((u) => u.file.tree === fn.tree && u.id.startIndex >= fn.startIndex && u.id.endIndex <= fn.endIndex);
  const target = inits.find((i) => usesIn(i.fn)) ?? inits.find((i) => i.file.file === env.declFile.file);
  const text = entries.join("");
  if (target) {
    const block = target.fn.childForFieldName("body")!;
    const f = target.file;
    if (block.startPosition.row === block.endPosition.row) {
      if (block.namedChildCount > 0) throw new Obstacle("an init function is written on one line");
      rw.replace(f, block, `{\n${text}}`);
    } else rw.insert(f, nextLineStart(f.text, block.startIndex), text, -2);
    return;
  }
  const f = env.declFile;
  const decl = env.declNode.parent?.type === "var_spec_list" ? env.declNode.parent.parent! : env.declNode.parent!;
  if (!endsLine(f.text, decl)) throw new Obstacle(`the declaration of ${env.name} shares its line`);
  const at = nextLineStart(f.text, decl.endIndex);
  const blankAfter = at >= f.text.length || lineOf(f.text, at).text.trim() === "";
  rw.insert(f, at, `\nfunc init() {\n${text}}\n${blankAfter ? "" : "\n"}`, 5);
}

function syncCommaOk(
  env: MapEnv,
  f: FileSyntax,
  rw: Rewriter,
  types: Types,
  u: Use,
  load: (f: FileSyntax, ix: Node) => string,
): void {
  const ix = u.node;
  const list = unparenUp(ix).parent!;
  const st = list.parent!;
  const targets =
    st.type === "var_spec"
      ? st.childrenForFieldName("name").filter((n): n is Node => !!n)
      : st.childForFieldName("left")!.namedChildren.filter((n): n is Node => !!n);
  const [a, b] = targets as [Node, Node];
  if (a.text === "_") {
    rw.replace(f, ix, () => load(f, ix));
    return;
  }
  const indent = indentAt(f.text, st.startIndex);
  const V = types.value(f);
  if (
    st.parent?.type === "if_statement" &&
    st.parent.childForFieldName("initializer")?.id === st.id &&
    st.type === "short_var_declaration"
  ) {
    const ifs = st.parent;
    const cond = ifs.childForFieldName("condition");
    const alt = ifs.childForFieldName("alternative");
    const cons = ifs.childForFieldName("consequence")!;
    if ((cond && hasWord(cond.text, a.text)) || (alt && hasWord(alt.text, a.text)))
      throw new Obstacle(`${brief(st)} uses ${a.text} outside the if body`);
    if (cons.startPosition.row === cons.endPosition.row) throw new Obstacle(`${brief(ifs)} is written on one line`);
    const top = cons.namedChildren.find((c) => c?.type === "statement_list");
    for (const s of top?.namedChildren ?? []) {
      if (
        s?.type === "short_var_declaration" &&
        s.childForFieldName("left")!.namedChildren.some((n) => n?.text === a.text)
      )
        throw new Obstacle(`the if body redeclares ${a.text}`);
    }
    const aAny = fresh(env, ifs, `${a.text}Any`);
    rw.replace(f, a, aAny);
    rw.replace(f, ix, () => load(f, ix));
    rw.insert(
      f,
      nextLineStart(f.text, cons.startIndex),
      `${indentAt(f.text, ifs.startIndex)}\t${a.text}, _ := ${aAny}.(${V})\n`,
      -1,
    );
    return;
  }
  const stmt = st.type === "var_spec" ? (st.parent!.type === "var_declaration" ? st.parent! : null) : st;
  if (!stmt || stmt.parent?.type !== "statement_list" || !ownsLines(f, stmt))
    throw new Obstacle(`${brief(st)} cannot be split into statements`);
  if (st.type === "assignment_statement") {
    if (hasCalls(a) || hasCalls(b)) throw new Obstacle(`${brief(st)} assigns through calls`);
    const aAny = fresh(env, st, `${a.type === "identifier" ? a.text : env.name}Any`);
    const bText = rw.sub(f, b);
    const lines =
      b.text === "_"
        ? [`${aAny}, _ := ${load(f, ix)}`, `${rw.sub(f, a)}, _ = ${aAny}.(${V})`]
        : [`var ${aAny} ${anyType(env)}`, `${aAny}, ${bText} = ${load(f, ix)}`, `${rw.sub(f, a)}, _ = ${aAny}.(${V})`];
    rw.replace(f, stmt, () => lines.join(`\n${indent}`));
    return;
  }
  // `v, ok := m[k]` or `var v, ok = m[k]`: v is new unless `:=` reuses one of the same block.
  const aIsNew = st.type === "var_spec" || isNewIn(a);
  const aAny = fresh(env, st, `${a.text}Any`);
  rw.replace(f, stmt, () =>
    [`${aAny}, ${b.text} := ${load(f, ix)}`, `${a.text}, _ ${aIsNew ? ":=" : "="} ${aAny}.(${V})`].join(`\n${indent}`),
  );
}

/** Whether `:=` declares this left-hand identifier (rather than assigning one declared earlier in the block). */
function isNewIn(id: Node): boolean {
  const d = resolveLocal(id);
  const st = id.parent!.parent!;
  return !d || d.parent?.id !== st.parent?.id || d.startIndex >= st.startIndex;
}

function syncRead(
  env: MapEnv,
  f: FileSyntax,
  rw: Rewriter,
  u: Use,
  load: (f: FileSyntax, ix: Node) => string,
  assertion: (f: FileSyntax, v: string, from: string) => string,
): void {
  const ix = u.node;
  const outer = unparenUp(ix);
  const list = outer.parent;
  const st = list?.parent;
  // `_ = m[k]`
  if (
    u.kind === "read" &&
    st?.type === "assignment_statement" &&
    st.childForFieldName("right")?.id === list!.id &&
    list!.namedChildCount === 1 &&
    st.childForFieldName("left")!.text === "_" &&
    st.childForFieldName("operator")?.text === "="
  ) {
    rw.replace(f, st, () => `_, _ = ${load(f, ix)}`);
    return;
  }
  // `v := m[k]` as a statement of its own.
  if (
    u.kind === "read" &&
    st?.type === "short_var_declaration" &&
    st.childForFieldName("right")?.id === list!.id &&
    list!.namedChildCount === 1 &&
    st.parent?.type === "statement_list" &&
    ownsLines(f, st)
  ) {
    const left = st.childForFieldName("left")!.namedChildren;
    if (left.length === 1 && left[0]!.type === "identifier" && left[0]!.text !== "_") {
      const v = left[0]!.text;
      const vAny = fresh(env, st, `${v}Any`);
      const indent = indentAt(f.text, st.startIndex);
      rw.replace(f, st, () => `${vAny}, _ := ${load(f, ix)}\n${indent}${assertion(f, v, vAny)}`);
      return;
    }
  }
  const stmt = hoistPoint(f, ix);
  const indent = indentAt(f.text, stmt.startIndex);
  const vAny = fresh(env, stmt, `${env.name}Any`);
  const v = fresh(env, stmt, `${env.name}V`);
  rw.insert(
    f,
    lineOf(f.text, stmt.startIndex).start,
    `${indent}${vAny}, _ := ${load(f, ix)}\n${indent}${assertion(f, v, vAny)}\n`,
    1,
  );
  rw.replace(f, ix, v);
}

// ---- the RWMutex-guarded wrapper ---------------------------------------------------

const WRAPPER_NAMES = ["syncMap", "guardedMap", "lockedMap"];
const METHODS = ["Load", "Store", "Delete", "Len", "Range", "Update"];

/** Whether a package type is (very likely) a wrapper this fix generated: mu, m and all methods. */
function isOurWrapper(pkg: PackageFacts, name: string): boolean {
  const t = pkg.types.get(name);
  if (!t || t.kind !== "struct") return false;
  const mu = t.fields.find((f) => f.name === "mu");
  const m = t.fields.find((f) => f.name === "m");
  if (!mu?.isMutex || !m || !(m.isMap || m.typeText.startsWith("map["))) return false;
  return METHODS.every((meth) => pkg.funcs.get(meth)?.some((f) => f.receiverType === name));
}

function nameTaken(pkg: PackageFacts, name: string): boolean {
  return pkg.types.has(name) || pkg.vars.has(name) || pkg.consts.has(name) || pkg.funcs.has(name);
}

function wrapperType(name: string, generic: boolean, K: string, V: string, sync: string): string {
  const recv = generic ? `*${name}[K, V]` : `*${name}`;
  const [k, v] = generic ? ["K", "V"] : [K, V];
  const params = generic ? "[K comparable, V any]" : "";
  return `
// ${name} is a map guarded by a sync.RWMutex, safe for concurrent use. Use it
// through a pointer: copying it would copy the lock.
type ${name}${params} struct {
	mu ${sync}.RWMutex
	m  map[${k}]${v}
}

// Load returns the value stored under k, and whether there was one.
func (s ${recv}) Load(k ${k}) (${v}, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[k]
	return v, ok
}

// Store sets the value under k.
func (s ${recv}) Store(k ${k}, v ${v}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
}

// Delete removes the value under k.
func (s ${recv}) Delete(k ${k}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
}

// Len returns the number of entries.
func (s ${recv}) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// Range calls f for each entry until f returns false. f runs without the lock
// held, so it may use the map; like a range loop, it skips entries deleted
// before they are reached and sees the latest value of the others.
func (s ${recv}) Range(f func(${k}, ${v}) bool) {
	s.mu.RLock()
	keys := make([]${k}, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	s.mu.RUnlock()
	for _, k := range keys {
		if v, ok := s.Load(k); ok && !f(k, v) {
			return
		}
	}
}

// Update replaces the value under k with f(old, present) in one step, for
// read-modify-write updates such as counters.
func (s ${recv}) Update(k ${k}, f func(${v}, bool) ${v}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	s.m[k] = f(v, ok)
}
`;
}

/** The file that holds the package's generic wrapper: the first non-test file, so every fix puts it in the same place. */
function canonicalFile(files: readonly FileSyntax[]): FileSyntax {
  const sorted = [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return sorted.find((f) => !f.file.endsWith("_test.go")) ?? sorted[0]!;
}

function wrapperFix(env: MapEnv, placement: readonly FileSyntax[]): Fix | string {
  const common = commonObstacle(env);
  if (common) return common;
  const generic = env.modern;
  const pkg = env.pkg;
  let typeName: string | undefined;
  let declareIn: FileSyntax | null = null;
  if (generic) {
    typeName = WRAPPER_NAMES.find((n) => isOurWrapper(pkg, n));
    if (!typeName) {
      typeName = WRAPPER_NAMES.find((n) => !nameTaken(pkg, n));
      declareIn = canonicalFile(placement);
    }
  } else {
    typeName = [`${env.name}Map`, `${env.name}SyncMap`].find((n) => !nameTaken(pkg, n));
    declareIn = env.declFile;
    if (env.target.kind === "local" && localTypeUsed(env))
      return `the type of ${env.name} uses a type declared in its function`;
  }
  if (!typeName) return "the names for the wrapper type are taken";
  const rw = new Rewriter();
  const types = new Types(env);
  let safe = true;
  const K = types.key(env.declFile);
  const V = types.value(env.declFile);
  const T = generic ? `${typeName}[${K}, ${V}]` : typeName;
  try {
    // The declaration: a pointer to the wrapper, so that go vet's copylocks stays quiet.
    const d = env.declNode;
    const value =
      d.type === "short_var_declaration"
        ? d.childForFieldName("right")!.namedChild(0)
        : d.childForFieldName("value")?.namedChild(0);
    let init = `make(map[${K}]${V})`;
    if (value) {
      const kind = classifyValue(value, pkg.namedMapTypes).kind;
      if (kind !== "make" && kind !== "literal") throw new Obstacle(`${env.name} starts as ${brief(value)}`);
      init = value.text;
    }
    const f0 = env.declFile;
    rw.replace(f0, d, () => `${env.name} ${d.type === "short_var_declaration" ? ":=" : "="} &${T}{m: ${init}}`);
    for (const u of env.uses) {
      const f = u.file;
      const ix = u.node;
      switch (u.kind) {
        case "store": {
          const st = unparenUp(ix).parent!.parent!;
          const v = st.childForFieldName("right")!.namedChild(0)!;
          rw.replace(f, st, () => `${env.name}.Store(${rw.sub(f, ix.childForFieldName("index")!)}, ${rw.sub(f, v)})`);
          break;
        }
        case "delete": {
          const k = ix.childForFieldName("arguments")!.namedChild(1);
          if (!k) throw new Obstacle(`${brief(ix)} has no key`);
          rw.replace(f, ix, () => `${env.name}.Delete(${rw.sub(f, k)})`);
          break;
        }
        case "len":
          rw.replace(f, ix, `${env.name}.Len()`);
          break;
        case "commaok":
          rw.replace(f, ix, () => `${env.name}.Load(${rw.sub(f, ix.childForFieldName("index")!)})`);
          break;
        case "rmw":
          wrapUpdate(env, f, rw, types, u);
          break;
        case "range":
          rewriteRange(env, f, rw, types, u, "wrap");
          break;
        case "read":
        case "elemwrite":
          wrapRead(env, f, rw, u);
          break;
        case "return":
          // Callers get a snapshot instead of the map itself: the point of
          // shared-map-return, but a change for callers that write to it.
          wrapReturnCopy(env, f, rw, types, u);
          if (!returnedAfterJoin(env, u)) safe = false;
          break;
      }
    }
  } catch (e) {
    if (e instanceof Obstacle) return e.message;
    throw e;
  }
  const edits = new EditSet();
  rw.emit(edits);
  if (declareIn) {
    const sync = types.sync(declareIn);
    const text = declareIn.text;
    edits.insert(
      declareIn,
      text.length,
      (text.endsWith("\n") ? "" : "\n") + wrapperType(typeName, generic, K, V, sync),
    );
  }
  types.addImports(edits);
  return edits.toFix(`Wrap ${env.name} in an RWMutex-guarded type`, safe);
}

/** Whether the key or value type names a type declared inside a function (a top-level wrapper cannot name it). */
function localTypeUsed(env: MapEnv): boolean {
  const fn = env.declNode.parent ? topLevelOf(env.declNode) : null;
  if (!fn) return false;
  const names = new Set<string>();
  const stack: Node[] = [fn];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "type_spec") names.add(n.childForFieldName("name")?.text ?? "");
    // Type parameters of a generic function are as local as its types.
    if (n.type === "type_parameter_declaration")
      for (const t of n.childrenForFieldName("name")) names.add(t?.text ?? "");
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return [...names].some((t) => t && (hasWord(env.key, t) || hasWord(env.value, t)));
}

function topLevelOf(n: Node): Node {
  let t = n;
  while (t.parent && t.parent.type !== "source_file") t = t.parent;
  return t;
}

function wrapRead(env: MapEnv, f: FileSyntax, rw: Rewriter, u: Use, loadText?: () => string): void {
  const ix = u.node;
  const outer = unparenUp(ix);
  const list = outer.parent;
  const st = list?.parent;
  const load = loadText ?? (() => `${env.name}.Load(${rw.sub(f, ix.childForFieldName("index")!)})`);
  if (u.kind === "read" && list?.type === "expression_list" && list.namedChildCount === 1 && st) {
    // `v := m[k]`, `v = m[k]`, `var v = m[k]`: the comma-ok form fits in place.
    const single = (n: Node | null | undefined) => n?.type === "expression_list" && n.namedChildCount === 1;
    if (
      (st.type === "short_var_declaration" ||
        (st.type === "assignment_statement" && st.childForFieldName("operator")?.text === "=")) &&
      st.childForFieldName("right")?.id === list.id &&
      single(st.childForFieldName("left"))
    ) {
      rw.insert(f, st.childForFieldName("left")!.endIndex, ", _");
      rw.replace(f, ix, load);
      return;
    }
    if (
      st.type === "var_spec" &&
      st.childForFieldName("value")?.id === list.id &&
      !st.childForFieldName("type") &&
      st.childrenForFieldName("name").length === 1
    ) {
      rw.insert(f, st.childrenForFieldName("name")[0]!.endIndex, ", _");
      rw.replace(f, ix, load);
      return;
    }
  }
  const stmt = hoistPoint(f, ix);
  const indent = indentAt(f.text, stmt.startIndex);
  const v = fresh(env, stmt, `${env.name}V`);
  rw.insert(f, lineOf(f.text, stmt.startIndex).start, `${indent}${v}, _ := ${load()}\n`, 1);
  rw.replace(f, ix, v);
}

function wrapUpdate(env: MapEnv, f: FileSyntax, rw: Rewriter, types: Types, u: Use): void {
  const ix = u.node;
  const st = unparenUp(ix).parent!.type === "expression_list" ? unparenUp(ix).parent!.parent! : unparenUp(ix).parent!;
  const V = types.value(f);
  let op: string;
  let x: string;
  let xNode: Node | null = null;
  if (st.type === "inc_statement" || st.type === "dec_statement") {
    op = st.type === "inc_statement" ? "+" : "-";
    x = "1";
  } else {
    op = st.childForFieldName("operator")!.text.replace(/=$/, "");
    xNode = st.childForFieldName("right")!.namedChild(0)!;
    x = rw.sub(f, xNode);
    if (!PRIMARY.has(xNode.type)) x = `(${x})`;
  }
  const indent = indentAt(f.text, st.startIndex);
  if (xNode && hasCalls(xNode)) {
    // Evaluate the operand before taking the lock, in its original order after the key.
    if (hasCalls(ix.childForFieldName("index")!))
      throw new Obstacle(`${brief(st)} calls functions in both the key and the operand`);
    if (st.parent?.type !== "statement_list" || !ownsLines(f, st)) throw new Obstacle(`${brief(st)} shares its line`);
    const delta = fresh(env, st, "delta");
    rw.insert(f, lineOf(f.text, st.startIndex).start, `${indent}${delta} := ${rw.sub(f, xNode)}\n`, 1);
    x = delta;
  }
  let p = "v";
  for (const cand of ["v", "old", "cur", "prev"]) {
    if (!hasWord(x, cand)) {
      p = cand;
      break;
    }
  }
  const xs = x;
  rw.replace(
    f,
    st,
    () =>
      `${env.name}.Update(${rw.sub(f, ix.childForFieldName("index")!)}, func(${p} ${V}, _ bool) ${V} { return ${p} ${op} ${xs} })`,
  );
}

function wrapReturnCopy(env: MapEnv, f: FileSyntax, rw: Rewriter, types: Types, u: Use): void {
  const st = u.node;
  if (st.parent?.type !== "statement_list" || !ownsLines(f, st)) throw new Obstacle(`${brief(st)} shares its line`);
  const indent = indentAt(f.text, st.startIndex);
  const cp = fresh(env, st, `${env.name}Copy`);
  const K = types.key(f);
  const V = types.value(f);
  const lines = [
    `${cp} := make(map[${K}]${V}, ${env.name}.Len())`,
    `${env.name}.Range(func(${K === V ? `k, v ${V}` : `k ${K}, v ${V}`}) bool {`,
    `\t${cp}[k] = v`,
    `\treturn true`,
    `})`,
  ];
  rw.insert(f, lineOf(f.text, st.startIndex).start, lines.map((l) => `${indent}${l}\n`).join(""), 2);
  rw.replace(f, u.id, cp);
}
