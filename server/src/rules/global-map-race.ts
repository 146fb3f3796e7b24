// Flags writes to a package-level map from code that runs concurrently (handlers, goroutines) with no lock held.
// Go maps are not safe for concurrent writes: the runtime aborts with "fatal error: concurrent map writes".
import type { Node } from "../parser";
import { inHandler } from "../analysis/frameworks";
import {
  enclosingDeclaration,
  enclosingGoStatement,
  isDeclaredLocally,
  rangeOf,
  synchronization,
  unparen,
} from "../analysis/syntax";
import type { RawFinding } from "../analysis/types";
import { mapFixes, offered, whyNot } from "../fixes/map-rewrite";
import type { Rule, RuleContext } from "../analysis/rule";

/** The map operand a write capture targets: `m` in `m[k] = v`, `delete(m, k)`, `clear(m)`. */
export function writtenMap(write: Node): Node | null {
  if (write.type === "index_expression") return unparen(write.childForFieldName("operand")!);
  const arg = write.childForFieldName("arguments")?.namedChild(0);
  return arg ? unparen(arg) : null;
}

/** Why the code around `node` runs concurrently, as the tail of a message, or null when nothing says so. */
export function concurrencyEvidence(node: Node, ctx: RuleContext): string | null {
  if (enclosingGoStatement(node)) return "this goroutine runs concurrently with its caller";
  if (inHandler(node, ctx.file.summary.imports)) return "handlers run concurrently";
  const decl = enclosingDeclaration(node);
  const name = decl?.childForFieldName("name")?.text;
  if (name && ctx.pkg.goLaunched.has(name)) return `${name} runs in its own goroutine`;
  return null;
}

export const globalMapRace: Rule = {
  id: "global-map-race",
  severity: "warning",
  related: [
    "go vet has no equivalent; the race detector (go test -race) finds it only when a test runs both writers",
    "Go FAQ: Why are map operations not defined to be atomic?",
  ],
  docs: {
    title: "Package-level map written without a lock by code that runs concurrently",
    flags:
      "A write to a package-level map (`m[k] = v`, `m[k]++`, `m[k] += v`, `delete(m, k)`, `clear(m)`) in a function that runs concurrently, with no lock held. " +
      "Concurrency is taken from what the code shows: an HTTP or framework handler (a parameter of type `*http.Request`, `http.ResponseWriter`, `*gin.Context`, `echo.Context`, `*gee.Context`, `*fiber.Ctx`, or a `ServeHTTP` method), the body of a `go` statement, or a function that the package starts with `go f(...)`. " +
      "The map may be declared in any file of the package.",
    why: "Go maps are not safe for concurrent use. Two handlers writing the same package-level map at once make the runtime stop the whole process with `fatal error: concurrent map writes`, which no `recover` can catch; a concurrent read and write corrupts data or crashes the same way. Under light load the bug stays hidden and surfaces in production.",
    bad: `var sessions = make(map[string]*Session)

func login(w http.ResponseWriter, r *http.Request) {
\tid := newID()
\tsessions[id] = &Session{User: r.FormValue("user")}
}`,
    good: `var (
\tsessionsMu sync.RWMutex
\tsessions   = make(map[string]*Session)
)

func login(w http.ResponseWriter, r *http.Request) {
\tid := newID()
\tsessionsMu.Lock()
\tsessions[id] = &Session{User: r.FormValue("user")}
\tsessionsMu.Unlock()
}`,
    fix: "Three quick fixes rewrite the declaration and every use of the map in every file of the package; the first one that is safe is preferred. **Convert m to sync.Map**: `var m sync.Map`, `m[k] = v` becomes `m.Store(k, v)`, `v, ok := m[k]` a `Load` with a type assertion to the value type (zero value when absent), `delete` becomes `Delete`, a range loop becomes `m.Range(func...)` with `break`/`continue` turned into `return false`/`return true`, a literal's entries stored in `init`; keys and values are converted to the map's types where needed, so lookups find what was stored. It is not offered when a use has no faithful equivalent (`len(m)`, `m[k]++` and other read-modify-writes, passing, returning or reassigning the map, a range loop that returns, defers or breaks to an outer label, a read that cannot be split out of its expression); the message says which use. **Wrap m in an RWMutex-guarded type** adds one small type per package (generic `syncMap[K, V]` from go 1.18, else a type for this map) with `Load`, `Store`, `Delete`, `Len`, `Range` and `Update` (for `m[k]++` and `m[k] op= v`), used through a pointer so `go vet` stays quiet. **Guard m with a sync.RWMutex** declares a mutex beside the map (or reuses the one some accesses already hold) and wraps each access statement, writes in `Lock`/`Unlock`, reads and range loops in `RLock`/`RUnlock`, neighbouring accesses in one region; when a region could be left early the whole function takes the lock, and such a fix is marked unsafe for review. Without a quick fix: guard every access with a `sync.RWMutex` (Lock for writes, RLock for reads and range loops), wrap the map in a small type that owns the mutex, or, for caches that are written once and read many times, use `sync.Map`.",
    silent: [
      "maps written only in `init()` or in package-level initializers and afterwards only read",
      "writes after `mu.Lock()` or `mu.RLock()` in the same block or an enclosing one (including `defer mu.Unlock()`)",
      "writes in functions whose name ends in `Locked` or whose doc comment says the caller holds the lock",
      "writes inside `once.Do(func() { ... })`",
      "`sync.Map` and `atomic.Value`/`atomic.Pointer` copy-on-write maps (they are not Go maps)",
      "a local variable or parameter that shadows the package-level name",
      "functions with no sign of concurrency: not a handler, not started with `go`, not inside a `go` statement",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    if (ctx.pkg.vars.size === 0) return out;
    for (const write of ctx.file.caps.mapWrites) {
      const target = writtenMap(write);
      if (!target || target.type !== "identifier") continue;
      const name = target.text;
      const decl = ctx.pkg.mapVar(name);
      if (!decl) continue;
      if (isDeclaredLocally(write, name)) continue;
      if (synchronization(write)) continue;
      const why = concurrencyEvidence(write, ctx);
      if (!why) continue;
      const range = rangeOf(write);
      // The fixes rewrite every use of the map in the package; computed once per map.
      const fixes = mapFixes({ kind: "package", name, decl }, ctx);
      out.push({
        range,
        message: `map ${name} is written here without a lock; ${why}${fixes ? whyNot(fixes) : ""}`,
        related: [{ file: decl.file, range: decl.range, message: `map ${name} is declared here` }],
        fixes: fixes ? offered(fixes) : [],
      });
    }
    return out;
  },
};
