// Suppression directives in comments: `//mapctx:ignore`, `//mapctx:file-ignore`
// and golangci-lint's `//nolint:mapctx`. A directive that silences nothing is
// itself reported (unused-ignore), so stale ones do not pile up.
import type { Tree } from "../parser";
import type { RuleDocs } from "./rule";
import type { Finding, Range } from "./types";

export const UNUSED_IGNORE = "unused-ignore";

export interface Directive {
  kind: "ignore" | "file-ignore" | "nolint";
  /** Rule ids named; empty for nolint (all rules). */
  rules: string[];
  /** For nolint: whether it names mapctx (`//nolint:mapctx`) rather than every linter (`//nolint`). */
  namesMapctx?: boolean;
  reason: string;
  /** 0-based line the directive applies to (ignore and nolint). */
  targetLine: number;
  range: Range;
  /** Rule ids (or "*" for nolint) that silenced at least one finding. */
  used: Set<string>;
}

const DIRECTIVE = /\/\/\s*(mapctx:ignore|mapctx:file-ignore|nolint)(?![\w-])([^\n\r]*)/g;

/** Whether the text may hold a directive: every one names `mapctx:` or `nolint`. */
export function mayHaveDirective(text: string): boolean {
  return text.includes("mapctx:") || text.includes("nolint");
}

/** Finds the directives of a file; only real comments count, not string contents. */
export function parseDirectives(text: string, tree: Tree | null): Directive[] {
  if (!mayHaveDirective(text)) return [];
  const out: Directive[] = [];
  DIRECTIVE.lastIndex = 0;
  for (let m = DIRECTIVE.exec(text); m; m = DIRECTIVE.exec(text)) {
    const offset = m.index;
    if (tree) {
      const node = tree.rootNode.descendantForIndex(offset, offset + 2);
      if (!node || node.type !== "comment" || node.startIndex !== offset) continue;
    }
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    const line = countLines(text, offset);
    const ownLine = text.slice(lineStart, offset).trim() === "";
    const rest = m[2]!;
    let kind: Directive["kind"];
    let rules: string[] = [];
    let reason = "";
    let namesMapctx = false;
    if (m[1] === "nolint") {
      // `//nolint` alone silences every linter; `//nolint:a,b` only those named.
      const list = /^:([\w,-]+)/.exec(rest);
      if (list && !list[1]!.split(",").includes("mapctx")) continue;
      kind = "nolint";
      namesMapctx = list !== null;
      reason = rest
        .replace(/^:[\w,-]+/, "")
        .replace(/^\s*\/\/\s*/, "")
        .trim();
    } else {
      kind = m[1] === "mapctx:ignore" ? "ignore" : "file-ignore";
      const parts = /^\s+([\w,-]+)\s*(.*)$/.exec(rest);
      if (parts) {
        rules = parts[1]!.split(",").filter(Boolean);
        reason = parts[2]!.trim();
      }
    }
    const endCol = offset - lineStart + m[0].length;
    out.push({
      kind,
      rules,
      ...(kind === "nolint" ? { namesMapctx } : {}),
      reason,
      targetLine: ownLine ? line + 1 : line,
      range: { start: { line, character: offset - lineStart }, end: { line, character: endCol } },
      used: new Set(),
    });
  }
  return out;
}

function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Marks the findings that directives silence (setting `suppressed`) and
 * returns unused-ignore findings for directives that silenced nothing.
 * `ranRules` are the rules that actually ran on this file: a directive for a
 * rule that is turned off is not called unused.
 */
export function applyDirectives(
  file: string,
  findings: Finding[],
  directives: Directive[],
  ranRules: ReadonlySet<string>,
  knownRules: ReadonlySet<string>,
): Finding[] {
  for (const f of findings) {
    for (const d of directives) {
      const id = directiveMatches(d, f);
      if (!id) continue;
      d.used.add(id);
      f.suppressed ??= { kind: "inSource", justification: d.reason };
    }
  }
  const unused: Finding[] = [];
  for (const d of directives) {
    const name = d.kind === "nolint" ? "nolint:mapctx" : `mapctx:${d.kind}`;
    if (d.kind === "nolint") {
      // A bare //nolint is golangci-lint's, usually meant for another linter: only
      // //nolint:mapctx is ours to call unused.
      if (d.namesMapctx && d.used.size === 0 && ranRules.size > 0)
        unused.push(unusedFinding(file, d, `${name} directive silences no finding on this line`));
      continue;
    }
    if (d.rules.length === 0) {
      unused.push(unusedFinding(file, d, `${name} directive names no rule; write ${name} <rule-id> <reason>`));
      continue;
    }
    for (const id of d.rules) {
      if (!knownRules.has(id)) unused.push(unusedFinding(file, d, `${name} directive names unknown rule ${id}`));
      else if (!d.used.has(id) && ranRules.has(id)) {
        const where = d.kind === "file-ignore" ? "in this file" : "on its line";
        unused.push(unusedFinding(file, d, `${name} directive for ${id} silences no finding ${where}`));
      }
    }
  }
  return unused;
}

function directiveMatches(d: Directive, f: Finding): string | null {
  if (d.kind === "nolint") return f.range.start.line === d.targetLine ? "*" : null;
  if (!d.rules.includes(f.rule)) return null;
  if (d.kind === "file-ignore") return f.rule;
  return f.range.start.line === d.targetLine ? f.rule : null;
}

function unusedFinding(file: string, d: Directive, message: string): Finding {
  return {
    file,
    range: d.range,
    rule: UNUSED_IGNORE,
    severity: "hint",
    message,
    related: [],
    fixes: [],
    tags: ["unnecessary"],
  };
}

/** Docs of the engine's own check, which is not a rule: directives that silence nothing. */
export const UNUSED_IGNORE_DOCS: RuleDocs = {
  title: "Suppression directive that silences nothing",
  flags:
    "A `//mapctx:ignore`, `//mapctx:file-ignore` or `//nolint:mapctx` comment that matches no finding, that names a rule mapctx does not know, or that names no rule at all. Directives for rules that are turned off in the configuration are not reported.",
  why: "A directive outlives the code it was written for. Once the finding is gone, a stale directive hides the next real finding on that line, and a misspelt rule id never silenced anything.",
  bad: `func get(k string) int {
\treturn cache[k] //mapctx:ignore global-map-race reads are fine
}`,
  good: `func get(k string) int {
\treturn cache[k]
}`,
  fix: "Delete the directive, or correct the rule id it names.",
  silent: [
    "directives that silence at least one finding",
    "directives for rules turned off with `off` in `.mapctx.json` or the editor settings",
    "directives for a rule that failed on the file",
    "a bare `//nolint` (golangci-lint's directive for every linter, usually meant for another one); `//nolint:mapctx` is reported",
  ],
};
