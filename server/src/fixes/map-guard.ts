// "Guard <name> with a sync.RWMutex": a mutex beside the map and every access
// statement wrapped, writes in Lock/Unlock, reads and range loops in
// RLock/RUnlock. Accesses that already hold a lock are left alone (and their
// mutex is reused); neighbouring accesses share one lock region; nothing is
// locked twice in one function. When a region could be left early (a return
// inside an if), the whole function takes the lock with a deferred unlock, and
// the fix is marked unsafe for review.
import type { FileSyntax } from "../analysis/facts";
import { containsNode, synchronization } from "../analysis/syntax";
import type { Fix } from "../analysis/types";
import type { Node } from "../parser";
import { importName } from "./imports";
import { neededImports } from "./go-types";
import {
  EditSet,
  endsLine,
  returnedAfterJoin,
  indentAt,
  lineOf,
  nextLineStart,
  startsLine,
  statementOf,
  type MapEnv,
  type Use,
} from "./map-uses";
import { hasWord, topDeclaration } from "./scope";

const WRITES = new Set(["store", "rmw", "multi", "delete", "clear", "reassign", "elemwrite"]);
const FUNCTION_TYPES = new Set(["function_declaration", "method_declaration", "func_literal"]);

const LOCK = /^(.*)\.(R?Lock)\(\)$/;
const UNLOCK = /^(.*)\.(R?Unlock)\(\)$/;

/** Receivers of the locks held at `node` by Lock/RLock calls earlier in enclosing blocks of its function. */
function heldLocks(node: Node): Set<string> {
  const held = new Map<string, number>();
  let child = node;
  for (let n = node.parent; n; child = n, n = n.parent) {
    if (FUNCTION_TYPES.has(n.type)) {
      // An immediately invoked literal runs where it stands.
      const call = n.parent;
      if (
        n.type === "func_literal" &&
        call?.type === "call_expression" &&
        call.childForFieldName("function")?.id === n.id &&
        call.parent?.type !== "go_statement" &&
        call.parent?.type !== "defer_statement"
      )
        continue;
      break;
    }
    if (n.type !== "statement_list") continue;
    for (const s of n.namedChildren) {
      if (!s || s.startIndex >= child.startIndex) break;
      const deferred = s.type === "defer_statement";
      const call = s.type === "expression_statement" || deferred ? s.namedChild(0) : null;
      if (call?.type !== "call_expression" || call.text.length > 200) continue;
      const lock = LOCK.exec(call.text);
      const unlock = UNLOCK.exec(call.text);
      if (lock && !deferred) held.set(lock[1]!, (held.get(lock[1]!) ?? 0) + 1);
      else if (unlock && !deferred) held.set(unlock[1]!, Math.max(0, (held.get(unlock[1]!) ?? 0) - 1));
    }
  }
  return new Set([...held].filter(([, c]) => c > 0).map(([r]) => r));
}

function enclosingFn(n: Node): Node | null {
  for (let p = n.parent; p; p = p.parent) if (FUNCTION_TYPES.has(p.type)) return p;
  return null;
}

/** Whether the subtree (outside function literals) can leave before its end: return, goto, panic, or break/continue to an outer statement. */
function leavesEarly(stmt: Node): boolean {
  const stack: Node[] = [stmt];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "func_literal") continue;
    if (n.type === "return_statement" || n.type === "goto_statement") return true;
    if (n.type === "expression_statement" && /^panic\(/.test(n.text)) return true;
    if (n.type === "break_statement" || n.type === "continue_statement") {
      if (n.namedChildCount > 0) return true;
      const targets =
        n.type === "break_statement"
          ? ["for_statement", "expression_switch_statement", "type_switch_statement", "select_statement"]
          : ["for_statement"];
      let inside = false;
      for (let p = n.parent; p && p.id !== stmt.id; p = p.parent) if (targets.includes(p.type)) inside = true;
      if (!inside && !targets.includes(stmt.type)) return true;
    }
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return false;
}

/** Whether the subtree waits on something another goroutine may need the lock to deliver. */
function waits(stmt: Node): boolean {
  const stack: Node[] = [stmt];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "func_literal") continue;
    if (n.type === "unary_expression" && n.childForFieldName("operator")?.text === "<-") return true;
    if (n.type === "send_statement" || n.type === "select_statement") return true;
    if (n.type === "call_expression" && /\.Wait$/.test(n.childForFieldName("function")?.text ?? "")) return true;
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return false;
}

