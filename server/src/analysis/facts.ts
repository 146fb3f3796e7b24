// Facts gathered in one pass per file: a node-free summary of its package-level
// declarations (kept for closed files and merged into package facts) and the
// candidate nodes every rule starts from, found by a single tree-sitter Query.
import type { Node, Tree } from "../parser";
import { contextKeysOf } from "./keys";
import { nestingOverLimit } from "./limits";
import { rangeOf } from "./syntax";
import type { Range } from "./types";

export type ValueKind = "make" | "literal" | "nil" | "none" | "other";

export interface VarFact {
  name: string;
  file: string;
  range: Range;
  /** Declared type text, when written out. */
  typeText?: string;
  /** Text of the initial value, when there is one (truncated). */
  valueText?: string;
  valueKind: ValueKind;
  /** The variable holds a Go map (by its type, `make(map...)`, a map literal or a named map type). */
  isMap: boolean;
  /** The map's type text (`map[string]int` or a named map type), when known. */
  mapType?: string;
  isMutex: boolean;
}

export interface ConstFact {
  name: string;
  file: string;
  range: Range;
  typeText?: string;
  /** Text of the value expression (truncated). */
  valueText?: string;
}

export interface FieldFact {
  name: string;
  typeText: string;
  isMap: boolean;
  isMutex: boolean;
}

export interface TypeFact {
  name: string;
  file: string;
  range: Range;
  kind: "struct" | "map" | "interface" | "other";
  /** The underlying type text for non-struct types: `map[string]int`, `string`. */
  typeText: string;
  fields: FieldFact[];
  /** Embeds sync.Mutex or sync.RWMutex. */
  embedsMutex: boolean;
  /** Type texts of embedded fields (`context.Context`, `*Base`). */
  embeds: string[];
}

export interface FuncFact {
  name: string;
  file: string;
  range: Range;
  /** Receiver base type name for methods (`Cache` for `(c *Cache)`). */
  receiverType?: string;
  /** The result list as written (truncated): `error`, `(map[string]int, error)`. */
  resultText: string;
}

export interface FileSummary {
  file: string;
  packageName: string;
  /** Import name (explicit alias or last path element) to import path. */
  imports: Record<string, string>;
  vars: VarFact[];
  consts: ConstFact[];
  types: TypeFact[];
  funcs: FuncFact[];
  /** Names of functions and methods started with `go name(...)` or `go x.name(...)`. */
  goLaunched: string[];
  /** Identifiers assigned as a whole (`x = ...`, `x, y = ...`) or whose address is taken, in function bodies. */
  assignedNames: string[];
  /** Package-level-looking maps written by name (`m[k] = v`, `delete(m, k)`) outside `init`, initializers and `once.Do`. */
  mapWriteNames: string[];
  /** String values used as literal keys of `WithValue`/`.Value(...)` calls (receivers not resolved), sorted. */
  contextKeys: string[];
  /** The file spawns goroutines. */
  hasGo: boolean;
  /** The source has syntax errors (fixes are not offered inside broken code). */
  hasErrors: boolean;
  /** Why the code nests too deep for limits.ts (`nests more than 200 levels deep`): then only declarations are gathered and no rule runs. */
  tooDeep?: string;
}

/** Candidate nodes for the rules, from one query over the file. */
export interface Captures {
  /** `m[k]` targets of assignments, `m[k]++`/`--`, and `delete(...)`/`clear(...)` calls. */
  mapWrites: Node[];
  goStatements: Node[];
  rangeClauses: Node[];
  /** Method calls whose name is one the rules care about (WithValue, Lock, Copy, Next, ...). */
  methodCalls: Node[];
  /** Selector expressions `x.Keys`. */
  keysSelectors: Node[];
  /** `var m map[K]V` specs inside functions. */
  localMapVars: Node[];
  /** Offsets of `return` keywords: most files have many and most rules need none; see returnStatements(). */
  returnOffsets: number[];
  /** Offsets of plain `=` operators with no index expression on their left (`x = v`, `x.f = v`); rules resolve the few they need. */
  plainAssignOps: number[];
}

/** Method names whose calls are captured; rules that need another name add it here. */
export const CAPTURED_METHODS = [
  "WithValue",
  "Value",
  "Lock",
  "RLock",
  "Unlock",
  "RUnlock",
  "Copy",
  "Next",
  "ServeHTTP",
  "WithContext",
  "WithCancel",
  "WithCancelCause",
  "WithTimeout",
  "WithTimeoutCause",
  "WithDeadline",
  "WithDeadlineCause",
  "Set",
  "Get",
  "MustGet",
  "Param",
  "Query",
  "PostForm",
  "GetHeader",
  "FormValue",
  "Done",
  "Err",
];

