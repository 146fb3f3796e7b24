// Flags direct reads and writes of a gin (or gee) context's Keys map: `c.Keys[k]`, `c.Keys[k] = v`, `range c.Keys`.
// gin takes its lock for Keys only inside c.Set and c.Get, so direct access races with goroutines that use them.
import type { Node } from "../parser";
import { declaredType, frameworkOf } from "../analysis/frameworks";
import { callArgs, rangeOf, spanOf, unparen } from "../analysis/syntax";
import type { Fix, RawFinding, Range, TextEdit } from "../analysis/types";
import { fixesAllowed, hasComment, insertAfter, replaceBetween, replaceUpTo } from "../fixes/edit";
import type { Rule, RuleContext } from "../analysis/rule";

type Access = "read" | "written" | "ranged over";

/** How `sel` (a `c.Keys` selector) is used, and the range to report, or null when it is not an element access. */
function accessOf(sel: Node): { access: Access; range: Range } | null {
  let node = sel;
  while (node.parent?.type === "parenthesized_expression") node = node.parent;
  const parent = node.parent;
  if (!parent) return null;
  if (parent.type === "index_expression" && parent.childForFieldName("operand")?.id === node.id) {
    let target = parent;
    while (target.parent?.type === "parenthesized_expression") target = target.parent;
    const up = target.parent;
    const range = rangeOf(parent);
    if (up?.type === "inc_statement" || up?.type === "dec_statement") return { access: "written", range };
    if (
      up?.type === "expression_list" &&
      up.parent?.type === "assignment_statement" &&
      up.parent.childForFieldName("left")?.id === up.id
    ) {
      return { access: "written", range };
    }
    return { access: "read", range };
  }
  if (parent.type === "range_clause" && parent.childForFieldName("right")?.id === node.id) {
    const loop = parent.parent;
    return { access: "ranged over", range: loop?.type === "for_statement" ? spanOf(loop, parent) : rangeOf(parent) };
  }
  if (parent.type === "argument_list") {
    const call = parent.parent;
    const fn = call?.childForFieldName("function");
    if (call && fn?.type === "identifier" && fn.text === "delete" && callArgs(call)[0]?.id === node.id)
      return { access: "written", range: rangeOf(call) };
  }
  return null;
}

/**
 * The accessor rewrite of one `c.Keys[k]` access, or undefined where no
 * accessor does the same: `c.Keys[k] = v` becomes `c.Set(k, v)`, the comma-ok
 * read `v, ok := c.Keys[k]` becomes `c.Get(k)`, and (gin only) a plain read
 * becomes `c.Value(k)`. `c.Keys[k]++`, `op=`, delete and range have no accessor.
 */
function accessorFix(sel: Node, name: string, fw: "gin" | "gee", ctx: RuleContext): Fix | undefined {
  let operand = sel;
  while (operand.parent?.type === "parenthesized_expression") operand = operand.parent;
  const index = operand.parent;
  if (index?.type !== "index_expression") return undefined;
  const key = index.childForFieldName("index");
  if (!key) return undefined;
  const file = ctx.file.file;
  const title = `Use ${name}.Set / ${name}.Get`;
  // Only the `c.Keys[` head and the `]` tail are replaced, so key and value text
  // (with their comments and any nested access another fix rewrites) stay as they are.
  const head = (method: string): TextEdit | undefined =>
    hasComment(ctx.file, index.startIndex, key.startIndex)
      ? undefined
      : replaceUpTo(file, index, key, `${name}.${method}(`);
  let outer = index;
  while (outer.parent?.type === "parenthesized_expression") outer = outer.parent;
  const list = outer.parent;
  const stmt = list?.parent;
  if (
    list?.type === "expression_list" &&
    stmt?.type === "assignment_statement" &&
    stmt.childForFieldName("left")?.id === list.id
  ) {
    const left = list.namedChildren.filter((x) => x?.type !== "comment");
    const right = stmt.childForFieldName("right")?.namedChildren.filter((x) => x?.type !== "comment") ?? [];
    if (stmt.childForFieldName("operator")?.text !== "=" || left.length !== 1 || right.length !== 1) return undefined;
    const value = right[0]!;
    const h = head("Set");
    if (!h || hasComment(ctx.file, key.endIndex, value.startIndex)) return undefined;
    return { title, safe: true, edits: [h, replaceBetween(file, key, value, ", "), insertAfter(file, value, ")")] };
  }
  if (stmt && list?.type === "expression_list" && commaOkRead(stmt, list)) {
    const h = head("Get");
    if (!h || hasComment(ctx.file, key.endIndex, index.endIndex)) return undefined;
    return { title, safe: true, edits: [h, closeParen(file, key, index)] };
  }
  if (list?.type === "inc_statement" || list?.type === "dec_statement") return undefined;
  if (fw !== "gin") return undefined;
  const h = head("Value");
  if (!h || hasComment(ctx.file, key.endIndex, index.endIndex)) return undefined;
  // c.Value(k) equals c.Keys[k] for string keys unless the engine enables
  // ContextWithFallback, when a missing key is looked up in the request's
  // context too: a reviewer has to confirm that.
  return { title, safe: false, edits: [h, closeParen(file, key, index)] };
}

/** Replaces the `]` after the key with `)`. */
function closeParen(file: string, key: Node, index: Node): TextEdit {
  return { file, range: { start: rangeOf(key).end, end: rangeOf(index).end }, newText: ")" };
}

