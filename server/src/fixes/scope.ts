// Name resolution for rewrites: which declaration an identifier refers to, by
// Go's block scoping, and names a fix may introduce without capturing others.
// Only used when a fix is computed, so it may walk a little more than rules do.
import type { Node } from "../parser";
import type { RuleContext } from "../analysis/rule";

const FUNCTIONS = new Set(["function_declaration", "method_declaration", "func_literal"]);

function declaresIn(list: Node | null | undefined, name: string): boolean {
  for (const id of list?.namedChildren ?? []) if (id?.type === "identifier" && id.text === name) return true;
  return false;
}

/** The declaration (statement, spec or parameter) of `name` that a statement introduces, if it does. */
function statementDeclares(stmt: Node, name: string): Node | null {
  switch (stmt.type) {
    case "short_var_declaration":
      return declaresIn(stmt.childForFieldName("left"), name) ? stmt : null;
    case "var_declaration":
    case "const_declaration":
      for (const c of stmt.namedChildren) {
        const specs = c?.type === "var_spec_list" || c?.type === "const_spec_list" ? c.namedChildren : [c];
        for (const s of specs) {
          if (
            (s?.type === "var_spec" || s?.type === "const_spec") &&
            s.childrenForFieldName("name").some((n) => n?.text === name)
          )
            return s;
        }
      }
      return null;
    case "type_declaration":
      for (const c of stmt.namedChildren)
        if (c?.type === "type_spec" && c.childForFieldName("name")?.text === name) return c;
      return null;
    case "labeled_statement": {
      const inner = stmt.namedChildren.find((c) => c?.type !== "label_name");
      return inner ? statementDeclares(inner, name) : null;
    }
  }
  return null;
}

/** The parameter (or receiver, or result) declaration of `name` in a function node. */
function parameterDeclares(fn: Node, name: string): Node | null {
  for (const field of ["receiver", "parameters", "result"]) {
    const list = fn.childForFieldName(field);
    if (!list || list.type !== "parameter_list") continue;
    for (const d of list.namedChildren) {
      if (
        d &&
        (d.type === "parameter_declaration" || d.type === "variadic_parameter_declaration") &&
        d.childrenForFieldName("name").some((n) => n?.text === name)
      )
        return d;
    }
  }
  return null;
}

/**
 * The local declaration `id` refers to (a short variable declaration, var or
 * const spec, parameter declaration, range clause, receive statement or type
 * switch), following Go's block scoping, or null when no enclosing function
 * declares it: then it names a package-level (or universe) entity.
 */
export function resolveLocal(id: Node): Node | null {
  const name = id.text;
  let child: Node = id;
  for (let n = id.parent; n; child = n, n = n.parent) {
    switch (n.type) {
      case "statement_list":
        for (const s of n.namedChildren) {
          if (!s || s.startIndex >= child.startIndex) break;
          const d = statementDeclares(s, name);
          if (d) return d;
        }
        break;
      case "if_statement":
      case "expression_switch_statement":
      case "type_switch_statement": {
        const init = n.childForFieldName("initializer");
        if (
          init &&
          init.id !== child.id &&
          init.type === "short_var_declaration" &&
          declaresIn(init.childForFieldName("left"), name)
        )
          return init;
        if (n.type === "type_switch_statement" && (child.type === "type_case" || child.type === "default_case")) {
          if (declaresIn(n.childForFieldName("alias"), name)) return n;
        }
        break;
      }
      case "for_clause": {
        const init = n.childForFieldName("initializer");
        if (
          init &&
          init.id !== child.id &&
          init.type === "short_var_declaration" &&
          declaresIn(init.childForFieldName("left"), name)
        )
          return init;
        break;
      }
      case "for_statement": {
        if (n.childForFieldName("body")?.id !== child.id) break;
        for (const c of n.namedChildren) {
          if (
            c?.type === "range_clause" &&
            c.children.some((t) => t?.type === ":=") &&
            declaresIn(c.childForFieldName("left"), name)
          )
            return c;
          if (c?.type === "for_clause") {
            const init = c.childForFieldName("initializer");
            if (init?.type === "short_var_declaration" && declaresIn(init.childForFieldName("left"), name)) return init;
          }
        }
        break;
      }
      case "communication_case": {
        const comm = n.childForFieldName("communication");
        if (
          comm &&
          comm.id !== child.id &&
          comm.type === "receive_statement" &&
          comm.children.some((t) => t?.type === ":=") &&
          declaresIn(comm.childForFieldName("left"), name)
        )
          return comm;
        break;
      }
      case "func_literal":
      case "function_declaration":
      case "method_declaration": {
        if (n.childForFieldName("body")?.id === child.id) {
          const p = parameterDeclares(n, name);
          if (p) return p;
        }
        if (n.type !== "func_literal") return null;
        break;
      }
      case "source_file":
        return null;
    }
  }
  return null;
}