// One scan of the text finds every candidate token; each match is mapped to its
// node with descendantForIndex, so nothing walks the whole tree. Matches inside
// comments and strings map to comment or literal nodes and are dropped. This
// costs a few percent of the parse where a tree-sitter Query costs a third.
const ASSIGN_OPS = String.raw`\+\+|--|<<=|>>=|&\^=|[-+*/%&|^]=|(?<![=!<>:])=(?!=)`;
function scanner(): RegExp {
  // The lookahead lists the first character of every alternative, so it changes
  // no match; it lets the engine pass over the other characters of the text
  // without trying each alternative there, which saves a quarter of the scan.
  return new RegExp(
    String.raw`(?=[-+*/%&|^<>=.grvdc])(?:(?<op>${ASSIGN_OPS})|\.(?<method>${CAPTURED_METHODS.join("|")}|Keys)\b|\b(?<word>go|range|return|var|delete|clear)\b)`,
    "g",
  );
}
let SCANNER: RegExp | undefined;
let SCANNER_SIZE = 0;

export interface FileSyntax {
  file: string;
  text: string;
  tree: Tree;
  summary: FileSummary;
  caps: Captures;
}

const GENERATED = /^\/\/ Code generated .* DO NOT EDIT\.$/m;

/**
 * Replaces, in place, every string of plain data that could be a slice of the
 * file's text with a copy. V8 keeps the whole text alive for each slice of it:
 * a declaration's facts outlive many versions of an open file's text (one per
 * keystroke elsewhere), and their type texts would keep every one of them;
 * workspace records outlive the texts of every file of a run.
 */
export function detachStrings(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    // Shorter strings are copies already: V8 slices only from 13 characters on.
    if (typeof v === "string") {
      if (v.length >= 13) obj[k] = (" " + v).slice(1);
    } else detachStrings(v);
  }
}

/** Whether Go source carries the standard generated-code marker before its package clause. */
export function isGenerated(text: string): boolean {
  const head = text.length > 8192 ? text.slice(0, 8192) : text;
  const m = GENERATED.exec(head);
  if (!m) return false;
  const pkg = /^package\s/m.exec(head);
  return !pkg || m.index < pkg.index;
}

/**
 * Limits analyzeSyntax to some top-level declarations: the language server
 * re-analyses only those an edit touched and merges their summaries.
 */
export interface SyntaxScope {
  /** Top-level nodes of the tree, in document order. */
  decls: readonly Node[];
  /** Named map types of the whole file (vars in scope may use a type declared outside it). */
  namedMapTypes: ReadonlySet<string>;
}

