// Flags direct reads and writes of a gin (or gee) context's Keys map: `c.Keys[k]`, `c.Keys[k] = v`, `range c.Keys`.
// gin takes its lock for Keys only inside c.Set and c.Get, so direct access races with goroutines that use them.
import type { Node } from "../parser";
import { frameworkOf } from "../analysis/frameworks";
import { rangeOf, spanOf, unparen } from "../analysis/syntax";
import type { RawFinding, Range } from "../analysis/types";
import { callArgs, declaredType } from "./context-key-builtin";
import type { Rule, RuleContext } from "./rule";

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
    fix: "Write with `c.Set(k, v)` and read with `c.Get(k)`, `c.MustGet(k)` or the typed helpers (`c.GetString(k)`, `c.GetInt(k)`, ...). There is no locked way to range over `Keys`: read the entries you need with `c.Get` by name instead.",
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
      out.push({ range: use.range, message: `${n}.Keys is ${use.access} directly; ${tail}` });
    }
    return out;
  },
};