/** Names of the functions and methods called in the subtree (outside literals). */
function calledNames(stmt: Node): Set<string> {
  const out = new Set<string>();
  const stack: Node[] = [stmt];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === "func_literal") continue;
    if (n.type === "call_expression") {
      const fn = n.childForFieldName("function");
      if (fn?.type === "identifier") out.add(fn.text);
      else if (fn?.type === "selector_expression") out.add(fn.childForFieldName("field")?.text ?? "");
    }
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return out;
}

interface Access {
  use: Use;
  stmt: Node;
  fn: Node;
  write: boolean;
}

interface Region {
  file: FileSyntax;
  fn: Node;
  first: Node;
  last: Node;
  write: boolean;
}

export function guardFix(env: MapEnv): Fix | string {
  let safe = true;
  if (env.target.kind === "package" && /^[A-Z]/.test(env.name)) safe = false;
  if (env.declNode.type === "parameter_declaration") safe = false;
  const accesses: Access[] = [];
  const receivers = new Set<string>();
  for (const u of env.uses) {
    if (u.kind === "return") {
      // Handing out the map reads none of it; the caller's later uses are what is unguarded.
      if (!returnedAfterJoin(env, u)) safe = false;
      continue;
    }
    if (u.kind === "escape") safe = false;
    const held = heldLocks(u.id);
    if (held.size) {
      for (const r of held) receivers.add(r);
      continue;
    }
    if (synchronization(u.id)) continue;
    const stmt = statementOf(u.id);
    const fn = stmt ? enclosingFn(stmt) : null;
    if (!stmt || !fn) return `${env.name} is used outside a function body`;
    if ((stmt.type === "go_statement" || stmt.type === "defer_statement") && stmt.namedChild(0)?.id === u.node.id) {
      return `${stmt.text.split(/\s/)[0]} ${u.node.text.split("(")[0]}(...) runs later, outside any lock`;
    }
    accesses.push({ use: u, stmt, fn, write: WRITES.has(u.kind) });
  }
  if (receivers.size > 1) return `its accesses hold different locks (${[...receivers].sort().join(", ")})`;
  // Reuse the mutex that already guards some accesses, or declare <name>Mu.
  let mu = `${env.name}Mu`;
  let rwLocks = true;
  let declare = true;
  const existing = [...receivers][0];
  if (existing !== undefined) {
    const pkgVar = env.pkg.vars.get(existing);
    const usable =
      env.target.kind === "package" ? !!pkgVar?.isMutex && /^[\w]+$/.test(existing) : /^\w+$/.test(existing);
    if (!usable) return `its accesses are guarded by ${existing}, which not every function can name`;
    mu = existing;
    declare = false;
    rwLocks = pkgVar ? /RWMutex$/.test(pkgVar.typeText ?? "") : localRW(env, existing);
  } else if (env.pkg.vars.has(mu) || env.pkg.funcs.has(mu) || env.pkg.types.has(mu) || env.pkg.consts.has(mu)) {
    return `the name ${mu} is taken`;
  }
  if (declare) {
    for (const a of accesses)
      if (hasWord(topDeclaration(a.stmt).text, mu) && env.target.kind === "package")
        return `the name ${mu} is taken in a function that uses ${env.name}`;
    if (env.target.kind === "local" && hasWord(topDeclaration(env.declNode).text, mu)) return `the name ${mu} is taken`;
  }
  // Accesses inside another access's statement (a range loop's body) are covered by it.
  const top: Access[] = [];
  for (const a of accesses) {
    const outer = accesses.find(
      (b) => b !== a && b.fn.id === a.fn.id && b.stmt.id !== a.stmt.id && containsNode(b.stmt, a.stmt),
    );
    if (outer) {
      outer.write ||= a.write;
      continue;
    }
    // Inside a statement of an enclosing function's access (a callback literal in a locked
    // statement): it may run under that lock, or later without it.
    if (accesses.some((b) => b.fn.id !== a.fn.id && containsNode(b.stmt, a.stmt) && !isGoLiteral(a.fn))) safe = false;
    top.push(a);
  }
  // One region per run of adjacent access statements in a block.
  const byStmt = new Map<number, Access>();
  for (const a of top) {
    const prev = byStmt.get(a.stmt.id);
    if (prev) prev.write ||= a.write;
    else byStmt.set(a.stmt.id, a);
  }
  const regions: Region[] = [];
  const sorted = [...byStmt.values()].sort((a, b) =>
    a.use.file.file < b.use.file.file
      ? -1
      : a.use.file.file > b.use.file.file
        ? 1
        : a.stmt.startIndex - b.stmt.startIndex,
  );
  for (const a of sorted) {
    const last = regions[regions.length - 1];
    if (
      last &&
      last.file === a.use.file &&
      last.last.parent?.id === a.stmt.parent?.id &&
      nextStatement(last.last)?.id === a.stmt.id
    ) {
      last.last = a.stmt;
      last.write ||= a.write;
    } else regions.push({ file: a.use.file, fn: a.fn, first: a.stmt, last: a.stmt, write: a.write });
  }
  // Functions whose regions could be left early take the lock for their whole body.
  const wholeFns = new Map<number, { file: FileSyntax; fn: Node; write: boolean }>();
  for (const r of regions) {
    const stmts = statementsOf(r);
    const early =
      stmts.some((s) => s.type !== "return_statement" && leavesEarly(s)) ||
      stmts.slice(0, -1).some((s) => s.type === "return_statement");
    const oneLine = !startsLine(r.file.text, r.first) || !endsLine(r.file.text, r.last);
    const expandable = oneLine && oneLineLiteralBlock(r.first) !== null;
    if (early || (oneLine && !expandable)) {
      const w = wholeFns.get(r.fn.id);
      if (w) w.write ||= r.write;
      else wholeFns.set(r.fn.id, { file: r.file, fn: r.fn, write: r.write });
    }
  }
  for (const w of wholeFns.values()) {
    for (const r of regions) if (r.fn.id === w.fn.id) w.write ||= r.write;
    const body = w.fn.childForFieldName("body");
    if (!body || body.startPosition.row === body.endPosition.row)
      return `a function using ${env.name} is written on one line`;
    safe = false;
  }
  // Deadlocks: a locked region that calls a function which takes the same lock, or waits for a goroutine.
  const lockingFns = new Set<string>();
  for (const a of accesses) {
    const decl = topDeclaration(a.stmt);
    const name = decl.childForFieldName("name")?.text;
    if (name && (decl.type === "function_declaration" || decl.type === "method_declaration")) lockingFns.add(name);
  }
  const lockedParts: Node[] = [
    ...regions.filter((r) => !wholeFns.has(r.fn.id)).flatMap(statementsOf),
    ...[...wholeFns.values()].map((w) => w.fn.childForFieldName("body")!),
  ];
  for (const s of lockedParts) {
    if (waits(s)) safe = false;
    for (const c of calledNames(s)) if (lockingFns.has(c)) safe = false;
  }
  // A function locked as a whole that waits (for its goroutines, most likely) would wait holding the lock.
  for (const w of wholeFns.values()) {
    if (waits(w.fn.childForFieldName("body")!))
      return `a function using ${env.name} would wait for other goroutines while holding the lock`;
  }

  const edits = new EditSet();
  if (declare) {
    const f = env.declFile;
    const syncName = importName(f, "sync") ?? "sync";
    declareMutex(env, edits, mu, syncName);
    if (!importName(f, "sync")) edits.addTextEdits(f, neededImports(f, ["sync"]));
  }
  const lock = (write: boolean) => (write || !rwLocks ? "Lock" : "RLock");
  const unlock = (write: boolean) => (write || !rwLocks ? "Unlock" : "RUnlock");
  for (const w of wholeFns.values()) {
    const body = w.fn.childForFieldName("body")!;
    let indent = `${indentAt(w.file.text, w.fn.startIndex)}\t`;
    let at = nextLineStart(w.file.text, body.startIndex);
    // In the function that declares a local map, the lock can only come after the map and its mutex.
    const decl =
      env.declNode.type === "var_spec"
        ? env.declNode.parent?.type === "var_spec_list"
          ? env.declNode.parent.parent!
          : env.declNode.parent!
        : env.declNode;
    if (env.target.kind === "local" && env.declNode.type !== "parameter_declaration" && containsNode(body, decl)) {
      indent = indentAt(w.file.text, decl.startIndex);
      at = nextLineStart(w.file.text, decl.endIndex);
    }
    edits.insert(w.file, at, `${indent}${mu}.${lock(w.write)}()\n${indent}defer ${mu}.${unlock(w.write)}()\n`);
  }
  // Regions in a one-line literal body: the body is spread over lines, one statement each.
  const expanded = new Map<number, { file: FileSyntax; block: Node; regions: Region[] }>();
  for (const r of regions) {
    if (wholeFns.has(r.fn.id)) continue;
    const text = r.file.text;
    const deferred = r.last.type === "return_statement" || /^panic\(/.test(r.last.text);
    const block = !startsLine(text, r.first) || !endsLine(text, r.last) ? oneLineLiteralBlock(r.first) : null;
    if (block) {
      const e = expanded.get(block.id) ?? { file: r.file, block, regions: [] };
      e.regions.push(r);
      expanded.set(block.id, e);
      continue;
    }
    const indent = indentAt(text, r.first.startIndex);
    const before = deferred
      ? `${indent}${mu}.${lock(r.write)}()\n${indent}defer ${mu}.${unlock(r.write)}()\n`
      : `${indent}${mu}.${lock(r.write)}()\n`;
    edits.insert(r.file, lineOf(text, r.first.startIndex).start, before);
    if (!deferred) edits.insert(r.file, nextLineStart(text, r.last.endIndex), `${indent}${mu}.${unlock(r.write)}()\n`);
  }
  for (const { file, block, regions: rs } of expanded.values()) {
    const indent = indentAt(file.text, block.startIndex);
    const lines: string[] = [];
    const list = block.namedChildren.find((c) => c?.type === "statement_list");
    for (const st of list?.namedChildren ?? []) {
      if (!st) continue;
      const starts = rs.find((r) => r.first.id === st.id);
      const ends = rs.find((r) => r.last.id === st.id);
      const deferred = !!ends && (ends.last.type === "return_statement" || /^panic\(/.test(ends.last.text));
      if (starts) lines.push(`${mu}.${lock(starts.write)}()`);
      if (starts && deferred) lines.push(`defer ${mu}.${unlock(starts.write)}()`);
      lines.push(st.text);
      if (ends && !deferred) lines.push(`${mu}.${unlock(ends.write)}()`);
    }
    edits.replace(file, block, `{\n${lines.map((l) => `${indent}\t${l}`).join("\n")}\n${indent}}`);
  }
  return edits.toFix(`Guard ${env.name} with a sync.RWMutex`, safe);
}

/** Whether a local mutex is an RWMutex (by its declaration near the map's). */
function localRW(env: MapEnv, name: string): boolean {
  for (const u of env.uses) {
    const probe = u.id;
    for (let fn = enclosingFn(probe); fn; fn = enclosingFn(fn)) {
      const stack: Node[] = [fn];
      while (stack.length) {
        const n = stack.pop()!;
        if (n.type === "var_spec" && n.childrenForFieldName("name").some((x) => x?.text === name))
          return /RWMutex$/.test(n.childForFieldName("type")?.text ?? "");
        for (const c of n.namedChildren) if (c && c.type !== "func_literal") stack.push(c);
      }
    }
  }
  return false;
}

function isGoLiteral(fn: Node): boolean {
  return (
    fn.type === "func_literal" && fn.parent?.type === "call_expression" && fn.parent.parent?.type === "go_statement"
  );
}

function nextStatement(s: Node): Node | null {
  for (let n = s.nextNamedSibling; n; n = n.nextNamedSibling) if (n.type !== "comment") return n;
  return null;
}

function statementsOf(r: Region): Node[] {
  const out: Node[] = [];
  for (let n: Node | null = r.first; n; n = n.nextNamedSibling) {
    if (n.type !== "comment") out.push(n);
    if (n.id === r.last.id) break;
  }
  return out;
}

/** The one-line block `{ ... }` of a function literal that holds the statement (and no comments). */
function oneLineLiteralBlock(stmt: Node): Node | null {
  const list = stmt.parent;
  const block = list?.parent;
  if (block?.type !== "block" || block.parent?.type !== "func_literal") return null;
  if (block.startPosition.row !== block.endPosition.row) return null;
  if (list!.namedChildren.some((c) => c?.type === "comment")) return null;
  return block;
}

/** `var <name>Mu sync.RWMutex` beside the map: in its var block, or on the line after its declaration. */
function declareMutex(env: MapEnv, edits: EditSet, mu: string, sync: string): void {
  const f = env.declFile;
  const d = env.declNode;
  const text = f.text;
  if (d.type === "var_spec" && d.parent?.type === "var_spec_list") {
    // Before the spec and its doc comment, inside the block.
    let first: Node = d;
    for (
      let p = d.previousNamedSibling;
      p?.type === "comment" && p.endPosition.row === first.startPosition.row - 1;
      p = p.previousNamedSibling
    )
      first = p;
    edits.insert(f, lineOf(text, first.startIndex).start, `${indentAt(text, d.startIndex)}${mu} ${sync}.RWMutex\n`);
    return;
  }
  if (d.type === "parameter_declaration") {
    const fn = d.parent!.parent!;
    const body = fn.childForFieldName("body")!;
    edits.insert(
      f,
      nextLineStart(text, body.startIndex),
      `${indentAt(text, fn.startIndex)}\tvar ${mu} ${sync}.RWMutex\n`,
    );
    return;
  }
  const stmt = d.type === "var_spec" ? d.parent! : d;
  edits.insert(f, nextLineStart(text, stmt.endIndex), `${indentAt(text, stmt.startIndex)}var ${mu} ${sync}.RWMutex\n`);
}
