// Flags context.WithValue keys and ctx.Value lookups whose key has a built-in type (string, int, bool, ...).
// Keys are compared by type and value, so two packages using the key "user" read and overwrite each other's values.
import { BASIC_TYPES } from "../fixes/go-types";
import type { Node } from "../parser";
import { contextFunction, isKnownContext } from "../analysis/frameworks";
import { callArgs, declarationOf, rangeOf, unparen } from "../analysis/syntax";
import type { RawFinding } from "../analysis/types";
import { typedKeyFix } from "../fixes/context-key";
import type { Rule, RuleContext } from "../analysis/rule";

const LITERAL_TYPES: Record<string, string> = {
  interpreted_string_literal: "string",
  raw_string_literal: "string",
  int_literal: "int",
  float_literal: "float64",
  imaginary_literal: "complex128",
  rune_literal: "rune",
  true: "bool",
  false: "bool",
  iota: "int",
};

function isAnyType(typeText: string | undefined): boolean {
  return typeText === "any" || (typeText !== undefined && /^interface\s*\{\s*\}$/.test(typeText));
}

export interface BuiltinKey {
  /** The built-in type the key has (its dynamic type for keys declared `any`). */
  type: string;
  /** The key declared `any`/`interface{}` holds it. */
  viaAny: boolean;
}

function classifyText(text: string | undefined, depth: number): BuiltinKey | null {
  if (!text || depth > 8) return null;
  const t = text.trim();
  if (/^"(?:[^"\\\n]|\\.)*"$/.test(t) || /^`[^`]*`$/.test(t)) return { type: "string", viaAny: false };
  if (/^'(?:[^'\\\n]|\\.)+'$/.test(t)) return { type: "rune", viaAny: false };
  if (t === "true" || t === "false") return { type: "bool", viaAny: false };
  if (t === "iota" || /^(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)$/.test(t))
    return { type: "int", viaAny: false };
  if (/^(?:\d[\d_]*\.[\d_]*|\.\d[\d_]*|\d[\d_]*)(?:[eE][+-]?\d+)?$/.test(t)) return { type: "float64", viaAny: false };
  const conv = /^(\w+)\(([\s\S]*)\)$/.exec(t);
  if (conv && BASIC_TYPES.has(conv[1]!)) return { type: conv[1]!, viaAny: false };
  if (conv && conv[1] === "any") {
    const inner = classifyText(conv[2], depth + 1);
    return inner ? { type: inner.type, viaAny: true } : null;
  }
  return null;
}

/** The built-in type a declared name has, from its written type and value. */
function fromDeclaration(
  typeText: string | undefined,
  value: () => BuiltinKey | null,
  isParam: boolean,
): BuiltinKey | null {
  if (typeText !== undefined) {
    if (BASIC_TYPES.has(typeText)) return { type: typeText, viaAny: false };
    // A parameter typed any forwards whatever key its caller chose; a variable
    // typed any shows its dynamic type in its initial value.
    if (isAnyType(typeText) && !isParam) {
      const v = value();
      return v ? { type: v.type, viaAny: true } : null;
    }
    return null;
  }
  return value();
}

/** The built-in type of a key expression, or null when it has a named type or the syntax cannot tell. */
export function builtinKeyType(expr: Node, ctx: RuleContext, depth = 0): BuiltinKey | null {
  if (depth > 8) return null;
  const e = unparen(expr);
  const lit = LITERAL_TYPES[e.type];
  if (lit) return { type: lit, viaAny: false };
  if (e.type === "call_expression") {
    const fn = e.childForFieldName("function");
    const args = callArgs(e);
    if (fn?.type !== "identifier" || args.length !== 1 || declarationOf(e, fn.text) || ctx.pkg.types.has(fn.text))
      return null;
    if (BASIC_TYPES.has(fn.text)) return { type: fn.text, viaAny: false };
    if (fn.text === "any") {
      const inner = builtinKeyType(args[0]!, ctx, depth + 1);
      return inner ? { type: inner.type, viaAny: true } : null;
    }
    return null;
  }
  if (e.type === "type_conversion_expression") {
    const type = e.childForFieldName("type")?.text;
    const operand = e.childForFieldName("operand");
    if (!operand) return null;
    if (isAnyType(type)) {
      const inner = builtinKeyType(operand, ctx, depth + 1);
      return inner ? { type: inner.type, viaAny: true } : null;
    }
    return type && BASIC_TYPES.has(type) ? { type, viaAny: false } : null;
  }
  if (e.type !== "identifier") return null;
  const local = declarationOf(e, e.text);
  if (local) {
    const kind = local.node.type;
    if (kind === "parameter_declaration" || kind === "variadic_parameter_declaration") {
      return fromDeclaration(local.typeText, () => null, true);
    }
    if (kind !== "var_spec" && kind !== "const_spec" && kind !== "short_var_declaration") return null;
    return fromDeclaration(
      local.typeText,
      () => (local.value ? builtinKeyType(local.value, ctx, depth + 1) : null),
      false,
    );
  }
  const c = ctx.pkg.consts.get(e.text);
  if (c) return fromDeclaration(c.typeText, () => classifyText(c.valueText, depth + 1), false);
  const v = ctx.pkg.vars.get(e.text);
  if (v) return fromDeclaration(v.typeText, () => classifyText(v.valueText, depth + 1), false);
  return null;
}

/** How a message names a key: the literal or identifier itself, long expressions clipped. */
export function keyLabel(key: Node): string {
  const t = key.text.replace(/\s+/g, " ");
  return t.length > 40 ? `${t.slice(0, 37)}...` : t;
}

