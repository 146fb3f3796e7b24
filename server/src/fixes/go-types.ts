// What map rewrites need to know about Go types from their text: the key and
// value of a map type, whether a type may be an interface, and whether an
// expression is known to have a type already (else it is converted, so that a
// sync.Map stores exactly the dynamic type later type assertions expect).
import type { FileSyntax } from "../analysis/facts";
import type { PackageFacts } from "../analysis/package";
import type { Node } from "../parser";
import { importEdits, importName } from "./imports";
import type { TextEdit } from "../analysis/types";
import { resolveLocal } from "./scope";

/** Splits `map[K]V` into K and V; null for anything else (or a type written over several lines). */
export function splitMapType(text: string): { key: string; value: string } | null {
  const t = text.trim();
  if (!t.startsWith("map[") || t.includes("\n")) return null;
  let depth = 0;
  for (let i = 3; i < t.length; i++) {
    const c = t[i];
    if (c === "[" || c === "(" || c === "{") depth++;
    else if (c === "]" || c === ")" || c === "}") {
      depth--;
      if (depth === 0) {
        const key = t.slice(4, i).trim();
        const value = t.slice(i + 1).trim();
        return key && value ? { key, value } : null;
      }
    }
  }
  return null;
}

/** Go's predeclared basic types. */
export const BASIC_TYPES: ReadonlySet<string> = new Set([
  "bool",
  "string",
  "int",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "uintptr",
  "float32",
  "float64",
  "complex64",
  "complex128",
  "byte",
  "rune",
]);

/** Well-known interfaces of the standard library, so values of these types are not converted needlessly. */
const STD_INTERFACES = new Set([
  "error",
  "any",
  "fmt.Stringer",
  "io.Reader",
  "io.Writer",
  "io.Closer",
  "io.ReadCloser",
  "io.WriteCloser",
  "io.ReadWriter",
  "context.Context",
  "http.Handler",
  "net.Conn",
  "sort.Interface",
]);