/** `v, ok := c.Keys[k]`, `v, ok = c.Keys[k]` or `var v, ok = c.Keys[k]` with the access as the only right-hand side. */
function commaOkRead(stmt: Node, right: Node): boolean {
  const values = right.namedChildren.filter((x) => x?.type !== "comment");
  if (values.length !== 1) return false;
  const leftField = stmt.type === "var_spec" ? null : stmt.childForFieldName("left");
  const isRight =
    stmt.type === "var_spec"
      ? stmt.childForFieldName("value")?.id === right.id
      : stmt.childForFieldName("right")?.id === right.id;
  if (!isRight) return false;
  if (stmt.type === "var_spec")
    return (
      stmt.childrenForFieldName("name").filter((x) => x?.type === "identifier").length === 2 &&
      !stmt.childForFieldName("type")
    );
  if (
    stmt.type !== "short_var_declaration" &&
    !(stmt.type === "assignment_statement" && stmt.childForFieldName("operator")?.text === "=")
  )
    return false;
  return (leftField?.namedChildren.filter((x) => x?.type !== "comment").length ?? 0) === 2;
}

export const ginKeysDirect: Rule = {
  id: "gin-keys-direct",
  severity: "warning",
  related: [
    'gin documentation: Context.Set and Context.Get ("Keys is a key/value pair exclusively for the context of each request", guarded by Context.mu)',
    "go vet has no equivalent; the race detector reports it only when the racing goroutine runs under test",
  ],
  docs: {
    title: "Direct access to a gin context's Keys map",
    flags:
      "An element read `c.Keys[k]`, an element write (`c.Keys[k] = v`, `c.Keys[k]++`, `delete(c.Keys, k)`) or a `for ... range c.Keys` loop, where `c` is declared as a gin context (`*gin.Context`) or a gee context (`*gee.Context`): a parameter, a variable with that type, or a package-level variable of that type. " +
      "The framework is recognised from the file's imports, so a local type that happens to be called `Context` does not count.",
    why:
      "gin keeps per-request values in `c.Keys` and guards that map with the context's own `sync.RWMutex`, but only inside `c.Set`, `c.Get` and the `Get...` helpers. " +
      "Middleware often hands the context to background work (a goroutine that logs, an async audit, a `c.Copy()` taken later), and a direct `c.Keys[k] = v` bypasses the lock: a concurrent `c.Set` turns into `fatal error: concurrent map writes`, and a direct read during a `c.Set` is a data race. " +
      "Direct writes also skip `Set`'s lazy `make`, so writing to a fresh context's nil `Keys` panics.",
    bad: `func auth(c *gin.Context) {
\tc.Keys["user"] = currentUser(c)
\tc.Next()
}

func profile(c *gin.Context) {
\tu := c.Keys["user"].(*User)
\tc.JSON(http.StatusOK, u)
}`,
    good: `func auth(c *gin.Context) {
\tc.Set("user", currentUser(c))
\tc.Next()
}

func profile(c *gin.Context) {
\tu := c.MustGet("user").(*User)
\tc.JSON(http.StatusOK, u)
}`,
    fix:
      "Write with `c.Set(k, v)` and read with `c.Get(k)`, `c.MustGet(k)` or the typed helpers (`c.GetString(k)`, `c.GetInt(k)`, ...). There is no locked way to range over `Keys`: read the entries you need with `c.Get` by name instead. " +
      "The quick fix **Use c.Set / c.Get** rewrites `c.Keys[k] = v` to `c.Set(k, v)` and `v, ok := c.Keys[k]` to `v, ok := c.Get(k)` (safe), and on gin a plain read to `c.Value(k)` (not marked safe: with the engine's `ContextWithFallback` a missing key is also looked up in the request's context). `c.Keys[k]++`, `op=`, `delete` and `range` get no fix: no accessor does the same.",
    silent: [
      "`c.Set`, `c.Get`, `c.MustGet` and the typed `Get...` helpers",
      "receivers whose type is not visible (no parameter or variable declaration with a framework type), and contexts of echo and fiber, which have no `Keys` map",
      "a `Keys` field of any other struct, including a local type named `Context` in a package that is not gin or gee",
      "uses of `c.Keys` as a whole (`len(c.Keys)`, `c.Keys == nil`): only element access and range loops are reported",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const imports = ctx.file.summary.imports;
    for (const sel of ctx.file.caps.keysSelectors) {
      const operand = sel.childForFieldName("operand");
      const c = operand ? unparen(operand) : null;
      if (c?.type !== "identifier") continue;
      const use = accessOf(sel);
      if (!use) continue;
      const t = declaredType(c, c.text, ctx);
      const fw = t ? frameworkOf(t, imports) : null;
      if (fw !== "gin" && fw !== "gee") continue;
      const n = c.text;
      const tail =
        fw === "gin"
          ? `gin guards it with a lock only inside ${n}.Set and ${n}.Get`
          : `use ${n}.Set and ${n}.Get, the context's accessors for it`;
      const fix = fixesAllowed(ctx.file) ? accessorFix(sel, n, fw, ctx) : undefined;
      out.push({ range: use.range, message: `${n}.Keys is ${use.access} directly; ${tail}`, fixes: fix ? [fix] : [] });
    }
    return out;
  },
};
