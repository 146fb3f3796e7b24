// The typed-key fix of context-key-builtin. A string key is shared by every
// package that uses the same string, so the fix rewrites every use of it in the
// workspace at once, or nothing: a key rewritten in one place and not in another
// silently stops finding its value.
//
// All string keys connected through the packages that use them are rewritten by
// one fix, the same whichever finding offers it, so fixes of several findings
// never conflict (fix-all, goldens) and a package gets one key type.
import { contextFunction, declaredType, isKnownContext } from "../analysis/frameworks";
import { callArgs, declarationOf } from "../analysis/syntax";
import { replaceNode } from "./edit";
import * as path from "node:path";
import type { FileSyntax } from "../analysis/facts";
import { unquoteGo } from "../analysis/keys";
import { PackageFacts } from "../analysis/package";
import type { Fix, GoModule, TextEdit } from "../analysis/types";
import { workspaceFileOf, type WorkspaceFacts } from "../analysis/workspace";
import type { Node } from "../parser";
import { builtinKeyType } from "../rules/context-key-builtin";
import type { RuleContext } from "../analysis/rule";
import { alignComments, rewriteSpecGroup, type SpecChange } from "./align";
import { applyEdits, dedupeEdits } from "./apply";
import { importEdits, importName } from "./imports";

export const TYPED_KEY_TITLE = "Introduce a typed context key";

/** What the fix says about a key: the fix, or why there is none. */
export interface KeyFixOutcome {
  fix?: Fix;
  reason?: string;
}

/** One use of a string key as the key of `context.WithValue` or of `Value` on a context. */
interface Use {
  file: FileSyntax;
  /** The key argument: a string literal or the identifier of a package-level constant. */
  node: Node;
  value: string;
  /** Set when the key is a constant's name. */
  constName?: string;
  write: boolean;
}

/** A package-level string constant used as a key, whose declaration the fix retypes. */
interface ConstKey {
  name: string;
  value: string;
  file: FileSyntax;
  spec: Node;
  nameNode: Node;
  /** The spec's parenthesised declaration, when it is grouped. */
  group?: Node;
}

interface Pkg {
  id: string;
  dir: string;
  name: string;
  files: FileSyntax[];
  facts: PackageFacts;
  module?: GoModule;
  uses: Map<string, Use[]>;
  /** Keys used in a way the fix cannot rewrite, with why. */
  blocked: Map<string, string>;
  /** The whole package blocks (its keys may come from variables, a file cannot be parsed): every key its files mention. */
  blocker?: string;
  /** Key values the package's files mention, from the workspace records (what a blocker covers). */
  mentioned: Set<string>;
  consts: Map<string, ConstKey[]>;
}

interface Plan {
  fix?: Fix;
  reasons: Map<string, string>;
}

const KEY_TYPE_NAMES = ["contextKey", "stringContextKey"];

const GO_RESERVED = new Set(
  (
    "break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var " +
    "any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr " +
    "true false iota nil append cap clear close complex copy delete imag len make max min new panic print println real recover"
  ).split(" "),
);

/** Common initialisms Go names spell in capitals (`requestID`, `userURL`). */
const INITIALISMS = new Set([
  "id",
  "url",
  "uri",
  "ip",
  "api",
  "http",
  "https",
  "json",
  "xml",
  "sql",
  "uid",
  "uuid",
  "html",
  "tls",
  "ttl",
  "db",
  "ok",
]);

function pkgId(dir: string, name: string): string {
  return `${dir}\n${name}`;
}

function isStringLiteral(n: Node): boolean {
  return n.type === "interpreted_string_literal" || n.type === "raw_string_literal";
}

function unparen(n: Node): Node {
  let e = n;
  while (e.type === "parenthesized_expression" && e.namedChildCount === 1) e = e.namedChild(0)!;
  return e;
}