/** Whether values of the type are interfaces (true), surely not (false), or unknown (null). */
export function isInterfaceType(type: string, pkg: PackageFacts): boolean | null {
  const t = type.trim();
  if (t === "interface{}" || t.startsWith("interface{") || t.startsWith("interface {") || STD_INTERFACES.has(t))
    return true;
  if (BASIC_TYPES.has(t) || /^(\*|\[|map\[|chan\b|<-|func\b|struct\b)/.test(t)) return false;
  const local = pkg.types.get(t.replace(/\[.*$/, ""));
  if (local) return local.kind === "interface";
  return null;
}

/** The default type of an untyped constant expression, or null when it is not one. */
function untypedDefault(e: Node, pkg: PackageFacts): string | null {
  switch (e.type) {
    case "interpreted_string_literal":
    case "raw_string_literal":
      return "string";
    case "int_literal":
      return "int";
    case "float_literal":
      return "float64";
    case "imaginary_literal":
      return "complex128";
    case "rune_literal":
      return "rune";
    case "true":
    case "false":
      return "bool";
    case "identifier": {
      if (resolveLocal(e)) return null;
      const c = pkg.consts.get(e.text);
      if (!c || c.typeText || !c.valueText) return null;
      if (/^["`]/.test(c.valueText)) return "string";
      if (/^\d+$/.test(c.valueText)) return "int";
      return null;
    }
  }
  return null;
}

function sameType(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .replace(/\s+/g, " ")
      .replace(/^byte$/, "uint8")
      .replace(/^rune$/, "int32");
  return norm(a) === norm(b);
}

/** Result types of standard library functions that commonly feed map keys and values, by import path. */
const STD_RESULTS: Record<string, string> = {
  "strings.ToUpper": "string",
  "strings.ToLower": "string",
  "strings.TrimSpace": "string",
  "strings.Trim": "string",
  "strings.TrimPrefix": "string",
  "strings.TrimSuffix": "string",
  "strings.TrimLeft": "string",
  "strings.TrimRight": "string",
  "strings.Join": "string",
  "strings.Repeat": "string",
  "strings.Replace": "string",
  "strings.ReplaceAll": "string",
  "strings.Title": "string",
  "fmt.Sprintf": "string",
  "fmt.Sprint": "string",
  "fmt.Sprintln": "string",
  "strconv.Itoa": "string",
  "strconv.FormatInt": "string",
  "strconv.FormatBool": "string",
  "strconv.Quote": "string",
  "path.Join": "string",
  "path.Base": "string",
  "path/filepath.Join": "string",
  "path/filepath.Base": "string",
  "time.Now": "time.Time",
  "time.Since": "time.Duration",
  "time.Until": "time.Duration",
};

/** Methods and fields of well-known request types that give strings, by receiver type. */
const MEMBER_RESULTS: Record<string, Record<string, string>> = {
  "*http.Request": {
    "FormValue()": "string",
    "PostFormValue()": "string",
    "UserAgent()": "string",
    "Referer()": "string",
    Method: "string",
    Host: "string",
    RemoteAddr: "string",
    RequestURI: "string",
    "URL.Path": "string",
    "URL.RawQuery": "string",
    "Header.Get()": "string",
    "URL.Query().Get()": "string",
  },
  "*gin.Context": {
    "Param()": "string",
    "Query()": "string",
    "DefaultQuery()": "string",
    "PostForm()": "string",
    "DefaultPostForm()": "string",
    "GetHeader()": "string",
    "ClientIP()": "string",
    "FullPath()": "string",
    "ContentType()": "string",
  },
  "echo.Context": {
    "Param()": "string",
    "QueryParam()": "string",
    "FormValue()": "string",
    "RealIP()": "string",
    "Path()": "string",
  },
  "*fiber.Ctx": {
    "Params()": "string",
    "Query()": "string",
    "FormValue()": "string",
    "IP()": "string",
    "Path()": "string",
  },
};

export interface TypeEnv {
  pkg: PackageFacts;
  /** Import name to path, of the file the expression is in. */
  imports: Record<string, string>;
  /** Types of the variables of a range clause (the map's own range loops), by index. */
  rangeTypes?: (decl: Node, index: number) => string | null;
}

const COMPARISON = new Set(["==", "!=", "<", "<=", ">", ">=", "&&", "||"]);

/** The member path of a selector/call chain from its root identifier: `URL.Path`, `FormValue()`. */
function memberPath(e: Node): { root: Node; path: string } | null {
  const parts: string[] = [];
  let n: Node | null = e;
  while (n) {
    if (n.type === "identifier") return parts.length ? { root: n, path: parts.reverse().join(".") } : null;
    if (n.type === "selector_expression") {
      parts.push(n.childForFieldName("field")?.text ?? "");
      n = n.childForFieldName("operand");
    } else if (n.type === "call_expression") {
      const fn: Node | null = n.childForFieldName("function");
      if (fn?.type !== "selector_expression") return null;
      parts.push(`${fn.childForFieldName("field")?.text ?? ""}()`);
      n = fn.childForFieldName("operand");
    } else return null;
  }
  return null;
}

/**
 * The type of an expression when the syntax shows it: typed declarations,
 * composite literals, conversions, `make`, `new`, package functions with one
 * result, a few standard library functions and request accessors, the
 * variables of a range over the map itself, and arithmetic on those.
 */
export function knownType(e: Node, env: TypeEnv): string | null {
  const pkg = env.pkg;
  switch (e.type) {
    case "parenthesized_expression":
      return e.namedChild(0) ? knownType(e.namedChild(0)!, env) : null;
    case "composite_literal":
      return e.childForFieldName("type")?.text ?? null;
    case "unary_expression": {
      const op = e.childForFieldName("operator")?.text;
      const x = e.childForFieldName("operand");
      if (op === "&" && x?.type === "composite_literal") {
        const t = x.childForFieldName("type")?.text;
        return t ? `*${t}` : null;
      }
      if ((op === "-" || op === "+" || op === "^") && x) return knownType(x, env);
      if (op === "!") return "bool";
      return null;
    }
    case "binary_expression": {
      const op = e.childForFieldName("operator")?.text ?? "";
      if (COMPARISON.has(op)) return "bool";
      const l = e.childForFieldName("left");
      const r = e.childForFieldName("right");
      if (!l || !r) return null;
      if (op === "<<" || op === ">>") return knownType(l, env);
      const lt = knownType(l, env);
      const rt = knownType(r, env);
      if (lt && rt) return sameType(lt, rt) ? lt : null;
      if (lt && untypedDefault(r, pkg)) return lt;
      if (rt && untypedDefault(l, pkg)) return rt;
      return null;
    }
    case "call_expression": {
      const fn = e.childForFieldName("function");
      const args = e.childForFieldName("arguments")?.namedChildren ?? [];
      if (!fn) return null;
      if (fn.type === "identifier" && !resolveLocal(fn)) {
        if (fn.text === "make" && args[0]) return args[0].text;
        if (fn.text === "new" && args[0]) return `*${args[0].text}`;
        if (fn.text === "len" || fn.text === "cap") return "int";
        if (BASIC_TYPES.has(fn.text) || pkg.types.has(fn.text)) return fn.text;
        const funcs = pkg.funcs.get(fn.text)?.filter((f) => !f.receiverType);
        const res = funcs?.length === 1 ? funcs[0]!.resultText : "";
        if (res && !res.startsWith("(") && !res.includes(",")) return res;
        return null;
      }
      if (fn.type === "parenthesized_expression") return fn.namedChild(0)?.text ?? null;
      if (fn.type === "selector_expression") {
        const q = fn.childForFieldName("operand");
        const name = fn.childForFieldName("field")?.text ?? "";
        if (q?.type === "identifier" && !resolveLocal(q) && env.imports[q.text]) {
          const r = STD_RESULTS[`${env.imports[q.text]}.${name}`];
          if (r) return r;
          // A conversion to a package type such as time.Duration(x): its name says nothing more, so only
          // the caller comparing it with the wanted type can use it (see asType).
          return null;
        }
      }
      return member(e);
    }
    case "selector_expression":
      return member(e);
    case "identifier": {
      const d = resolveLocal(e);
      if (!d) {
        const v = pkg.vars.get(e.text);
        return v?.typeText ?? (pkg.consts.get(e.text)?.typeText || null);
      }
      if (d.type === "parameter_declaration" || d.type === "var_spec") {
        const t = d.childForFieldName("type")?.text;
        if (t) return t;
        if (d.type === "var_spec") {
          const names = d.childrenForFieldName("name");
          const values = d.childForFieldName("value")?.namedChildren ?? [];
          const i = names.findIndex((n) => n?.text === e.text);
          const v = values.length === names.length ? values[i] : null;
          return v ? (knownType(v, env) ?? untypedDefault(v, pkg)) : null;
        }
      }
      if (d.type === "short_var_declaration") {
        const left = d.childForFieldName("left")?.namedChildren ?? [];
        const right = d.childForFieldName("right")?.namedChildren ?? [];
        const i = left.findIndex((n) => n?.text === e.text);
        const v = left.length === right.length ? right[i] : null;
        return v && v.id !== e.id ? (knownType(v, env) ?? untypedDefault(v, pkg)) : null;
      }
      if (d.type === "range_clause") {
        const left = d.childForFieldName("left")?.namedChildren ?? [];
        const i = left.findIndex((n) => n?.text === e.text);
        if (i < 0) return null;
        const own = env.rangeTypes?.(d, i);
        if (own) return own;
        // A range over a slice, array, string or map whose type is known.
        const right = d.childForFieldName("right");
        const t = right ? knownType(right, env) : null;
        if (!t) return null;
        if (t === "string") return i === 0 ? "int" : "rune";
        const kv = splitMapType(t);
        if (kv) return i === 0 ? kv.key : kv.value;
        const elem = /^\[\d*\](.+)$/.exec(t);
        if (elem) return i === 0 ? "int" : elem[1]!;
        return null;
      }
      return null;
    }
  }
  return null;
}

/** A request accessor of a parameter of a well-known request type: `r.URL.Path`, `c.Param("id")`. */
function member(e: Node): string | null {
  const m = memberPath(e);
  if (!m) return null;
  const d = resolveLocal(m.root);
  if (d?.type !== "parameter_declaration") return null;
  const t = d.childForFieldName("type")?.text ?? "";
  return MEMBER_RESULTS[t]?.[m.path] ?? null;
}

/** `T(x)`, parenthesising the type when Go's syntax needs it. */
export function conversion(type: string, expr: string): string {
  return /^[\w.]+(\[.*\])?$/.test(type) ? `${type}(${expr})` : `(${type})(${expr})`;
}

/**
 * The expression text to hand a sync.Map: unchanged when its type is known to
 * be `type` (or `type` is an interface), else converted to `type`, so that the
 * dynamic type stored is the one type assertions and lookups expect.
 */
export function asType(e: Node, type: string, env: TypeEnv, text = e.text): string {
  if (isInterfaceType(type, env.pkg) === true) return text;
  const untyped = untypedDefault(e, env.pkg);
  if (untyped) return sameType(untyped, type) ? text : conversion(type, text);
  // A conversion to the very type already: `time.Duration(i)`.
  if (e.type === "call_expression" && sameType(e.childForFieldName("function")?.text ?? "", type)) return text;
  const known = knownType(e, env);
  if (known && sameType(known, type)) return text;
  return conversion(type, text);
}

/**
 * Type text written in `from` made valid in `to`: package qualifiers renamed
 * to `to`'s import names, and the imports `to` lacks collected in `need`.
 * Null when a qualifier cannot be resolved.
 */
export function qualify(type: string, from: FileSyntax, to: FileSyntax, need: Set<string>): string | null {
  if (from.file === to.file) return type;
  let ok = true;
  const out = type.replace(/\b([A-Za-z_]\w*)\.(?=[A-Za-z_])/g, (m, q: string) => {
    const path = from.summary.imports[q];
    if (!path) {
      ok = false;
      return m;
    }
    const there = importName(to, path);
    if (there) return `${there}.`;
    if (to.summary.imports[q] && to.summary.imports[q] !== path) {
      ok = false;
      return m;
    }
    need.add(path);
    return m;
  });
  return ok ? out : null;
}

/** Import edits for the paths a file needs. */
export function neededImports(file: FileSyntax, paths: Iterable<string>): TextEdit[] {
  const list = [...paths];
  return list.length ? importEdits(file, list) : [];
}
