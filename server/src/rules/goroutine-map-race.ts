// Flags a local map written inside a goroutine while the function that started it, a sibling goroutine from the
// same loop, or another goroutine of the same function also uses it, with no lock: the runtime aborts on such races.
import type { Node } from "../parser";
import {
  containsNode,
  enclosingFunction,
  findLocalDeclaration,
  FUNCTION_TYPES,
  rangeOf,
  synchronization,
  someInSubtree,
  unparen,
} from "../analysis/syntax";
import type { Fix, RawFinding, RelatedLocation } from "../analysis/types";
import { mapFixes, offered, whyNot } from "../fixes/map-rewrite";
import { writtenMap } from "./global-map-race";
import { knownMap, type KnownMap } from "./map-range-pick";
import type { Rule, RuleContext } from "../analysis/rule";

/** The goroutine a write runs in: the `go` statement and the function literal it runs (directly or through a variable). */
interface Goroutine {
  go: Node;
  lit: Node;
  /** The local variable holding the literal, when the goroutine is started as `go f()` or calls `f()`. */
  via?: string;
}

/** The variable a function literal is assigned to (`f := func...`, `var f = func...`, `f = func...`). */
function boundName(lit: Node): string | null {
  const list = lit.parent;
  if (list?.type !== "expression_list") return null;
  const stmt = list.parent;
  let left: Node | null | undefined;
  if (stmt?.type === "short_var_declaration" || stmt?.type === "assignment_statement") {
    if (stmt.childForFieldName("right")?.id !== list.id) return null;
    if (stmt.type === "assignment_statement" && stmt.childForFieldName("operator")?.text !== "=") return null;
    left = stmt.childForFieldName("left");
  } else if (stmt?.type === "var_spec") {
    const names = stmt.childrenForFieldName("name");
    const i = list.namedChildren.findIndex((c) => c?.id === lit.id);
    return names[i]?.text ?? null;
  }
  const i = list.namedChildren.findIndex((c) => c?.id === lit.id);
  const id = left?.namedChildren[i];
  return id?.type === "identifier" ? id.text : null;
}

/** The `go` statements of the file with their spans, read once: comparing offsets costs far less than node accessors. */
interface GoSpan {
  node: Node;
  start: number;
  end: number;
}

/** A `go` statement in `host` that runs the local function variable `name`: `go name(...)`, or a literal calling `name(...)`. */
function launchOf(name: string, host: Node, goStatements: readonly GoSpan[]): Node | null {
  const call = new RegExp(`(^|[^.\\w])${name}\\s*\\(`);
  const hostStart = host.startIndex;
  const hostEnd = host.endIndex;
  for (const { node: g, start, end } of goStatements) {
    if (start < hostStart || end > hostEnd) continue;
    const fn = g.namedChild(0)?.childForFieldName("function");
    if (!fn) continue;
    if (fn.type === "identifier" && fn.text === name) return g;
    if (fn.type === "func_literal" && call.test(fn.text)) return g;
  }
  return null;
}

/** The goroutine whose function literal (or a literal it calls through a local variable) contains the node. */
function goroutineOf(node: Node, goStatements: readonly GoSpan[]): Goroutine | null {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "function_declaration" || n.type === "method_declaration") return null;
    if (n.type !== "func_literal") continue;
    const call = n.parent;
    if (call?.type === "call_expression" && call.childForFieldName("function")?.id === n.id) {
      if (call.parent?.type === "go_statement") return { go: call.parent, lit: n };
      continue;
    }
    const name = boundName(n);
    // A callback handed to another function (`withLock(func() {...})`, `AfterFunc`) runs when and how
    // that function decides, perhaps under its lock: the syntax cannot tell.
    if (!name) return null;
    const host = enclosingFunction(n);
    const go = host ? launchOf(name, host, goStatements) : null;
    if (go) return { go, lit: n, via: name };
  }
  return null;
}

/**
 * For a map that is a parameter of the goroutine's literal, the map passed in
 * as the matching argument of the `go` call: `go func(m map[K]V) {...}(counts)`.
 */
function forwardedMap(param: string, g: Goroutine, ctx: RuleContext): KnownMap | null {
  let index = 0;
  let found = -1;
  for (const decl of g.lit.childForFieldName("parameters")?.namedChildren ?? []) {
    if (!decl) continue;
    if (decl.type !== "parameter_declaration") return null;
    for (const n of decl.childrenForFieldName("name")) {
      if (n?.text === param) found = index;
      index++;
    }
  }
  const arg = found >= 0 ? g.go.namedChild(0)?.childForFieldName("arguments")?.namedChildren[found] : null;
  if (!arg || arg.type !== "identifier") return null;
  const km = knownMap(arg, ctx.pkg);
  return km?.kind === "local" ? km : null;
}