/**
 * Whether the identifier is where a name is declared rather than used:
 * var/const spec names, parameters, range and receive variables defined with
 * `:=`, type switch aliases, and new names on the left of `:=`.
 */
export function isDeclaringOccurrence(id: Node): boolean {
  const p = id.parent;
  if (!p) return false;
  switch (p.type) {
    case "var_spec":
    case "const_spec":
    case "parameter_declaration":
    case "variadic_parameter_declaration":
    case "type_spec":
      return p.childrenForFieldName("name").some((n) => n?.id === id.id);
    case "function_declaration":
    case "method_declaration":
      return p.childForFieldName("name")?.id === id.id;
    case "expression_list": {
      const stmt = p.parent;
      if (!stmt || stmt.childForFieldName("left")?.id !== p.id) return false;
      if (stmt.type === "range_clause" || stmt.type === "receive_statement")
        return stmt.children.some((t) => t?.type === ":=");
      if (stmt.type === "type_switch_statement") return stmt.childForFieldName("alias")?.id === p.id;
      if (stmt.type === "short_var_declaration") {
        // `a, m := ...` declares m unless the same block already did.
        const prior = resolveLocal(id);
        return !prior || !sameBlock(prior, stmt);
      }
      return false;
    }
  }
  return false;
}

/** Whether two statements (or a declaration and a statement) sit directly in the same statement list. */
function sameBlock(decl: Node, stmt: Node): boolean {
  const a = decl.type === "var_spec" || decl.type === "const_spec" ? containingStatement(decl) : decl;
  return !!a && a.parent?.id === stmt.parent?.id && a.id !== stmt.id && a.startIndex < stmt.startIndex;
}

function containingStatement(n: Node): Node | null {
  for (let c: Node | null = n; c; c = c.parent) if (c.parent?.type === "statement_list") return c;
  return null;
}

const WORD = /\w/;

/** Whether `word` occurs in `text` as a whole word. */
export function hasWord(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    if (!WORD.test(text[i - 1] ?? "") && !WORD.test(text[i + word.length] ?? "")) return true;
  }
  return false;
}

/** The outermost function declaration (or method) around a node, else its top-level declaration. */
export function topDeclaration(node: Node): Node {
  let top = node;
  for (let n: Node | null = node; n && n.type !== "source_file"; n = n.parent) top = n;
  return top;
}

/**
 * The first candidate for a new local that is not a word of `scope` (the text
 * the new code goes into: nothing there is shadowed or clashes) and that `ok`
 * accepts.
 */
export function unusedName(
  scope: string,
  candidates: readonly string[],
  ok: (name: string) => boolean = () => true,
): string | undefined {
  return candidates.find((c) => !hasWord(scope, c) && ok(c));
}

/** Whether the file's package declares `name` at package level or the file imports a package by that name. */
export function packageLevelName(ctx: RuleContext, name: string): boolean {
  return ctx.pkg.vars.has(name) || ctx.pkg.funcs.has(name) || name in ctx.file.summary.imports;
}

/**
 * A name for a new local that nothing in `scope` (usually the top-level
 * declaration) mentions and that this fix has not handed out yet: `base`,
 * then `base2`, `base3`, ...
 */
export function freshName(base: string, scope: Node, taken: Set<string>): string {
  const text = scope.text;
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}${i}`;
    if (!taken.has(name) && !hasWord(text, name)) {
      taken.add(name);
      return name;
    }
  }
}

export function isFunction(n: Node): boolean {
  return FUNCTIONS.has(n.type);
}