export const contextKeyBuiltin: Rule = {
  id: "context-key-builtin",
  severity: "warning",
  // The typed-key fix (and the reason when there is none) looks at every package that uses the key.
  needsWorkspace: true,
  related: [
    "staticcheck SA1029: Inappropriate key in call to context.WithValue",
    "revive context-keys-type",
    "go vet has no equivalent",
    'context.WithValue documentation: "The provided key must be comparable and should not be of type string or any other built-in type"',
  ],
  docs: {
    title: "Context key with a built-in type",
    flags:
      "The key argument of `context.WithValue(ctx, key, v)`, and of `x.Value(key)` lookups on a value known to be a `context.Context`, when the key has a built-in type: " +
      'a string, integer, float, rune or bool literal; a conversion such as `string(x)`; a constant or variable, local or package-level, declared with a built-in type or an untyped literal value (`const userKey = "user"`, `var k string`); or a variable declared `any`/`interface{}` whose value is one of those. ' +
      "A lookup counts when its receiver is a parameter or variable of type `context.Context`, `r.Context()` on an `*http.Request`, `c.Request.Context()` on a gin or gee context, `c.Request().Context()` on an echo context, or a variable assigned from `context.Background()`, `context.TODO()`, `context.WithValue(...)`, `context.WithCancel(...)` and the other `With...` functions.",
    why:
      'A context carries values from every layer of a request: middleware, libraries, your handlers. `Value` compares keys by type and value, so every package that uses the string `"user"` as a key shares one slot: a library can read your value or overwrite it without either side noticing. ' +
      "A key of an unexported named type can only be created inside its own package, so no other code can collide with it. The `context` documentation asks for exactly that.",
    bad: `const userKey = "user"

func withUser(ctx context.Context, u *User) context.Context {
\treturn context.WithValue(ctx, userKey, u)
}

func userFrom(ctx context.Context) *User {
\tu, _ := ctx.Value("user").(*User)
\treturn u
}`,
    good: `type ctxKey struct{}

func withUser(ctx context.Context, u *User) context.Context {
\treturn context.WithValue(ctx, ctxKey{}, u)
}

func userFrom(ctx context.Context) *User {
\tu, _ := ctx.Value(ctxKey{}).(*User)
\treturn u
}`,
    fix:
      'Declare an unexported key type in the package that owns the value (`type ctxKey struct{}`, or `type contextKey string` with `const userKey contextKey = "user"`) and use it in both `WithValue` and `Value`. Other packages should get at the value through accessor functions (`WithUser`, `UserFrom`) rather than the key.\n\n' +
      'The quick fix **Introduce a typed context key** (safe) does this for string keys: it adds `type contextKey string` to the package that owns a key (reusing one that is there) and one constant per key (`const userKey contextKey = "user"`, or retypes the constant that holds the key), and rewrites every `WithValue` and `Value` use of the key in the workspace, test files included. Where another package uses the key, the constant is exported and that package imports it (`auth.UserKey`). All string keys connected through the packages that use them are converted by one fix. ' +
      "It is not offered, and the message says why, when a use cannot be rewritten faithfully: a lookup whose receiver mapctx cannot tell is a context (gin's `c.Value` also reads `c.Keys`), keys that also reach `WithValue` through a parameter or variable, a constant that is also used as a plain string, an exported constant, generated code, or an import cycle. Keys of other built-in types, conversions and variables get no fix. The fix needs to see the whole workspace: the editor offers it, and so do `mapctx fix` and `mapctx check` (in its JSON and SARIF output), which look at every Go file of the modules of the paths given; a single file analysed alone gets no such fix.",
    silent: [
      'keys of named types: `ctxKey{}`, `key("x")`, `const userKey contextKey = "user"` with `type contextKey string`',
      "keys from other packages (`otherpkg.UserKey`): their type is not visible to a syntactic check",
      "identifiers whose declaration mapctx cannot see, and struct fields used as keys",
      "parameters typed `any` or `interface{}`: a helper that forwards its caller's key is not where the key is chosen",
      '`c.Value("k")` on a gin, echo, gee or fiber context: that is the framework\'s own key-value store, not `context.Context.Value`',
      "`Value` calls on receivers not known to be a `context.Context`",
      "`_test.go` files: a key set and read inside a test cannot collide with another package's values",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    // A key set and read inside a test never meets another package's values.
    if (ctx.file.file.endsWith("_test.go")) return out;
    for (const call of ctx.file.caps.methodCalls) {
      const fn = call.childForFieldName("function")!;
      const method = fn.childForFieldName("field")?.text;
      // Most captured calls are other methods (Lock, Get, ...): skip them before reading arguments.
      if (method !== "WithValue" && method !== "Value") continue;
      const args = callArgs(call);
      let key: Node | undefined;
      if (method === "WithValue") {
        if (args.length !== 3 || contextFunction(call, ctx) !== "WithValue") continue;
        key = args[1];
      } else if (method === "Value") {
        if (args.length !== 1) continue;
        key = args[0];
      }
      if (!key) continue;
      const builtin = builtinKeyType(key, ctx);
      if (!builtin) continue;
      if (method === "Value" && !isKnownContext(fn.childForFieldName("operand")!, ctx)) continue;
      const type = builtin.viaAny ? `dynamic type ${builtin.type}` : `built-in type ${builtin.type}`;
      // String keys get a typed constant, rewritten everywhere the key is used, or the message says why not.
      const typed = typedKeyFix(ctx, key);
      out.push({
        range: rangeOf(key),
        message: `context key ${keyLabel(key)} has ${type}; values from other packages can collide with it${typed?.reason ? `; no typed-key fix: ${typed.reason}` : ""}`,
        ...(typed?.fix ? { fixes: [typed.fix] } : {}),
      });
    }
    return out;
  },
};
