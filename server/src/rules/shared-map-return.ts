// Flags exported functions and methods that return a mutable package-level map, or a mutex-guarded map field of their receiver, itself rather than a copy.
// The caller gets the very map the package keeps writing: its reads and writes race with the package's and bypass the lock that guards it.
import type { Node } from "../parser";
import type { PackageFacts } from "../analysis/package";
import { returnStatements } from "../analysis/facts";
import {
  derefType,
  docComment,
  enclosingFunction,
  isDeclaredLocally,
  rangeOf,
  synchronization,
  unparen,
} from "../analysis/syntax";
import { goAtLeast, type Fix, type RawFinding, type TextEdit } from "../analysis/types";
import { fixesAllowed, hasComment, indentOf, insertBefore, replaceNode, startsLine, typeUsableIn } from "../fixes/edit";
import { importEdits, importName } from "../fixes/imports";
import { unusedName } from "../fixes/scope";
import { mapFixes, offered, whyNot } from "../fixes/map-rewrite";
import type { Rule, RuleContext } from "../analysis/rule";

const writtenCache = new WeakMap<PackageFacts, Set<string>>();

/** Names of maps the package writes after initialisation, from every file's summary. */
function writtenMaps(pkg: PackageFacts): Set<string> {
  let set = writtenCache.get(pkg);
  if (!set) {
    set = new Set(pkg.files.flatMap((f) => f.mapWriteNames));
    writtenCache.set(pkg, set);
  }
  return set;
}

const fieldsCache = new WeakMap<PackageFacts, Set<string>>();

/** Names of map fields of package structs that also have (or embed) a mutex: the only fields worth a closer look. */
function guardedMapFields(pkg: PackageFacts): Set<string> {
  let set = fieldsCache.get(pkg);
  if (!set) {
    set = new Set();
    for (const t of pkg.types.values()) {
      if (t.kind !== "struct" || !(t.embedsMutex || t.fields.some((f) => f.isMutex))) continue;
      for (const f of t.fields) if (f.isMap || pkg.isMapType(f.typeText)) set.add(f.name);
    }
    fieldsCache.set(pkg, set);
  }
  return set;
}

/** Doc comments that make not modifying the result part of the contract. */
const READ_ONLY_DOC =
  /\b(must|should|do|does) not (be )?(modif|mutat|chang|writ)|\bdon'?t (modif|mutat|chang)|\bread[- ]only\b|\bnot (be )?(modified|mutated)\b/i;

/**
 * Whether the code treats the field as lock-guarded state: the return itself
 * runs under a lock, or the file writes `x.field[k]` while holding one.
 */
function guardedField(ret: Node, field: string, ctx: RuleContext): boolean {
  if (synchronization(ret) === "lock") return true;
  for (const w of ctx.file.caps.mapWrites) {
    const target =
      w.type === "index_expression" ? w.childForFieldName("operand") : w.childForFieldName("arguments")?.namedChild(0);
    const t = target ? unparen(target) : null;
    if (
      t?.type === "selector_expression" &&
      t.childForFieldName("field")?.text === field &&
      synchronization(w) === "lock"
    )
      return true;
  }
  return false;
}