/** The Go literal a new constant gets for a key value. */
function goLiteral(value: string): string {
  return /^[^"\\\x00-\x1f\x7f]*$/.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * A Go name for a key's constant, without the `Key` suffix: `user` -> `user`,
 * `request-id` -> `requestID`, `X-Trace-Id` -> `xTraceID`; exported: `User`, `RequestID`.
 */
export function keyBaseName(value: string, exportedName: boolean): string {
  const words = value
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== "");
  if (words.length > 1 && words[words.length - 1]!.toLowerCase() === "key") words.pop();
  let out = "";
  for (const [i, w] of words.entries()) {
    const lower = w.toLowerCase();
    if (INITIALISMS.has(lower)) out += i === 0 && !exportedName ? lower : lower.toUpperCase();
    else if (i === 0 && !exportedName) out += /^[A-Z0-9]+$/.test(w) ? lower : w[0]!.toLowerCase() + w.slice(1);
    else out += w[0]!.toUpperCase() + w.slice(1);
  }
  if (out === "") out = exportedName ? "Empty" : "empty";
  if (/^[0-9]/.test(out)) out = `${exportedName ? "K" : "k"}${out}`;
  return out;
}

function exported(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}

/** Names declared at package level in a package, and the file-scope import names of its files. */
function takenNames(p: Pkg): Set<string> {
  const taken = new Set<string>([...p.facts.vars.keys(), ...p.facts.consts.keys(), ...p.facts.types.keys()]);
  for (const [name, fns] of p.facts.funcs) if (fns.some((f) => f.receiverType === undefined)) taken.add(name);
  for (const f of p.files) for (const n of Object.keys(f.summary.imports)) taken.add(n);
  return taken;
}

/** The value of a key that is a string literal or a package-level string constant (untyped or `string`). */
function stringKey(key: Node, ctx: RuleContext): { value: string; constName?: string } | undefined {
  const e = unparen(key);
  if (isStringLiteral(e)) {
    const value = unquoteGo(e.text);
    return value === undefined ? undefined : { value };
  }
  if (e.type !== "identifier" || declarationOf(e, e.text)) return undefined;
  const c = ctx.pkg.consts.get(e.text);
  if (!c?.valueText || (c.typeText !== undefined && c.typeText !== "string")) return undefined;
  const value = unquoteGo(c.valueText);
  return value === undefined ? undefined : { value, constName: e.text };
}

/** A literal key inside `any("k")` or `interface{}("k")`: a use of "k" the fix cannot rewrite. */
function boxedLiteral(key: Node): string | undefined {
  const e = unparen(key);
  let inner: Node | null | undefined;
  if (e.type === "type_conversion_expression") inner = e.childForFieldName("operand");
  else if (e.type === "call_expression" && e.childForFieldName("function")?.text === "any") inner = callArgs(e)[0];
  if (!inner) return undefined;
  const lit = unparen(inner);
  return isStringLiteral(lit) ? unquoteGo(lit.text) : undefined;
}

/** Whether a Value receiver is known not to be a context: a variable of a struct or non-interface type of its package. */
function knownNonContext(recv: Node, ctx: RuleContext): boolean {
  const r = unparen(recv);
  if (r.type !== "identifier") return false;
  const t = declaredType(r, r.text, ctx)?.replace(/^\*/, "");
  if (!t) return false;
  const fact = ctx.pkg.types.get(t);
  return !!fact && fact.kind !== "interface";
}

/** Loads and classifies every WithValue/Value call of one package. */
function loadPackage(ws: WorkspaceFacts, ctx: RuleContext, dir: string, name: string): Pkg {
  const id = pkgId(dir, name);
  const own = dir === path.dirname(ctx.file.file) && name === ctx.pkg.name;
  const records = ws.dirFiles(dir).filter((f) => f.packageName === name);
  const p: Pkg = {
    id,
    dir,
    name,
    files: [],
    facts: ctx.pkg,
    uses: new Map(),
    blocked: new Map(),
    consts: new Map(),
    mentioned: new Set(records.flatMap((f) => f.contextKeys)),
  };
  const paths = new Set(records.map((f) => f.file));
  const known = new Map<string, FileSyntax>();
  if (own) {
    // Siblings come from a whole-package analysis, the file among them. Without them the file's captures may
    // cover only the declarations an edit touched (the language server's incremental path): it is parsed again.
    for (const s of ctx.siblings ?? []) known.set(s.file, s);
    paths.add(ctx.file.file);
    for (const f of known.keys()) paths.add(f);
  }
  for (const file of [...paths].sort()) {
    const syntax = known.get(file) ?? ws.load(file);
    if (!syntax || syntax.summary.packageName !== name) {
      p.blocker = `${path.basename(file)} cannot be read`;
      continue;
    }
    if (syntax.summary.hasErrors) p.blocker = `${path.basename(file)} has syntax errors`;
    p.files.push(syntax);
    for (const k of workspaceFileOf(syntax.summary).contextKeys) p.mentioned.add(k);
  }
  if (!own)
    p.facts = new PackageFacts(
      name,
      dir,
      p.files.map((f) => f.summary),
    );
  p.module = own && ctx.module ? ctx.module : p.files[0] ? ws.moduleFor(p.files[0].file) : undefined;
  if (p.blocker) return p;

  const block = (value: string, why: string) => {
    if (!p.blocked.has(value)) p.blocked.set(value, why);
  };
  for (const file of p.files) {
    const fctx: RuleContext = { file, pkg: p.facts, module: p.module };
    for (const call of file.caps.methodCalls) {
      const fn = call.childForFieldName("function")!;
      const method = fn.childForFieldName("field")?.text;
      const args = callArgs(call);
      let key: Node | undefined;
      let isContext = false;
      let write = false;
      if (method === "WithValue" && args.length === 3) {
        key = args[1];
        write = true;
        isContext = contextFunction(call, fctx) === "WithValue";
      } else if (method === "Value" && args.length === 1) {
        key = args[0];
        isContext = isKnownContext(fn.childForFieldName("operand")!, fctx);
      }
      if (!key) continue;
      const sk = stringKey(key, fctx);
      if (!isContext) {
        if (!sk) continue;
        if (method === "Value" && knownNonContext(fn.childForFieldName("operand")!, fctx)) continue;
        const callee = fn.text.length > 40 ? method : fn.text.replace(/\s+/g, "");
        block(
          sk.value,
          `${JSON.stringify(sk.value)} is also used by ${callee}, which mapctx cannot tell is a context lookup`,
        );
        continue;
      }
      if (sk) {
        const list = p.uses.get(sk.value) ?? [];
        list.push({ file, node: unparen(key), value: sk.value, constName: sk.constName, write });
        p.uses.set(sk.value, list);
        continue;
      }
      const boxed = boxedLiteral(key);
      if (boxed !== undefined) {
        block(boxed, `${JSON.stringify(boxed)} is also used as a key of type any`);
        continue;
      }
      const bt = builtinKeyType(key, fctx);
      if (!bt || bt.type !== "string") continue;
      const e = unparen(key);
      const local = e.type === "identifier" ? declarationOf(e, e.text) : null;
      if (local?.node.type === "const_spec" && local.value && isStringLiteral(local.value)) {
        const v = unquoteGo(local.value.text);
        if (v !== undefined) block(v, `${JSON.stringify(v)} is also used through the local constant ${e.text}`);
        continue;
      }
      // A parameter, variable or conversion: any string may arrive there, so no string key of the package is safe to retype.
      p.blocker ??= `string keys also reach context values through ${e.type === "identifier" ? e.text : "a conversion"} in package ${name}`;
    }
  }
  collectConsts(p, block);
  return p;
}

/** The package-level constants used as keys, each checked: one name, a literal value, used only as a key. */
function collectConsts(p: Pkg, block: (value: string, why: string) => void): void {
  const byName = new Map<string, Use[]>();
  for (const uses of p.uses.values()) {
    for (const u of uses) {
      if (!u.constName) continue;
      const l = byName.get(u.constName) ?? [];
      l.push(u);
      byName.set(u.constName, l);
    }
  }
  for (const [name, uses] of byName) {
    const fact = p.facts.consts.get(name)!;
    const value = uses[0]!.value;
    const file = p.files.find((f) => f.file === fact.file);
    const nameNode = file?.tree.rootNode.descendantForPosition({
      row: fact.range.start.line,
      column: fact.range.start.character,
    });
    const spec = nameNode?.parent;
    if (
      !file ||
      nameNode?.type !== "identifier" ||
      spec?.type !== "const_spec" ||
      spec.parent?.parent?.type !== "source_file"
    ) {
      block(value, `the declaration of ${name} is not where mapctx expects it`);
      continue;
    }
    const names = spec.childrenForFieldName("name").filter((n) => n?.type === "identifier");
    const values = spec.childForFieldName("value")?.namedChildren ?? [];
    if (names.length !== 1 || values.length !== 1) {
      block(value, `${name} is declared together with other constants`);
      continue;
    }
    if (/^[A-Z]/.test(name)) {
      block(value, `the exported constant ${name} may be used as a string by other packages`);
      continue;
    }
    const decl = spec.parent!;
    const grouped = decl.children.some((c) => c?.type === "(");
    if (grouped) {
      // `const ( a = "x"; b )`: b repeats a's type, so retyping a would retype b.
      const specs = decl.namedChildren.filter((c): c is Node => c?.type === "const_spec");
      const next = specs[specs.findIndex((s) => s.id === spec.id) + 1];
      if (next && !next.childForFieldName("value")) {
        block(value, `the constant after ${name} repeats its type`);
        continue;
      }
    }
    const useIds = new Set(uses.map((u) => u.node.id));
    const stray = strayOccurrence(p, name, (id) => useIds.has(id.id) || id.id === nameNode.id);
    if (stray) {
      block(value, `${name} is also used as a plain string`);
      continue;
    }
    const list = p.consts.get(value) ?? [];
    list.push({ name, value, file, spec, nameNode, group: grouped ? decl : undefined });
    p.consts.set(value, list);
  }
}

/** The first identifier `name` in the package referring to the package-level entity that `ok` does not accept. */
function strayOccurrence(p: Pkg, name: string, ok: (id: Node) => boolean): Node | undefined {
  for (const id of occurrences(p, name)) if (!ok(id)) return id;
  return undefined;
}

/** Identifiers spelled `name` in the package's files that refer to the package-level entity (not shadowed, not fields). */
function occurrences(p: Pkg, name: string): Node[] {
  const out: Node[] = [];
  const re = new RegExp(`\\b${name}\\b`, "g");
  for (const f of p.files) {
    for (const m of f.text.matchAll(re)) {
      const n = f.tree.rootNode.descendantForIndex(m.index!, m.index! + name.length);
      if (n?.type !== "identifier" || n.text !== name) continue;
      if (declarationOf(n, name)) continue;
      out.push(n);
    }
  }
  return out;
}

/** The first line of a top-level declaration, its doc comment included. */
function declarationStartRow(node: Node): number {
  let top = node;
  while (top.parent && top.parent.type !== "source_file") top = top.parent;
  let row = top.startPosition.row;
  for (let c = top.previousSibling; c?.type === "comment" && c.endPosition.row === row - 1; c = c.previousSibling)
    row = c.startPosition.row;
  return row;
}

/** Where new top-level declarations go: the line after the imports (or the package clause). */
function afterImportsRow(file: FileSyntax): number {
  let row = 0;
  for (const c of file.tree.rootNode.namedChildren) {
    if (c?.type === "package_clause" || c?.type === "import_declaration") row = c.endPosition.row + 1;
  }
  return row;
}

function insertAt(file: string, line: number, newText: string): TextEdit {
  return { file, range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText };
}

/** The import path of a package directory in its module. */
function importPathOf(p: Pkg): string | undefined {
  if (!p.module?.path) return undefined;
  const rel = path.relative(p.module.dir, p.dir);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  return rel === "" ? p.module.path : `${p.module.path}/${rel.split(path.sep).join("/")}`;
}

/**
 * Adds the import of a module package the way goimports lays it out: in the
 * file's group of non-standard imports, or in a new group after the standard
 * ones (gofmt sorts each blank-line separated group on its own).
 */
function moduleImport(file: FileSyntax, importPath: string): TextEdit[] {
  const group = file.tree.rootNode.namedChildren
    .filter((n): n is Node => n?.type === "import_declaration")
    .map((d) => d.namedChildren.find((c) => c?.type === "import_spec_list"))
    .find((l): l is Node => !!l);
  const specs = group?.namedChildren.filter((c): c is Node => c?.type === "import_spec") ?? [];
  if (!group || specs.length === 0) return importEdits(file, [importPath]);
  const runs: Node[][] = [];
  for (const s of specs) {
    const last = runs[runs.length - 1];
    if (last && s.startPosition.row <= last[last.length - 1]!.endPosition.row + 1) last.push(s);
    else runs.push([s]);
  }
  const pathOf = (s: Node) => (s.childForFieldName("path")?.text ?? "").replace(/^["`]|["`]$/g, "");
  const thirdParty = (p: string) => p.split("/")[0]!.includes(".");
  const run = runs.find((r) => r.some((s) => thirdParty(pathOf(s))));
  if (run) {
    const before = run.find((s) => pathOf(s) > importPath);
    const row = before ? before.startPosition.row : run[run.length - 1]!.endPosition.row + 1;
    return [insertAt(file.file, row, `\t"${importPath}"\n`)];
  }
  const lastSpec = runs[runs.length - 1]![runs[runs.length - 1]!.length - 1]!;
  return [insertAt(file.file, lastSpec.endPosition.row + 1, `\n\t"${importPath}"\n`)];
}

/** The import graph of the workspace packages, by package id. */
class ImportGraph {
  private readonly edges = new Map<string, Set<string>>();

  constructor(private readonly ws: WorkspaceFacts) {}

  private out(id: string): Set<string> {
    let set = this.edges.get(id);
    if (set) return set;
    set = new Set();
    this.edges.set(id, set);
    const [dir, name] = id.split("\n") as [string, string];
    for (const f of this.ws.dirFiles(dir)) {
      if (f.packageName !== name) continue;
      for (const imp of f.imports) {
        const target = this.ws.dirOfImport(imp);
        if (!target) continue;
        const names = new Set(
          this.ws
            .dirFiles(target)
            .map((x) => x.packageName)
            .filter((n) => !n.endsWith("_test")),
        );
        for (const n of names) set.add(pkgId(target, n));
      }
    }
    return set;
  }

  add(from: string, to: string): void {
    this.out(from).add(to);
  }

  /** Whether `to` reaches `from`: an edge from -> to would close a cycle. */
  wouldCycle(from: string, to: string): boolean {
    if (from === to) return false;
    const seen = new Set<string>([to]);
    const stack = [to];
    while (stack.length) {
      const n = stack.pop()!;
      for (const m of this.out(n)) {
        if (m === from) return true;
        if (!seen.has(m)) {
          seen.add(m);
          stack.push(m);
        }
      }
    }
    return false;
  }
}

/** The fix for a key, or why there is none; undefined when the fix does not apply (no workspace facts, not a string key). */
export function typedKeyFix(ctx: RuleContext, key: Node): KeyFixOutcome | undefined {
  const ws = ctx.workspace;
  if (!ws || ctx.file.summary.hasErrors) return undefined;
  const sk = stringKey(key, ctx);
  if (!sk) return undefined;
  const memoKey = `context-key-builtin\n${sk.value}`;
  let plan = ws.memo.get(memoKey) as Plan | undefined;
  if (!plan) {
    try {
      const { plan: made, values } = makePlan(ws, ctx, sk.value);
      plan = made;
      for (const v of values) ws.memo.set(`context-key-builtin\n${v}`, plan);
    } catch {
      // A fix is an extra: code mapctx did not expect must not cost the finding itself.
      plan = { reasons: new Map() };
      ws.memo.set(memoKey, plan);
    }
  }
  const reason = plan.reasons.get(sk.value);
  if (reason !== undefined) return { reason };
  return plan.fix ? { fix: plan.fix } : undefined;
}

function makePlan(ws: WorkspaceFacts, ctx: RuleContext, start: string): { plan: Plan; values: Set<string> } {
  // Every package that uses a key of the component, and every key those packages use.
  const pkgs = new Map<string, Pkg>();
  const values = new Set<string>([start]);
  const queue = [start];
  const reasons = new Map<string, string>();
  const visit = (dir: string, name: string) => {
    const id = pkgId(dir, name);
    if (pkgs.has(id)) return;
    const p = loadPackage(ws, ctx, dir, name);
    pkgs.set(id, p);
    for (const v of [...p.uses.keys(), ...p.blocked.keys(), ...(p.blocker ? p.mentioned : [])]) {
      if (!values.has(v)) {
        values.add(v);
        queue.push(v);
      }
    }
  };
  visit(path.dirname(ctx.file.file), ctx.pkg.name);
  while (queue.length) {
    const v = queue.shift()!;
    for (const f of ws.filesUsingKey(v)) {
      if (f.generated) {
        if (!reasons.has(v)) reasons.set(v, "generated code uses the key too");
        continue;
      }
      visit(path.dirname(f.file), f.packageName);
    }
  }
  for (const v of values) {
    if (reasons.has(v)) continue;
    for (const p of pkgs.values()) {
      const involved = p.uses.has(v) || p.blocked.has(v) || (p.blocker !== undefined && p.mentioned.has(v));
      if (!involved) continue;
      const why = p.blocker ?? p.blocked.get(v);
      if (why) {
        reasons.set(v, why);
        break;
      }
    }
  }
  // Keys the packages use as context keys and nothing stops yet; each failure below drops one and tries again.
  for (;;) {
    const active = [...values].filter((v) => !reasons.has(v) && [...pkgs.values()].some((p) => p.uses.has(v))).sort();
    if (active.length === 0) return { plan: { reasons }, values };
    const attempt = buildEdits(ws, pkgs, active);
    if ("failed" in attempt) {
      for (const [v, why] of attempt.failed) reasons.set(v, why);
      continue;
    }
    return { plan: { fix: { title: TYPED_KEY_TITLE, safe: true, edits: attempt.edits }, reasons }, values };
  }
}

interface KeyPlan {
  value: string;
  owner: Pkg;
  name: string;
  /** The owner already declares the key with its key type (`const userKey contextKey = "user"`): only the uses change. */
  declared?: boolean;
  exported: boolean;
  /** Constants of the owner that become typed keys (the first one is the key's name). */
  consts: ConstKey[];
}

function buildEdits(
  ws: WorkspaceFacts,
  pkgs: Map<string, Pkg>,
  active: string[],
): { edits: TextEdit[] } | { failed: Map<string, string> } {
  const failed = new Map<string, string>();
  const graph = new ImportGraph(ws);
  const keys: KeyPlan[] = [];
  const usersOf = (v: string) => [...pkgs.values()].filter((p) => p.uses.has(v)).sort((a, b) => (a.id < b.id ? -1 : 1));

  for (const v of active) {
    const users = usersOf(v);
    const withConst = users.filter((p) => p.consts.has(v));
    if (withConst.length > 1) {
      failed.set(v, "several packages declare their own constant for the key");
      continue;
    }
    const constUses = users.flatMap((p) => (p.uses.get(v) ?? []).filter((u) => u.constName !== undefined));
    if (constUses.some((u) => !withConst[0]?.consts.get(v)?.some((c) => c.name === u.constName))) {
      failed.set(v, "a constant holding the key cannot be retyped");
      continue;
    }
    let candidates: Pkg[];
    if (withConst.length === 1) candidates = withConst;
    else if (users.length === 1) candidates = users;
    else {
      candidates = users
        .filter((p) => p.name !== "main" && !p.name.endsWith("_test"))
        .sort((a, b) => {
          const wa = a.uses.get(v)!.some((u) => u.write) ? 0 : 1;
          const wb = b.uses.get(v)!.some((u) => u.write) ? 0 : 1;
          return wa - wb || (a.id < b.id ? -1 : 1);
        });
    }
    let owner: Pkg | undefined;
    let why = "no package can declare the key for all its users";
    for (const c of candidates) {
      if (users.length > 1) {
        const importPath = importPathOf(c);
        if (!importPath) {
          why = "the packages that use the key are not in a Go module with a path";
          continue;
        }
        if (users.some((u) => u.module?.dir !== c.module?.dir)) {
          why = "the key is used in several modules";
          continue;
        }
        if (c.name.endsWith("_test") || c.name === "main") continue;
        if (users.some((u) => u !== c && graph.wouldCycle(u.id, c.id))) {
          why = "declaring the key in one of its packages would create an import cycle";
          continue;
        }
      }
      owner = c;
      break;
    }
    if (!owner) {
      failed.set(v, why);
      continue;
    }
    for (const u of users) if (u !== owner) graph.add(u.id, owner.id);
    keys.push({ value: v, owner, name: "", exported: users.length > 1, consts: owner.consts.get(v) ?? [] });
  }
  if (failed.size) return { failed };

  // Names: one key type per owner package, one constant per key.
  const typeNames = new Map<string, string>();
  const taken = new Map<string, Set<string>>();
  const newType = new Set<string>();
  for (const k of keys) {
    const o = k.owner;
    if (!taken.has(o.id)) taken.set(o.id, takenNames(o));
    if (!typeNames.has(o.id)) {
      const names = taken.get(o.id)!;
      let chosen: string | undefined;
      for (const t of KEY_TYPE_NAMES) {
        const existing = o.facts.types.get(t);
        if (existing) {
          if (existing.typeText === "string") {
            chosen = t;
            break;
          }
          continue;
        }
        if (!names.has(t) && !GO_RESERVED.has(t)) {
          chosen = t;
          newType.add(o.id);
          names.add(t);
          break;
        }
      }
      if (!chosen) {
        failed.set(k.value, `package ${o.name} has no free name for a key type`);
        continue;
      }
      typeNames.set(o.id, chosen);
    }
  }
  if (failed.size) return { failed };
  for (const k of keys) {
    const o = k.owner;
    const names = taken.get(o.id)!;
    const sites = (o.uses.get(k.value) ?? []).map((u) => u.node);
    const free = (n: string) => !GO_RESERVED.has(n) && !names.has(n) && sites.every((s) => !declarationOf(s, n));
    if (k.consts.length) {
      const first = k.consts[0]!.name;
      const want = k.exported ? exported(first) : first;
      if (want !== first && !free(want)) {
        failed.set(k.value, `${want} is already declared`);
        continue;
      }
      k.name = want;
      names.add(want);
      continue;
    }
    // A constant of the key type with this value is the key already.
    const typeName = typeNames.get(o.id)!;
    const have = [...o.facts.consts.values()].find(
      (c) =>
        c.typeText === typeName &&
        c.valueText !== undefined &&
        unquoteGo(c.valueText) === k.value &&
        (!k.exported || /^[A-Z]/.test(c.name)) &&
        sites.every((s) => !declarationOf(s, c.name)),
    );
    if (have) {
      k.name = have.name;
      k.declared = true;
      continue;
    }
    const base = keyBaseName(k.value, k.exported);
    const options = [`${base}Key`, `${base}CtxKey`, ...[2, 3, 4, 5].map((i) => `${base}Key${i}`)];
    const name = options.find(free);
    if (!name) {
      failed.set(k.value, `no free name for the key's constant in package ${o.name}`);
      continue;
    }
    k.name = name;
    names.add(name);
  }
  if (failed.size) return { failed };

  const edits: TextEdit[] = [];
  const byFile = new Map<string, FileSyntax>();
  const note = (f: FileSyntax) => byFile.set(f.file, f);
  /** Insertions of new declarations, merged per point so they never overlap. */
  const inserts = new Map<
    string,
    { file: FileSyntax; line: number; type?: string; consts: [name: string, type: string, literal: string][] }
  >();
  const insertion = (file: FileSyntax, line: number) => {
    const id = `${file.file}\n${line}`;
    let it = inserts.get(id);
    if (!it) inserts.set(id, (it = { file, line, consts: [] }));
    return it;
  };
  const groupChanges = new Map<number, { decl: Node; file: FileSyntax; changes: Map<number, SpecChange> }>();

  const keysByOwner = new Map<string, KeyPlan[]>();
  for (const k of keys) keysByOwner.set(k.owner.id, [...(keysByOwner.get(k.owner.id) ?? []), k]);
  for (const [ownerId, list] of keysByOwner) {
    const o = list[0]!.owner;
    const typeName = typeNames.get(ownerId)!;
    let typeHost: FileSyntax | undefined;
    for (const k of list) {
      const uses = (o.uses.get(k.value) ?? [])
        .slice()
        .sort((a, b) =>
          a.file.file < b.file.file ? -1 : a.file.file > b.file.file ? 1 : a.node.startIndex - b.node.startIndex,
        );
      if (k.consts.length) {
        typeHost ??= k.consts[0]!.file;
        for (const c of k.consts) {
          note(c.file);
          const rename = c.name === k.consts[0]!.name ? k.name : c.name;
          if (c.group) {
            const entry = groupChanges.get(c.group.id) ?? {
              decl: c.group,
              file: c.file,
              changes: new Map<number, SpecChange>(),
            };
            entry.changes.set(c.spec.id, { names: rename, type: typeName });
            groupChanges.set(c.group.id, entry);
          } else {
            const typeNode = c.spec.childForFieldName("type");
            if (typeNode) {
              edits.push(replaceNode(c.file.file, typeNode, typeName));
              if (rename !== c.name) edits.push(replaceNode(c.file.file, c.nameNode, rename));
            } else edits.push(replaceNode(c.file.file, c.nameNode, `${rename} ${typeName}`));
          }
          if (rename !== c.name) {
            for (const id of occurrences(o, c.name)) {
              if (id.id === c.nameNode.id) continue;
              const f = o.files.find((x) => x.tree === id.tree)!;
              note(f);
              edits.push(replaceNode(f.file, id, rename));
            }
          }
        }
      } else if (!k.declared) {
        // The new constant goes above the declaration of the key's first use, preferring a file that sets the key.
        const pick =
          uses.find((u) => u.write && !u.file.file.endsWith("_test.go")) ??
          uses.find((u) => !u.file.file.endsWith("_test.go")) ??
          uses[0]!;
        typeHost ??= pick.file;
        note(pick.file);
        insertion(pick.file, declarationStartRow(pick.node)).consts.push([k.name, typeName, goLiteral(k.value)]);
      }
      for (const u of uses) {
        if (u.constName) continue;
        note(u.file);
        edits.push(replaceNode(u.file.file, u.node, k.name));
      }
    }
    if (newType.has(ownerId) && typeHost) {
      const host = typeHost;
      if (list.some((k) => k.exported) && host.file.endsWith("_test.go"))
        return { failed: new Map(list.map((k) => [k.value, "the key would be declared in a test file"])) };
      insertion(host, afterImportsRow(host)).type = `type ${typeName} string`;
    }
  }
  // Other packages: the exported constant, qualified, and the import.
  for (const k of keys) {
    const importPath = importPathOf(k.owner);
    for (const p of usersOf(k.value)) {
      if (p === k.owner) continue;
      const perFile = new Map<FileSyntax, Use[]>();
      for (const u of p.uses.get(k.value) ?? []) perFile.set(u.file, [...(perFile.get(u.file) ?? []), u]);
      const pNames = takenNames(p);
      for (const [f, uses] of perFile) {
        note(f);
        const existing = importName(f, importPath!);
        const q = existing ?? k.owner.name;
        if (!existing) {
          const clash =
            f.summary.imports[q] !== undefined || pNames.has(q) || p.facts.consts.has(q) || p.facts.vars.has(q);
          if (clash) {
            failed.set(k.value, `the name ${q} is already taken in ${path.basename(f.file)}`);
            continue;
          }
        }
        if (uses.some((u) => declarationOf(u.node, q))) {
          failed.set(k.value, `${q} is shadowed where ${path.basename(f.file)} uses the key`);
          continue;
        }
        for (const u of uses) edits.push(replaceNode(f.file, u.node, `${q}.${k.name}`));
        if (!existing) edits.push(...moduleImport(f, importPath!));
      }
    }
  }
  if (failed.size) return { failed };

  for (const { decl, file, changes } of groupChanges.values()) {
    const e = rewriteSpecGroup(file, decl, changes);
    if (!e) {
      const vs = keys.filter((k) => k.consts.some((c) => c.group?.id === decl.id)).map((k) => k.value);
      return {
        failed: new Map(
          vs.map((v) => [v, "the constant's declaration group is laid out in a way mapctx does not rewrite"]),
        ),
      };
    }
    edits.push(e);
  }
  for (const it of inserts.values()) {
    let text = "";
    if (it.type) text += `\n${it.type}\n`;
    if (it.consts.length === 1) {
      const [n, t, lit] = it.consts[0]!;
      text += `${it.type ? "\n" : ""}const ${n} ${t} = ${lit}\n`;
    } else if (it.consts.length > 1) {
      const w = Math.max(...it.consts.map(([n]) => n.length));
      text += `${it.type ? "\n" : ""}const (\n${it.consts
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, t, lit]) => `\t${n}${" ".repeat(w - n.length + 1)}${t} = ${lit}\n`)
        .join("")})\n`;
    }
    if (it.consts.length) text += "\n";
    edits.push(insertAt(it.file.file, it.line, text));
  }

  // gofmt alignment, file by file; a file that cannot be kept formatted drops the keys that touch it.
  const out: TextEdit[] = [];
  for (const [file, syntax] of byFile) {
    const mine = dedupeEdits(edits.filter((e) => e.file === file));
    const aligned = alignComments(syntax, mine);
    let ok = aligned !== null;
    if (aligned) {
      try {
        applyEdits(syntax.text, aligned);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      const touching = keys.filter(
        (k) =>
          [...pkgs.values()].some((p) => (p.uses.get(k.value) ?? []).some((u) => u.file.file === file)) ||
          k.consts.some((c) => c.file.file === file),
      );
      return {
        failed: new Map(touching.map((k) => [k.value, `the rewrite cannot keep ${path.basename(file)} formatted`])),
      };
    }
    out.push(...aligned!);
  }
  out.sort((a, b) =>
    a.file < b.file
      ? -1
      : a.file > b.file
        ? 1
        : a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  return { edits: out };
}