/** Whether the subtree receives from a channel, calls `.Wait()` or ranges over a channel, outside nested goroutines, closures and defers. */
function hasWait(node: Node): boolean {
  return someInSubtree(node, (type, cursor) => {
    if (FUNCTION_TYPES.has(type) || type === "go_statement" || type === "defer_statement") return "skip";
    const n = cursor.currentNode;
    if (type === "unary_expression" && n.childForFieldName("operator")?.text === "<-") return true;
    if (type === "call_expression") {
      const fn = n.childForFieldName("function");
      if (fn?.type === "selector_expression" && fn.childForFieldName("field")?.text === "Wait") return true;
    }
    return type === "range_clause" && rangesOverChannel(n);
  });
}

/** `for v := range ch` over a local channel: it ends only when the senders close it. */
function rangesOverChannel(clause: Node): boolean {
  const right = clause.childForFieldName("right");
  if (right?.type !== "identifier") return false;
  const local = findLocalDeclaration(right, right.text);
  const d = local?.decls.length === 1 ? local.decls[0]! : null;
  if (!d) return false;
  return /^(<-\s*)?chan\b/.test(d.typeText ?? "") || /^make\(\s*(<-\s*)?chan\b/.test(d.value?.text ?? "");
}

/**
 * The start of the first statement after the `go` statement (in its block or
 * an enclosing one, up to the spawning function) that waits for goroutines:
 * `wg.Wait()`, a channel receive, a range over a channel. Accesses from there
 * on are ordered after the goroutine's writes (when it signals at its end).
 */
function firstWaitAfter(go: Node, spawnFn: Node, cache: Map<number, number>): number {
  const cached = cache.get(go.id);
  if (cached !== undefined) return cached;
  let result = Infinity;
  let child = go;
  outer: for (let n = go.parent; n && n.id !== spawnFn.id; child = n, n = n.parent) {
    if (n.type !== "statement_list") continue;
    for (const s of n.namedChildren) {
      if (!s || s.startIndex <= child.startIndex) continue;
      if (hasWait(s)) {
        result = s.startIndex;
        break outer;
      }
    }
  }
  cache.set(go.id, result);
  return result;
}

const CASE_HOLDERS = new Set(["expression_switch_statement", "type_switch_statement", "select_statement"]);

/**
 * Whether code at `later` cannot run after the statement `first` has run: a
 * `return` follows `first` before `later`, or the two sit in different
 * branches of one `if`, `switch` or `select` (below `stop`).
 */
function exclusive(first: Node, later: Node, stop: Node): boolean {
  const onPath = new Map<number, Node>();
  let child = first;
  for (let n = first.parent; n && n.id !== stop.id; child = n, n = n.parent) {
    onPath.set(n.id, child);
    if (n.type !== "statement_list") continue;
    for (const st of n.namedChildren) {
      if (!st || st.startIndex <= child.startIndex) continue;
      if (st.endIndex > later.startIndex) break;
      if (st.type === "return_statement") return true;
    }
  }
  let other = later;
  for (let n = later.parent; n && n.id !== stop.id; other = n, n = n.parent) {
    const mine = onPath.get(n.id);
    if (!mine) continue;
    if (mine.id === other.id) return false;
    return n.type === "if_statement" || CASE_HOLDERS.has(n.type);
  }
  return false;
}

/** Whether the iteration that runs the `go` statement ends right after it (a `return`, or a `break` out of the loop). */
function endsIterationAfter(go: Node, loop: Node): boolean {
  let child = go;
  let inCase = false;
  for (let n = go.parent; n && n.id !== loop.id; child = n, n = n.parent) {
    if (CASE_HOLDERS.has(n.type) || n.type === "for_statement") inCase = true;
    if (n.type !== "statement_list") continue;
    for (const st of n.namedChildren) {
      if (!st || st.startIndex <= child.startIndex) continue;
      if (st.type === "return_statement") return true;
      // An unlabelled break inside a switch or select leaves only that statement.
      if (st.type === "break_statement" && (!inCase || st.namedChildCount > 0)) return true;
    }
  }
  return false;
}

/** The nearest `go` statement containing the node, below `stop`. */
function goStatementWithin(node: Node, stop: Node): Node | null {
  for (let n = node.parent; n && n.id !== stop.id; n = n.parent) if (n.type === "go_statement") return n;
  return null;
}

/** Whether the identifier is the key of a keyed element (`T{name: v}`): a field name, not a use. */
function isElementKey(id: Node): boolean {
  const el = id.parent;
  return (
    el?.type === "literal_element" &&
    el.parent?.type === "keyed_element" &&
    el.parent.childForFieldName("key")?.id === el.id
  );
}

interface Access {
  node: Node;
  /** The other goroutine's `go` statement, when the access is inside one. */
  go: Node | null;
}

/**
 * Uses of the map (or of the variable holding the goroutine's literal) in the
 * spawning function, outside the goroutine itself, in document order. Only the
 * occurrences of the names in the text are looked at, not every node of the body.
 */
function accessesOf(map: KnownMap, g: Goroutine, spawnFn: Node, text: string): Access[] {
  const body = spawnFn.childForFieldName("body");
  if (!body) return [];
  const names = new Set([map.root]);
  if (g.via) names.add(g.via);
  const viaDecl = g.via ? g.lit.parent?.parent : null;
  const skipped = [g.go, g.lit, viaDecl].flatMap((n) => (n ? [[n.startIndex, n.endIndex] as const] : []));
  const root = spawnFn.tree.rootNode;
  const out: Access[] = [];
  for (const id of occurrences(body, names, text)) {
    if (skipped.some(([s, e]) => s <= id.start && id.end <= e)) continue;
    const node = root.descendantForIndex(id.start, id.end);
    if (node?.type !== "identifier" || node.startIndex !== id.start || node.endIndex !== id.end) continue;
    if (isElementKey(node) || !use(node, map, g)) continue;
    out.push({
      node: node.parent?.type === "selector_expression" ? node.parent : node,
      go: goStatementWithin(node, spawnFn),
    });
  }
  return out;
}

/**
 * Where the names occur in the text of `node`, in document order: every
 * identifier of those names inside it is among these spans (with matches in
 * longer words, comments and strings, which the caller drops).
 */
function occurrences(node: Node, names: ReadonlySet<string>, text: string): { start: number; end: number }[] {
  const from = node.startIndex;
  const to = node.endIndex;
  const spans: { start: number; end: number }[] = [];
  for (const name of names) {
    if (name === "") continue;
    // Searched in the node's own text: a search of the file would run on to the next occurrence.
    const own = text.slice(from, to);
    for (let j = own.indexOf(name); j >= 0; j = own.indexOf(name, j + 1))
      spans.push({ start: from + j, end: from + j + name.length });
  }
  return spans.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Whether the identifier refers to the map (same declaration; the same field for struct fields) or is the goroutine's variable. */
function use(id: Node, map: KnownMap, g: Goroutine): boolean {
  if (id.text === g.via && id.text !== map.root)
    return findLocalDeclaration(id, id.text)?.fn.id === enclosingFunction(g.lit)?.id;
  if (findLocalDeclaration(id, id.text)?.fn.id !== map.fn?.id) return false;
  if (map.field === undefined) return true;
  const sel = id.parent;
  return (
    sel?.type === "selector_expression" &&
    sel.childForFieldName("operand")?.id === id.id &&
    sel.childForFieldName("field")?.text === map.field
  );
}

/** A span of text; lists of them are sorted and disjoint. */
interface Span {
  start: number;
  end: number;
}

/** The span of the sorted, disjoint list that holds start..end, by binary search. */
function spanHolding<T extends Span>(spans: readonly T[], start: number, end: number): T | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.start <= start) lo = mid + 1;
    else hi = mid - 1;
  }
  const s = spans[hi];
  return s && end <= s.end ? s : undefined;
}