/** The receiver name and base type name of a method declaration. */
function receiverOf(fn: Node): { name: string; type: string } | null {
  const param = fn.childForFieldName("receiver")?.namedChild(0);
  const name = param?.childForFieldName("name")?.text;
  const type = param?.childForFieldName("type")?.text;
  if (!name || !type) return null;
  return { name, type: derefType(type).replace(/\[.*$/, "") };
}

/**
 * "Return a copy of m": `maps.Clone(m)` when the module's go version has it,
 * else a copy loop into a fresh map before the return. Not marked safe: a
 * caller that writes the returned map to change the package's state would
 * silently stop doing so.
 */
function copyFix(ctx: RuleContext, ret: Node, result: Node, fn: Node, mapType: string | undefined): Fix | undefined {
  if (!fixesAllowed(ctx.file)) return undefined;
  const e = unparen(result);
  if (hasComment(ctx.file, result.startIndex, result.endIndex)) return undefined;
  const title = `Return a copy of ${e.text}`;
  const file = ctx.file.file;
  if (goAtLeast(ctx.module, 21)) {
    const existing = importName(ctx.file, "maps");
    const name = existing ?? "maps";
    // Another package imported as maps, or a local maps, would be called instead.
    if (!existing && (name in ctx.file.summary.imports || isDeclaredLocally(ret, name))) return undefined;
    const edits: TextEdit[] = [
      replaceNode(file, result, `${name}.Clone(${e.text})`),
      ...importEdits(ctx.file, ["maps"]),
    ];
    return { title, safe: false, edits };
  }
  // The loop needs the map's type, written in terms this file can use.
  if (!mapType || !typeUsableIn(mapType, ctx.file)) return undefined;
  if (ret.parent?.type !== "statement_list" || !startsLine(ctx.file, ret)) return undefined;
  // Other results are evaluated after the copy now; only plain ones keep their order.
  const others = (ret.namedChild(0)?.namedChildren ?? []).filter((r) => r && r.id !== result.id);
  const impure = (c: Node | null) => !!c && !/^(len|cap)$/.test(c.childForFieldName("function")?.text ?? "");
  if (
    others.some(
      (r) =>
        r && (impure(r.type === "call_expression" ? r : null) || r.descendantsOfType("call_expression").some(impure)),
    )
  )
    return undefined;
  const scope = ctx.file.text.slice(fn.startIndex, fn.endIndex);
  const out = unusedName(scope, ["out", "cp", "copied", "clone"]);
  const k = unusedName(scope, ["k", "key", "mk"]);
  const v = unusedName(scope, ["v", "val", "mv"]);
  if (!out || !k || !v) return undefined;
  const ind = indentOf(ctx.file, ret);
  const loop =
    `${out} := make(${mapType}, len(${e.text}))\n` +
    `${ind}for ${k}, ${v} := range ${e.text} {\n` +
    `${ind}\t${out}[${k}] = ${v}\n` +
    `${ind}}\n${ind}`;
  return { title, safe: false, edits: [insertBefore(file, ret, loop), replaceNode(file, result, out)] };
}

export const sharedMapReturn: Rule = {
  id: "shared-map-return",
  severity: "warning",
  related: [
    "Uber Go Style Guide: Copy Slices and Maps at Boundaries",
    "Go FAQ: Why are map operations not defined to be atomic?",
  ],
  docs: {
    title: "Exported function returns a shared mutable map instead of a copy",
    flags:
      "A `return` in an exported function or an exported method whose returned expression is, unchanged, " +
      "(1) a package-level map variable that the package also writes outside one-time initialisation (`m[k] = v`, `delete(m, k)`, `clear(m)` in any of its files, other than in `init()`, a package-level initializer or `once.Do`), or " +
      "(2) a map field of the method's receiver (`return c.items`) when the receiver's struct type has a `sync.Mutex` or `sync.RWMutex` field or embeds one, and the code treats the map as lock-guarded state: the `return` runs while a lock is held (`c.mu.RLock(); defer c.mu.RUnlock(); return c.items`), or the same file writes that field (`x.items[k] = v`, `delete(x.items, k)`) while holding a lock. " +
      "Maps are recognised from declarations: `var m = make(map...)`, map literals, `map[K]V` types, named map types of the package, struct fields declared with a map type.",
    why: "A Go map is a reference: the caller receives the same map the package keeps using, not a snapshot. Reading it while the package writes it, or writing it while the package reads it, is a data race that the runtime may stop with `fatal error: concurrent map read and map write`. Returning a mutex-guarded field defeats the mutex: the lock is released when the method returns and the caller then uses the map with no lock at all. Callers can also change the package's state behind its back.",
    bad: `type Cache struct {
\tmu    sync.RWMutex
\titems map[string]string
}

func (c *Cache) Snapshot() map[string]string {
\tc.mu.RLock()
\tdefer c.mu.RUnlock()
\treturn c.items
}`,
    good: `func (c *Cache) Snapshot() map[string]string {
\tc.mu.RLock()
\tdefer c.mu.RUnlock()
\tout := make(map[string]string, len(c.items))
\tfor k, v := range c.items {
\t\tout[k] = v
\t}
\treturn out // or maps.Clone(c.items) with Go 1.21+
}`,
    fix:
      "Return a copy made while the lock is held: `maps.Clone(m)` (Go 1.21 and later) or a copy loop into a new map. If callers only need to look values up, offer accessor methods (`Get`, `Range`) instead of exposing the map. " +
      "The quick fix **Return a copy of m** returns `maps.Clone(m)` when the module's `go` directive is 1.21 or later, and otherwise inserts a copy loop before the `return` (it needs the map's type from its declaration). It is not marked safe: a caller that wrote to the returned map to change the package's state would silently stop doing so. " +
      "For a package-level map, **Wrap m in an RWMutex-guarded type** (the fix global-map-race offers too) puts the map behind a small type with `Load`, `Store`, `Delete`, `Len`, `Range` and `Update` and rewrites every use in the package; its returns hand out a copy built with `Range`, so it is not marked safe either.",
    silent: [
      "returning `maps.Clone(m)`, a copy, a freshly built map, or a map the function itself created (a local or a named result)",
      "unexported functions and methods: the package controls every caller",
      "package-level maps written only in `init()`, in package-level initializers or inside `once.Do` and afterwards only read",
      "receiver map fields of structs without a mutex: no lock says the map is shared state (an accessor such as `Header()` that hands out the map for the caller to fill is a common API)",
      "receiver map fields of structs with a mutex when neither the return nor any write of that field in the file holds a lock: the mutex may guard other fields",
      "functions whose doc comment says the result must not be modified (a documented read-only view)",
      "returns inside function literals, which return from the literal and not from the exported function",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const written = writtenMaps(ctx.pkg);
    const fields = guardedMapFields(ctx.pkg);
    if (written.size === 0 && fields.size === 0) return out;
    // Cheap look at the returned expressions before finding the function.
    const interesting = (n: Node | null): boolean => {
      if (!n) return false;
      const e = unparen(n);
      if (e.type === "identifier") return written.has(e.text) && !!ctx.pkg.mapVar(e.text);
      return e.type === "selector_expression" && fields.has(e.childForFieldName("field")?.text ?? "");
    };
    for (const ret of returnStatements(ctx.file)) {
      const results = ret.namedChild(0)?.namedChildren ?? [];
      if (!results.some(interesting)) continue;
      const fn = enclosingFunction(ret);
      if (!fn || (fn.type !== "function_declaration" && fn.type !== "method_declaration")) continue;
      const fnName = fn.childForFieldName("name")?.text ?? "";
      if (!/^[A-Z]/.test(fnName)) continue;
      let readOnlyDoc: boolean | undefined;
      const documentedReadOnly = () => (readOnlyDoc ??= READ_ONLY_DOC.test(docComment(fn)));
      for (const result of results) {
        if (!result || !interesting(result)) continue;
        const e = unparen(result);
        if (e.type === "identifier") {
          const decl = ctx.pkg.mapVar(e.text);
          if (!decl || isDeclaredLocally(e, e.text) || documentedReadOnly()) continue;
          const fix = copyFix(ctx, ret, result, fn, decl.mapType);
          // The wrapper type takes the whole map off the table; its returns hand out snapshots.
          const wrap = mapFixes({ kind: "package", name: e.text, decl }, ctx);
          out.push({
            range: rangeOf(result),
            message: `${fnName} returns package-level map ${e.text} itself; callers share it and can race with the package's writes${wrap ? whyNot(wrap, ["wrapper"]) : ""}`,
            related: [{ file: decl.file, range: decl.range, message: `map ${e.text} is declared here` }],
            fixes: [...(fix ? [fix] : []), ...(wrap ? offered(wrap, ["wrapper"]) : [])],
          });
        } else if (e.type === "selector_expression" && fn.type === "method_declaration") {
          const operand = unparen(e.childForFieldName("operand")!);
          const recv = receiverOf(fn);
          if (!recv || operand.type !== "identifier" || operand.text !== recv.name) continue;
          const type = ctx.pkg.types.get(recv.type);
          const fieldName = e.childForFieldName("field")?.text;
          const field = type?.fields.find((f) => f.name === fieldName);
          if (!type || !field || !(field.isMap || ctx.pkg.isMapType(field.typeText))) continue;
          const mutex = type.fields.find((f) => f.isMutex);
          if (!mutex && !type.embedsMutex) continue;
          if (!guardedField(ret, fieldName!, ctx) || documentedReadOnly()) continue;
          // A generic receiver may name its type parameters differently from the struct declaration.
          const generic = fn.childForFieldName("receiver")?.text.includes("[") ?? false;
          const fix = copyFix(ctx, ret, result, fn, generic ? undefined : field.typeText);
          out.push({
            fixes: fix ? [fix] : [],
            range: rangeOf(result),
            message: `${fnName} returns map ${e.text} itself; callers share it with the ${type.name} and can race on it outside ${mutex ? `${recv.name}.${mutex.name}` : "its lock"}`,
            related: [
              {
                file: type.file,
                range: type.range,
                message: `${type.name} guards ${fieldName} with ${mutex ? mutex.name : "its embedded mutex"}`,
              },
            ],
          });
        }
      }
    }
    return out;
  },
};