const ADDRESS_OF = /&\s*([A-Za-z_]\w*)\b(?!\s*[{.(\[])/y;

/** Matches of a global regex that start inside one of the sorted spans. */
function matchesIn(
  re: RegExp,
  text: string,
  spans: readonly (readonly [number, number])[],
): () => RegExpExecArray | null {
  let i = 0;
  re.lastIndex = spans[0]?.[0] ?? text.length;
  return () => {
    while (i < spans.length) {
      const m = re.exec(text);
      if (m && m.index < spans[i]![1]) return m;
      if (!m) return null;
      if (++i < spans.length) re.lastIndex = spans[i]![0];
    }
    return null;
  };
}

const ASSIGNING = new Set(["assignment_statement", "inc_statement", "dec_statement"]);
const GO = new Set(["go_statement"]);
const RANGE = new Set(["range_clause"]);
const RETURN = new Set(["return_statement"]);
const VAR = new Set(["var_declaration"]);

/**
 * The parent of the smallest node spanning `[start, end)`, when its type is one
 * of `types`. A keyword or operator token is anonymous, so the smallest named
 * node around it is that parent: one descent from the root where
 * descendantForIndex and `parent` take two. Text inside a named token (a
 * comment, a string, an identifier) has that token's parent, as before.
 */
function tokenParent(root: Node, start: number, end: number, types: ReadonlySet<string>): Node | null {
  const named = root.namedDescendantForIndex(start, end);
  if (!named) return null;
  let parent: Node | null;
  if (types.has(named.type)) return named;
  // A named leaf is itself the smallest node; anything else is the rare case
  // of text across tokens (error recovery), resolved the long way.
  else if (named.childCount === 0) parent = named.parent;
  else parent = root.descendantForIndex(start, end)?.parent ?? null;
  return parent && types.has(parent.type) ? parent : null;
}

const RETURNS = new WeakMap<Captures, Node[]>();

/** The file's return statements, found from their keywords on first use. */
export function returnStatements(file: FileSyntax): Node[] {
  let out = RETURNS.get(file.caps);
  if (!out) {
    out = [];
    const root = file.tree.rootNode;
    for (const at of file.caps.returnOffsets) {
      const stmt = tokenParent(root, at, at + "return".length, RETURN);
      if (stmt) out.push(stmt);
    }
    RETURNS.set(file.caps, out);
  }
  return out;
}

/** Builds the summary and the captures of one parsed file, or of the declarations in scope. */
export function analyzeSyntax(file: string, text: string, tree: Tree, scope?: SyntaxScope): FileSyntax {
  const caps: Captures = {
    mapWrites: [],
    goStatements: [],
    rangeClauses: [],
    methodCalls: [],
    keysSelectors: [],
    localMapVars: [],
    returnOffsets: [],
    plainAssignOps: [],
  };
  const assigned = new Set<string>();
  if (!SCANNER || SCANNER_SIZE !== CAPTURED_METHODS.length) {
    SCANNER = scanner();
    SCANNER_SIZE = CAPTURED_METHODS.length;
  }
  const re = SCANNER;
  const root = tree.rootNode;
  const spans = scope ? scope.decls.map((d) => [d.startIndex, d.endIndex] as const) : [[0, text.length] as const];
  const tooDeep = nestingOverLimit(text, spans);
  if (tooDeep) {
    // Each candidate would cost its depth and more (limits.ts): keep the declarations only.
    const summary = summarize(file, root, caps, assigned, scope);
    summary.tooDeep = tooDeep;
    return { file, text, tree, summary, caps };
  }
  const next = matchesIn(re, text, spans);
  for (let m = next(); m; m = next()) {
    const g = m.groups!;
    if (g.op !== undefined) {
      // Without a `[` before the operator on its line there is no index target:
      // the words there are (a superset of) the identifiers assigned, no node needed.
      const lineStart = text.lastIndexOf("\n", m.index) + 1;
      const lhs = text.slice(lineStart, m.index);
      if (!lhs.includes("[")) {
        for (const w of lhs.matchAll(/[A-Za-z_]\w*/g)) assigned.add(w[0]);
        if (g.op === "=") caps.plainAssignOps.push(m.index);
        continue;
      }
      const stmt = tokenParent(root, m.index, m.index + m[0].length, ASSIGNING);
      if (!stmt) continue;
      if (stmt.type === "assignment_statement") {
        for (const target of stmt.childForFieldName("left")?.namedChildren ?? []) {
          if (target?.type === "index_expression") caps.mapWrites.push(target);
          else if (target?.type === "identifier") assigned.add(target.text);
        }
      } else if (stmt.type === "inc_statement" || stmt.type === "dec_statement") {
        const target = stmt.namedChild(0);
        if (target?.type === "index_expression") caps.mapWrites.push(target);
      }
    } else if (g.method !== undefined) {
      const field = root.descendantForIndex(m.index + 1, m.index + m[0].length);
      const sel = field?.parent;
      if (field?.type !== "field_identifier" || !sel || sel.type !== "selector_expression") continue;
      if (g.method === "Keys") caps.keysSelectors.push(sel);
      const call = sel.parent;
      if (call?.type === "call_expression" && call.childForFieldName("function")?.id === sel.id)
        caps.methodCalls.push(call);
    } else {
      const start = m.index;
      const end = start + m[0].length;
      switch (g.word) {
        case "go": {
          const stmt = tokenParent(root, start, end, GO);
          if (stmt) caps.goStatements.push(stmt);
          break;
        }
        case "range": {
          const clause = tokenParent(root, start, end, RANGE);
          if (clause) caps.rangeClauses.push(clause);
          break;
        }
        case "return":
          caps.returnOffsets.push(start);
          break;
        case "var": {
          const decl = tokenParent(root, start, end, VAR);
          if (decl && decl.parent?.type === "statement_list") {
            for (const spec of specs(decl, "var_spec"))
              if (spec.childForFieldName("type")?.type === "map_type") caps.localMapVars.push(spec);
          }
          break;
        }
        default: {
          // delete(...) and clear(...): the builtin called by name.
          const token = root.descendantForIndex(start, end);
          const parent = token?.parent;
          if (
            token?.type === "identifier" &&
            parent?.type === "call_expression" &&
            parent.childForFieldName("function")?.id === token.id
          )
            caps.mapWrites.push(parent);
        }
      }
    }
  }
  // `&name` (not `&T{`, `&x.f`, `&f(`, `&a[i]`): the variable may be written through the pointer.
  // Found from each `&` in the spans' own text: `&` is rare, and a search of the
  // file from a span's start would run on to the next one, past the span,
  // perhaps to the end of the file, for every declaration the server re-analyses.
  for (const [from, to] of spans) {
    const own = text.slice(from, to);
    for (let j = own.indexOf("&"); j >= 0; j = own.indexOf("&", j + 1)) {
      ADDRESS_OF.lastIndex = from + j;
      const m = ADDRESS_OF.exec(text);
      if (m) assigned.add(m[1]!);
    }
  }
  const summary = summarize(file, tree.rootNode, caps, assigned, scope);
  summary.mapWriteNames = mapWriteNames(caps.mapWrites, text);
  summary.contextKeys = contextKeysOf(caps.methodCalls);
  return { file, text, tree, summary, caps };
}

const MUTEX_TYPE = /^\*?sync\.(RW)?Mutex$/;

function clip(text: string): string {
  return text.length > 300 ? text.slice(0, 300) : text;
}

function summarize(file: string, root: Node, caps: Captures, assigned: Set<string>, scope?: SyntaxScope): FileSummary {
  const s: FileSummary = {
    file,
    packageName: "",
    imports: {},
    vars: [],
    consts: [],
    types: [],
    funcs: [],
    goLaunched: [],
    assignedNames: [...assigned],
    mapWriteNames: [],
    contextKeys: [],
    hasGo: caps.goStatements.length > 0,
    hasErrors: root.hasError,
  };
  const namedMapTypes = new Set<string>(scope?.namedMapTypes);
  const pending: Node[] = [];
  for (const decl of scope?.decls ?? root.namedChildren) {
    if (!decl) continue;
    switch (decl.type) {
      case "package_clause":
        s.packageName = decl.namedChild(0)?.text ?? "";
        break;
      case "import_declaration":
        for (const spec of specs(decl, "import_spec")) {
          const pathNode = spec.childForFieldName("path");
          if (!pathNode) continue;
          const importPath = pathNode.text.replace(/^["`]|["`]$/g, "");
          const alias = spec.childForFieldName("name")?.text;
          // A major-version suffix (`echo/v4`) is not the package name; the element before it is.
          const elems = importPath.split("/");
          const last =
            elems.length > 1 && /^v\d+$/.test(elems[elems.length - 1]!)
              ? elems[elems.length - 2]!
              : elems[elems.length - 1]!;
          const name = alias && alias !== "." && alias !== "_" ? alias : last.replace(/^go-|\.v\d+$/g, "");
          if (alias !== "_") s.imports[name] = importPath;
        }
        break;
      case "type_declaration":
        for (const spec of specs(decl, "type_spec")) {
          const t = typeFact(file, spec);
          if (t) {
            s.types.push(t);
            if (t.kind === "map") namedMapTypes.add(t.name);
          }
        }
        break;
      case "var_declaration":
      case "const_declaration":
        pending.push(decl);
        break;
      case "function_declaration":
      case "method_declaration":
        s.funcs.push(funcFact(file, decl));
        break;
    }
  }
  // Vars come after types so that `var c = make(Cache)` sees `type Cache map[...]`.
  for (const decl of pending) {
    if (decl.type === "var_declaration") {
      for (const spec of specs(decl, "var_spec")) s.vars.push(...varFacts(file, spec, namedMapTypes));
    } else {
      for (const spec of specs(decl, "const_spec")) {
        const typeText = spec.childForFieldName("type")?.text;
        const values = spec.childForFieldName("value")?.namedChildren ?? [];
        spec.childrenForFieldName("name").forEach((id, i) => {
          if (!id) return;
          const v = values[i];
          s.consts.push({ name: id.text, file, range: rangeOf(id), typeText, valueText: v ? clip(v.text) : undefined });
        });
      }
    }
  }
  for (const go of caps.goStatements) {
    const call = go.namedChild(0);
    const fn = call?.type === "call_expression" ? call.childForFieldName("function") : null;
    if (!fn) continue;
    if (fn.type === "identifier") s.goLaunched.push(fn.text);
    else if (fn.type === "selector_expression") s.goLaunched.push(fn.childForFieldName("field")?.text ?? "");
  }
  return s;
}

/**
 * Names of maps written by name outside one-time initialisation (`init`,
 * package initializers, `once.Do`): such a map keeps changing after start-up.
 * A function that declares a local of the same name anywhere (found in its
 * text, which is cheap and errs towards "local") does not count.
 */
function mapWriteNames(writes: Node[], text: string): string[] {
  const names = new Set<string>();
  const locals = new Set<string>();
  for (const w of writes) {
    const target =
      w.type === "index_expression" ? w.childForFieldName("operand") : w.childForFieldName("arguments")?.namedChild(0);
    if (target?.type !== "identifier" || names.has(target.text)) continue;
    let decl: Node | null = null;
    let once = false;
    for (let n = w.parent; n; n = n.parent) {
      if (
        n.type === "func_literal" &&
        n.parent?.type === "argument_list" &&
        /\.Do$/.test(n.parent.parent?.childForFieldName("function")?.text ?? "")
      )
        once = true;
      if (n.type === "function_declaration" || n.type === "method_declaration") {
        decl = n;
        break;
      }
    }
    // Outside any function: a package-level initializer.
    if (!decl || once || (decl.type === "function_declaration" && decl.childForFieldName("name")?.text === "init"))
      continue;
    const key = `${decl.id}:${target.text}`;
    if (locals.has(key)) continue;
    if (declaresLocal(decl, target.text, text)) {
      locals.add(key);
      continue;
    }
    names.add(target.text);
  }
  return [...names];
}

const WORD_CHAR = /\w/;

/**
 * Whether the function's text declares `name`: in its signature, or in its
 * body as `name :=` (also `a, name :=`), `var name` or a literal's parameter.
 * Only the occurrences of the name are examined, on their own line.
 */
function declaresLocal(decl: Node, name: string, text: string): boolean {
  const bodyStart = decl.childForFieldName("body")?.startIndex ?? decl.endIndex;
  // Searched in the declaration's own text: a search of the file from its start
  // would run on to the next occurrence, perhaps at the end of the file.
  const start = decl.startIndex;
  const own = text.slice(start, decl.endIndex);
  for (let j = own.indexOf(name); j >= 0; j = own.indexOf(name, j + name.length)) {
    const i = start + j;
    if (WORD_CHAR.test(text[i - 1] ?? "") || WORD_CHAR.test(text[i + name.length] ?? "")) continue;
    if (i < bodyStart) return true;
    const lineEnd = text.indexOf("\n", i);
    const after = text.slice(i + name.length, lineEnd < 0 ? text.length : lineEnd);
    if (/^[\w \t,]*:=/.test(after)) return true;
    const before = text.slice(text.lastIndexOf("\n", i) + 1, i);
    if (/\bvar\s+[\w \t,]*$|\bfunc\s*\([^)]*$/.test(before)) return true;
  }
  return false;
}

/**
 * Merges the summaries of a file's declarations (analysed with a SyntaxScope,
 * in document order) into the file's summary, as if analysed whole. Every
 * field is listed so that a new one fails to compile here until it is merged.
 */
export function mergeSummaries(file: string, parts: readonly FileSummary[], hasErrors: boolean): FileSummary {
  const unique = (get: (p: FileSummary) => string[]): string[] => [...new Set(parts.flatMap(get))];
  return {
    file,
    packageName: parts.find((p) => p.packageName !== "")?.packageName ?? "",
    imports: Object.assign({}, ...parts.map((p) => p.imports)) as Record<string, string>,
    vars: parts.flatMap((p) => p.vars),
    consts: parts.flatMap((p) => p.consts),
    types: parts.flatMap((p) => p.types),
    funcs: parts.flatMap((p) => p.funcs),
    goLaunched: parts.flatMap((p) => p.goLaunched),
    assignedNames: unique((p) => p.assignedNames),
    mapWriteNames: unique((p) => p.mapWriteNames),
    contextKeys: unique((p) => p.contextKeys).sort(),
    hasGo: parts.some((p) => p.hasGo),
    hasErrors,
  };
}

/** The specs of a declaration, whether grouped in parentheses or not. */
function specs(decl: Node, type: string): Node[] {
  const out: Node[] = [];
  for (const child of decl.namedChildren) {
    if (!child) continue;
    if (child.type === type) out.push(child);
    else if (child.type.endsWith("_list")) for (const c of child.namedChildren) if (c?.type === type) out.push(c);
  }
  return out;
}

/** Whether a type text names a map: `map[...]...` or a named map type of the package. */
export function isMapTypeText(typeText: string | undefined, namedMapTypes: ReadonlySet<string>): boolean {
  if (!typeText) return false;
  return typeText.startsWith("map[") || namedMapTypes.has(typeText);
}

/** Classifies a value expression: `make(map...)`, a map literal, `nil` or something else. */
export function classifyValue(
  value: Node | null | undefined,
  namedMapTypes: ReadonlySet<string>,
): { kind: ValueKind; mapType?: string } {
  if (!value) return { kind: "none" };
  if (value.type === "nil") return { kind: "nil" };
  if (value.type === "call_expression" && value.childForFieldName("function")?.text === "make") {
    const arg = value.childForFieldName("arguments")?.namedChild(0);
    if (arg && isMapTypeText(arg.text, namedMapTypes)) return { kind: "make", mapType: arg.text };
    return { kind: "other" };
  }
  if (value.type === "composite_literal") {
    const t = value.childForFieldName("type");
    if (t && isMapTypeText(t.text, namedMapTypes)) return { kind: "literal", mapType: t.text };
  }
  return { kind: "other" };
}

function varFacts(file: string, spec: Node, namedMapTypes: ReadonlySet<string>): VarFact[] {
  const typeNode = spec.childForFieldName("type");
  const typeText = typeNode?.text;
  const values = spec.childForFieldName("value")?.namedChildren ?? [];
  const names = spec.childrenForFieldName("name");
  const out: VarFact[] = [];
  names.forEach((id, i) => {
    if (!id) return;
    const value = names.length === values.length ? values[i] : undefined;
    const cls = classifyValue(value, namedMapTypes);
    const typedMap = isMapTypeText(typeText, namedMapTypes);
    const isMap = typedMap || cls.mapType !== undefined;
    out.push({
      name: id.text,
      file,
      range: rangeOf(id),
      typeText,
      valueText: value ? clip(value.text) : undefined,
      valueKind: values.length === 0 ? "none" : cls.kind,
      isMap,
      mapType: typedMap ? typeText : cls.mapType,
      isMutex: typeText !== undefined && MUTEX_TYPE.test(typeText),
    });
  });
  return out;
}

function typeFact(file: string, spec: Node): TypeFact | null {
  const name = spec.childForFieldName("name");
  const type = spec.childForFieldName("type");
  if (!name || !type) return null;
  const fact: TypeFact = {
    name: name.text,
    file,
    range: rangeOf(name),
    kind:
      type.type === "struct_type"
        ? "struct"
        : type.type === "map_type"
          ? "map"
          : type.type === "interface_type"
            ? "interface"
            : "other",
    typeText: type.type === "struct_type" ? "struct" : clip(type.text),
    fields: [],
    embedsMutex: false,
    embeds: [],
  };
  if (type.type === "struct_type") {
    const list = type.namedChild(0);
    for (const field of list?.namedChildren ?? []) {
      if (!field || field.type !== "field_declaration") continue;
      const ftype = field.childForFieldName("type")?.text ?? "";
      const names = field.childrenForFieldName("name");
      if (names.length === 0) {
        if (MUTEX_TYPE.test(ftype)) fact.embedsMutex = true;
        fact.embeds.push(ftype);
        continue;
      }
      for (const n of names) {
        if (n)
          fact.fields.push({
            name: n.text,
            typeText: ftype,
            isMap: ftype.startsWith("map["),
            isMutex: MUTEX_TYPE.test(ftype),
          });
      }
    }
  }
  return fact;
}

function funcFact(file: string, decl: Node): FuncFact {
  const nameNode = decl.childForFieldName("name");
  const name = nameNode?.text ?? "";
  let receiverType: string | undefined;
  if (decl.type === "method_declaration") {
    const recv = decl.childForFieldName("receiver")?.namedChild(0)?.childForFieldName("type")?.text;
    if (recv) receiverType = recv.replace(/^\*/, "").replace(/\[.*$/, "");
  }
  return {
    name,
    file,
    range: rangeOf(nameNode ?? decl),
    receiverType,
    resultText: clip(decl.childForFieldName("result")?.text ?? ""),
  };
}