/** The outermost `go` statements (nested ones lie within them), sorted. */
function outermost(gos: readonly GoSpan[]): Span[] {
  const out: Span[] = [];
  for (const g of [...gos].sort((a, b) => a.start - b.start || b.end - a.end)) {
    const last = out[out.length - 1];
    if (last && g.start < last.end) continue;
    out.push({ start: g.start, end: g.end });
  }
  return out;
}

/** A top-level declaration that starts goroutines. */
interface Host extends Span {
  /** Where a function literal in it may start: after the `func` of a function or method declaration. */
  literalsFrom: number;
}

/**
 * The top-level declarations holding the `go` statements, sorted. The
 * top-level child at an offset is one call; walking up with `parent` costs a
 * descent from the root per step.
 */
function hostsOf(gos: readonly GoSpan[], root: Node): Host[] {
  const hosts: Host[] = [];
  for (const g of gos) {
    if (hosts.some((h) => h.start <= g.start && g.end <= h.end)) continue;
    let top = root.firstNamedChildForIndex(g.start);
    if (!top || top.startIndex > g.start || top.endIndex < g.end) {
      top = g.node;
      for (let n = g.node.parent; n && n.type !== "source_file"; n = n.parent) top = n;
    }
    const start = top.startIndex;
    const own = top.type === "function_declaration" || top.type === "method_declaration";
    hosts.push({ start, end: top.endIndex, literalsFrom: own ? start + 1 : start });
  }
  return hosts.sort((a, b) => a.start - b.start);
}

