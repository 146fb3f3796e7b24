// Keeps hostile input from stalling the analysis. tree-sitter finds a node's
// parent by descending from the root, so every step up from a node costs its
// depth: on code nested thousands of levels deep, gathering the candidates
// takes seconds and the rules' walks from each candidate to its function take
// hours. Such files are measured from their text, in one cheap pass, and left out.

/**
 * Deepest nesting of brackets and `else if` chains analysed. The Go standard
 * library goes to 15; at 100 the slowest rules still finish a file in under a second.
 */
export const MAX_NESTING = 100;

/**
 * Longest chain of operators and selectors in one expression analysed
 * (`a + b + ...`, `x.f().g()...`): each link is one more level of the tree.
 */
export const MAX_CHAIN = 1000;

export interface Nesting {
  /** Brackets, plus one level per `else if` of a chain (tree-sitter nests each in the one before). */
  depth: number;
  /**
   * Operators and selector dots in one expression that have a name or a
   * parenthesis after them, counting those of the expressions around it. Chains
   * of literals (`"a" + "b" + ...`, data tables) are left out: nothing in them is a candidate.
   */
  chain: number;
}

function isWordChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c > 0x7f;
}

/** Operator characters: each one used in a chain adds a level (`.` selectors, binary and unary operators). */
function isOperator(c: number): boolean {
  switch (c) {
    case 0x2e: // .
    case 0x2b: // +
    case 0x2d: // -
    case 0x2a: // *
    case 0x2f: // /
    case 0x25: // %
    case 0x26: // &
    case 0x7c: // |
    case 0x5e: // ^
    case 0x3c: // <
    case 0x3e: // >
    case 0x21: // !
    case 0x7e: // ~
      return true;
  }
  return false;
}

/**
 * How deep the syntax tree of Go source (or of `text[start, end)`, which
 * should start at the top level) nests, measured from the text in one pass.
 * Strings, runes and comments are skipped. Stops once past either limit.
 */
export function measureNesting(
  text: string,
  start = 0,
  end = text.length,
  limits: Nesting = { depth: Infinity, chain: Infinity },
): Nesting {
  let depth = 0;
  let maxDepth = 0;
  let maxChain = 0;
  // Per bracket depth: the `else if` links of the chain running there, and the operators of the expression.
  const elseIfs: number[] = [0];
  const ops: number[] = [0];
  let elseIfSum = 0;
  let opSum = 0;
  // The depth a closing bracket just returned to: an `else` there continues a chain, anything else ends it.
  let closedTo = -1;
  // Whether a newline here ends the statement (Go inserts a semicolon after a word, literal or closing bracket).
  let endsAtNewline = false;
  // An operator was seen: the next name or parenthesis makes it a link of a chain.
  let pendingOp = false;
  const link = (): void => {
    if (!pendingOp) return;
    pendingOp = false;
    ops[depth]!++;
    opSum++;
    maxChain = Math.max(maxChain, opSum);
  };
  const endExpression = (): void => {
    opSum -= ops[depth]!;
    ops[depth] = 0;
  };
  let i = start;
  while (i < end && maxDepth <= limits.depth && maxChain <= limits.chain) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d) {
      i++;
      continue;
    }
    if (c === 0x0a) {
      if (endsAtNewline) endExpression();
      endsAtNewline = false;
      i++;
      continue;
    }
    if (c === 0x2f && (text.charCodeAt(i + 1) === 0x2f || text.charCodeAt(i + 1) === 0x2a)) {
      if (text.charCodeAt(i + 1) === 0x2f) {
        const nl = text.indexOf("\n", i);
        i = nl < 0 || nl > end ? end : nl;
      } else {
        const close = text.indexOf("*/", i + 2);
        const stop = close < 0 || close > end ? end : close + 2;
        if (endsAtNewline && text.lastIndexOf("\n", stop) >= i) {
          endExpression();
          endsAtNewline = false;
        }
        i = stop;
      }
      continue;
    }
    if (closedTo === depth && c === 0x65 /* e */ && text.startsWith("else", i) && !isWordChar(text.charCodeAt(i + 4))) {
      let j = i + 4;
      while (j < end && /\s/.test(text[j]!)) j++;
      if (text.startsWith("if", j) && !isWordChar(text.charCodeAt(j + 2))) {
        elseIfs[depth]!++;
        elseIfSum++;
        maxDepth = Math.max(maxDepth, depth + elseIfSum);
      }
      closedTo = -1;
      endsAtNewline = false;
      i = j;
      continue;
    }
    if (closedTo === depth && elseIfs[depth]) {
      elseIfSum -= elseIfs[depth]!;
      elseIfs[depth] = 0;
    }
    closedTo = -1;
    endsAtNewline = false;
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      if (c === 0x28) link();
      pendingOp = false;
      depth++;
      elseIfs[depth] = 0;
      ops[depth] = 0;
      maxDepth = Math.max(maxDepth, depth + elseIfSum);
      i++;
    } else if (c === 0x29 || c === 0x5d || c === 0x7d) {
      pendingOp = false;
      if (depth > 0) {
        elseIfSum -= elseIfs[depth]!;
        endExpression();
        depth--;
      }
      closedTo = depth;
      endsAtNewline = true;
      i++;
    } else if (c === 0x22 || c === 0x27) {
      // "string" or 'rune': up to the unescaped quote or the end of the line.
      pendingOp = false;
      i++;
      while (i < end) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === c || d === 0x0a) break;
        else i++;
      }
      i++;
      endsAtNewline = true;
    } else if (c === 0x60) {
      pendingOp = false;
      const close = text.indexOf("`", i + 1);
      i = close < 0 || close >= end ? end : close + 1;
      endsAtNewline = true;
    } else if (c >= 0x30 && c <= 0x39) {
      // A number, with its dots and exponent signs.
      pendingOp = false;
      i++;
      while (i < end) {
        const d = text.charCodeAt(i);
        if (isWordChar(d) || d === 0x2e) i++;
        else if ((d === 0x2b || d === 0x2d) && /[eEpP]/.test(text[i - 1]!)) i++;
        else break;
      }
      endsAtNewline = true;
    } else if (isWordChar(c)) {
      link();
      i++;
      while (i < end && isWordChar(text.charCodeAt(i))) i++;
      endsAtNewline = true;
    } else if (isOperator(c)) {
      const next = text.charCodeAt(i + 1);
      if ((c === 0x2b || c === 0x2d) && next === c) {
        // `x++` and `x--` are statements of their own.
        endsAtNewline = true;
        pendingOp = false;
        i += 2;
        continue;
      }
      pendingOp = true;
      i++;
    } else {
      // `;` `,` `:` `=` end an expression.
      pendingOp = false;
      endExpression();
      i++;
    }
  }
  return { depth: maxDepth, chain: maxChain };
}

/** Why the spans are too deep to analyse (`nests more than 200 levels deep`), or undefined. */
export function nestingOverLimit(text: string, spans: readonly (readonly [number, number])[]): string | undefined {
  for (const [s, e] of spans) {
    const n = measureNesting(text, s, e, { depth: MAX_NESTING, chain: MAX_CHAIN });
    if (n.depth > MAX_NESTING) return `nests more than ${MAX_NESTING} levels deep`;
    if (n.chain > MAX_CHAIN) return `chains more than ${MAX_CHAIN} operators in one expression`;
  }
  return undefined;
}