/** Where a `go` statement runs: the function that spawns it and the loop around it there, if any. */
interface Spawn {
  fn: Node | null;
  loop: Node | null;
}

/** enclosingFunction and enclosingLoop of a `go` statement in one walk up, cached per statement. */
function spawnOf(go: Node, cache: Map<number, Spawn>): Spawn {
  let spawn = cache.get(go.id);
  if (!spawn) {
    spawn = { fn: null, loop: null };
    for (let n = go.parent; n; n = n.parent) {
      const type = n.type;
      if (FUNCTION_TYPES.has(type)) {
        spawn.fn = n;
        break;
      }
      if (type === "for_statement") spawn.loop ??= n;
    }
    cache.set(go.id, spawn);
  }
  return spawn;
}

/**
 * A cheap test that lets most writes skip the map's declaration and the walk
 * over its uses: a finding needs the `go` statement in a loop, another `go`
 * statement in the spawning function, or a use of the map (or of the variable
 * holding the literal) after the `go` statement, which its text would show.
 */
function mayRace(target: Node, g: Goroutine, spawn: Spawn, gos: readonly GoSpan[], text: string): boolean {
  if (spawn.loop || !spawn.fn) return true;
  const fnStart = spawn.fn.startIndex;
  const fnEnd = spawn.fn.endIndex;
  const goStart = g.go.startIndex;
  const goEnd = g.go.endIndex;
  if (gos.some((o) => fnStart <= o.start && o.end <= fnEnd && (o.start < goStart || o.start >= goEnd))) return true;
  const operand = target.type === "selector_expression" ? target.childForFieldName("operand") : target;
  const root = operand ? unparen(operand) : null;
  if (root?.type !== "identifier") return true;
  const name = root.text;
  // A parameter of the literal may stand for the map passed in as an argument (forwardedMap), under another name.
  if (g.lit.childForFieldName("parameters")?.text.includes(name)) return true;
  const after = text.slice(goEnd, fnEnd);
  return after.includes(name) || (g.via !== undefined && after.includes(g.via));
}

export const goroutineMapRace: Rule = {
  id: "goroutine-map-race",
  severity: "error",
  related: [
    "the race detector (go test -race) reports it when a test runs both accesses",
    "Go FAQ: Why are map operations not defined to be atomic?",
    "The Go Memory Model, Goroutine creation: the go statement is synchronized before the goroutine starts; nothing orders the code after it",
  ],
  docs: {
    title: "Local map written in a goroutine while other code still uses it",
    flags:
      "A write (`m[k] = v`, `m[k]++`, `m[k] op= v`, `delete(m, k)`, `clear(m)`) inside the function literal of a `go` statement, or inside a function literal that the goroutine runs through a local variable (`f := func() {...}; go f()`), to a map declared by the enclosing function, when one of these also holds: " +
      "the `go` statement sits in a loop, so sibling goroutines write the same map; another `go` statement of the same function uses the map; or the spawning function itself uses the map after the `go` statement, before any `wg.Wait()`, channel receive or range over a channel that follows it. " +
      "The map must be known to be one: `m := make(map...)`, `m := map[K]V{}`, `var m map[K]V`, a map-typed parameter (also one handed to the goroutine as an argument), or a map field of a package struct reached through a local variable, parameter or receiver of that struct type. " +
      "The write is reported unless a lock is held around it inside the goroutine.",
    why: "Go maps are not safe for concurrent use. When two goroutines write a map at the same time, or one writes while another reads, the runtime stops the whole program with `fatal error: concurrent map writes` (or `concurrent map read and map write`), which `recover` cannot catch, or it silently corrupts the map. A `go` statement only orders what came before it: nothing orders the goroutine against the code after it or against its siblings until something waits for it.",
    bad: `func countWords(docs []string) map[string]int {
\tcounts := make(map[string]int)
\tvar wg sync.WaitGroup
\tfor _, doc := range docs {
\t\twg.Add(1)
\t\tgo func(doc string) {
\t\t\tdefer wg.Done()
\t\t\tfor _, w := range strings.Fields(doc) {
\t\t\t\tcounts[w]++
\t\t\t}
\t\t}(doc)
\t}
\twg.Wait()
\treturn counts
}`,
    good: `func countWords(docs []string) map[string]int {
\tcounts := make(map[string]int)
\tvar (
\t\tmu sync.Mutex
\t\twg sync.WaitGroup
\t)
\tfor _, doc := range docs {
\t\twg.Add(1)
\t\tgo func(doc string) {
\t\t\tdefer wg.Done()
\t\t\tfor _, w := range strings.Fields(doc) {
\t\t\t\tmu.Lock()
\t\t\t\tcounts[w]++
\t\t\t\tmu.Unlock()
\t\t\t}
\t\t}(doc)
\t}
\twg.Wait()
\treturn counts
}`,
    fix: "Three quick fixes rewrite the declaration and every use of the map in its function; the first one that is safe is preferred. **Convert m to sync.Map**: `var m sync.Map`, `m[k] = v` becomes `m.Store(k, v)`, `v, ok := m[k]` a `Load` with a type assertion to the value type (zero value when absent), `delete` becomes `Delete`, a range loop becomes `m.Range(func...)` with `break`/`continue` turned into `return false`/`return true`, a literal's entries stored right after the declaration; keys and values are converted to the map's types where needed, so lookups find what was stored. It is not offered when a use has no faithful equivalent (`len(m)`, `m[k]++` and other read-modify-writes, passing, returning or reassigning the map, a range loop that returns, defers or breaks to an outer label, a read that cannot be split out of its expression); the message says which use. **Wrap m in an RWMutex-guarded type** adds one small type per package (generic `syncMap[K, V]` from go 1.18, else a type for this map) with `Load`, `Store`, `Delete`, `Len`, `Range` and `Update` (for `m[k]++` and `m[k] op= v`), used through a pointer so `go vet` stays quiet. **Guard m with a sync.RWMutex** declares a mutex beside the map (or reuses the one some accesses already hold) and wraps each access statement, writes in `Lock`/`Unlock`, reads and range loops in `RLock`/`RUnlock`, neighbouring accesses in one region; when a region could be left early the whole function takes the lock, and such a fix is marked unsafe for review. Without a quick fix: hold a `sync.Mutex` around every access inside the goroutines (and in the spawning function until they are done), or give each goroutine its own map and merge the results after `wg.Wait()`, or send the entries over a channel to a single goroutine that owns the map. Maps that are parameters or struct fields get no conversion: their other users are out of sight.",
    silent: [
      "package-level maps: `global-map-race` reports those",
      "maps declared inside the goroutine (each goroutine has its own), also when built fresh in each iteration of the loop that starts the goroutines",
      "per-goroutine maps merged after `wg.Wait()`: uses of the map after a `.Wait()` call, a channel receive (`<-done`) or a range over a channel that follows the `go` statement",
      "writes funnelled through a channel to one owner goroutine that is started once, outside a loop",
      "writes after `mu.Lock()` (or `RLock`) inside the goroutine, with the unlock later or deferred, and writes in a callback literal handed to another function (`s.withLock(func() {...})`, `once.Do(func() {...})`), which decides how the callback runs",
      "uses of the map before the `go` statement, which happen before the goroutine starts, and uses that cannot follow it: in another branch of the same `if`, `switch` or `select`, or after a `return` that follows the `go` statement",
      "a `go` statement in a loop whose iteration ends right after it (`break`, `return`): at most one goroutine is started",
      "`sync.Map` and anything not known to be a map (unknown types, fields of structs declared in other packages)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    if (ctx.file.caps.goStatements.length === 0) return out;
    const text = ctx.file.text;
    const gos: GoSpan[] = ctx.file.caps.goStatements.map((node) => ({
      node,
      start: node.startIndex,
      end: node.endIndex,
    }));
    const hosts = hostsOf(gos, ctx.file.tree.rootNode);
    const goSpans = outermost(gos);
    const spawns = new Map<number, Spawn>();
    const waits = new Map<number, number>();
    for (const write of ctx.file.caps.mapWrites) {
      // Only writes inside a declaration that starts a goroutine can be in one: inside a `go`
      // statement, or inside a function literal (its `func` comes before the write) that one runs.
      const writeStart = write.startIndex;
      const writeEnd = write.endIndex;
      const host = spanHolding(hosts, writeStart, writeEnd);
      if (!host) continue;
      if (!spanHolding(goSpans, writeStart, writeEnd)) {
        const func = text.indexOf("func", host.literalsFrom);
        if (func < 0 || func >= writeStart) continue;
      }
      const target = writtenMap(write);
      if (!target || (target.type !== "identifier" && target.type !== "selector_expression")) continue;
      const g = goroutineOf(write, gos);
      if (!g) continue;
      const spawn = spawnOf(g.go, spawns);
      const spawnFn = spawn.fn;
      if (!spawnFn || !mayRace(target, g, spawn, gos, text)) continue;
      let map = knownMap(target, ctx.pkg);
      let forwardedAs: string | null = null;
      if (!map || (map.kind !== "local" && map.kind !== "field") || !map.fn) continue;
      if (containsNode(g.lit, map.fn)) {
        // Declared by the goroutine itself: its own map, unless it is a parameter fed with an outer map.
        if (map.kind !== "local" || map.fn.id !== g.lit.id || g.via || map.declNode?.type !== "parameter_declaration")
          continue;
        forwardedAs = map.root;
        map = forwardedMap(map.root, g, ctx);
        if (!map || !map.fn) continue;
      }
      if (!containsNode(map.fn, g.go)) continue;
      if (synchronization(write)) continue;
      const waitAt = firstWaitAfter(g.go, spawnFn, waits);
      const related: RelatedLocation[] = [];
      let message: string | null = null;
      const loop = spawn.loop;
      const declaredInLoop = loop && map.declNode && containsNode(loop, map.declNode);
      // A wait later in the same iteration joins each goroutine before the next one starts.
      if (loop && !declaredInLoop && waitAt >= loop.endIndex && !endsIterationAfter(g.go, loop)) {
        message = `map ${map.name} is written in a goroutine started in a loop, so sibling goroutines use it at once; guard it with a mutex`;
        related.push({
          file: ctx.file.file,
          range: rangeOf(g.go.child(0)!),
          message: `the goroutines are started here, once per iteration`,
        });
      }
      const accesses = message ? [] : accessesOf(map, g, spawnFn, text);
      const sibling = accesses.find((a) => {
        if (!a.go) return false;
        if (a.go.startIndex > g.go.startIndex) return a.go.startIndex < waitAt && !exclusive(g.go, a.go, spawnFn);
        return g.go.startIndex < firstWaitAfter(a.go, spawnFn, waits) && !exclusive(a.go, g.go, spawnFn);
      });
      if (!message && sibling) {
        message = `map ${map.name} is written in a goroutine while other goroutines also use it; guard it with a mutex`;
        related.push({
          file: ctx.file.file,
          range: rangeOf(sibling.go!.child(0)!),
          message: `another goroutine using ${map.name} is started here`,
        });
        related.push({ file: ctx.file.file, range: rangeOf(sibling.node), message: `${map.name} is used here` });
      }
      const after = message
        ? undefined
        : accesses.find(
            (a) =>
              !a.go &&
              a.node.startIndex >= g.go.endIndex &&
              a.node.startIndex < waitAt &&
              !exclusive(g.go, a.node, spawnFn),
          );
      if (!message && after) {
        message = `map ${map.name} is written in a goroutine while the function that started it still uses it; guard it with a mutex or wait for the goroutine first`;
        related.push({
          file: ctx.file.file,
          range: rangeOf(after.node),
          message: `${map.name} is used here while the goroutine may still run`,
        });
      }
      if (!message) continue;
      // Fixes for a local map variable: every use is in its function. A map that reaches the
      // goroutine as a parameter is used under another name there, which the rewrites do not follow.
      let fixes: Fix[] = [];
      if (map.kind === "local" && map.declNode) {
        if (forwardedAs) {
          if (!ctx.file.summary.hasErrors)
            message += `; no quick fix: ${map.name} reaches the goroutine as parameter ${forwardedAs}`;
        } else {
          const set = mapFixes({ kind: "local", name: map.name, declNode: map.declNode }, ctx);
          if (set) {
            message += whyNot(set);
            fixes = offered(set);
          }
        }
      }
      out.push({ range: rangeOf(write), message, related, fixes });
    }
    return out;
  },
};
