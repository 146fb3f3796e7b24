// The engine: parse, gather facts, run the rules of one package, apply
// configuration and suppression. No I/O and no LSP: callers pass text in.
import { initParser, parseGo, type Tree } from "../parser";
import type { Rule, RuleContext } from "./rule";
import { analyzeSyntax, type FileSyntax, type FileSummary } from "./facts";
import { PackageFacts } from "./package";
import { ignoreFix } from "../fixes/ignore";
import type { MapFixMemo } from "../fixes/map-rewrite";
import { applyDirectives, parseDirectives, UNUSED_IGNORE, type Directive } from "./suppress";
import { compareFindings, type Finding, type GoModule, type SeveritySetting } from "./types";
import type { WorkspaceFacts } from "./workspace";

export { initParser };

export interface SourceFile {
  file: string;
  text: string;
}

/** A rule that threw: the others still ran. */
export interface RuleFailure {
  rule: string;
  file: string;
  message: string;
}

export interface AnalysisOptions {
  /** The rules to run. */
  rules: readonly Rule[];
  /** Every rule id mapctx knows (for directives naming unknown rules). */
  knownRules: ReadonlySet<string>;
  /** The configured severity of a rule for a file; undefined keeps the rule's default. */
  severityFor?: (rule: string, file: string) => SeveritySetting | undefined;
  /** Keep suppressed findings in the result (SARIF reports them as suppressed). */
  keepSuppressed?: boolean;
  /** The Go module of a file (nearest go.mod), for fixes that depend on the go version. */
  moduleFor?: (file: string) => GoModule | undefined;
  /** Facts about the whole workspace, for fixes that rewrite other packages (typed context keys). */
  workspace?: WorkspaceFacts;
  /**
   * The parsed files of a file's package (that file included), for callers
   * that analyse one file at a time (the language server): asked for only
   * when a rule reads `siblings`, and only when no siblings were passed.
   */
  siblingsOf?: (syntax: FileSyntax) => readonly FileSyntax[] | undefined;
  /** Map fix sets kept from earlier analyses of the file being analysed (see RuleContext.fixMemo). */
  fixMemo?: MapFixMemo;
}

export interface AnalysisResult {
  findings: Finding[];
  failures: RuleFailure[];
}

/** Strips a UTF-8 byte order mark, as editors do, so columns agree with them. */
export function normalizeText(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses one file and gathers its facts. The caller owns (and deletes) the tree unless it passed one in. */
export function parseFile(file: string, text: string, tree?: Tree): FileSyntax {
  const t = tree ?? parseGo(text);
  if (!t) throw new Error(`parsing ${file} was cancelled`);
  return analyzeSyntax(file, text, t);
}

/** Groups parsed files of one directory by package clause. */
export function groupByPackage<T extends { summary: FileSummary }>(files: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const f of files) {
    const list = out.get(f.summary.packageName);
    if (list) list.push(f);
    else out.set(f.summary.packageName, [f]);
  }
  return out;
}

/** Runs the rules on one file of a package whose facts are already built. */
export function analyzeFile(
  syntax: FileSyntax,
  pkg: PackageFacts,
  opts: AnalysisOptions,
  siblings?: readonly FileSyntax[],
): AnalysisResult {
  const { raw, failures, ran } = runRules(syntax, pkg, opts, siblings);
  return { findings: finishFindings(syntax, raw, ran, opts), failures };
}

export interface RuleRun {
  /** Findings before suppression directives are applied. */
  raw: Finding[];
  failures: RuleFailure[];
  /** Rules that ran (not turned off) and did not fail. */
  ran: Set<string>;
}

/**
 * The first half of analyzeFile: the rules' findings for the candidates in
 * `syntax.caps`. The language server runs it on the declarations an edit touched.
 */
export function runRules(
  syntax: FileSyntax,
  pkg: PackageFacts,
  opts: AnalysisOptions,
  siblings?: readonly FileSyntax[],
): RuleRun {
  const raw: Finding[] = [];
  const failures: RuleFailure[] = [];
  const ran = new Set<string>();
  const module = opts.moduleFor?.(syntax.file);
  // Code nested too deep for the rules to finish in time is left out (analysis/limits.ts).
  if (syntax.summary.tooDeep) return { raw, failures, ran };
  let directives: Directive[] | undefined;
  let lazySiblings: { value: readonly FileSyntax[] | undefined } | undefined;
  const siblingsOf = siblings === undefined ? opts.siblingsOf : undefined;
  for (const rule of opts.rules) {
    const setting = opts.severityFor?.(rule.id, syntax.file) ?? rule.severity;
    if (setting === "off") continue;
    ran.add(rule.id);
    try {
      const ctx: RuleContext = {
        file: syntax,
        pkg,
        module,
        siblings,
        workspace: opts.workspace,
        fixMemo: opts.fixMemo,
      };
      if (siblingsOf) {
        Object.defineProperty(ctx, "siblings", {
          enumerable: true,
          get: () => (lazySiblings ??= { value: siblingsOf(syntax) }).value,
        });
      }
      for (const f of rule.detect(ctx)) {
        // Every finding can be silenced in place; that fix comes last, after the real ones.
        directives ??= parseDirectives(syntax.text, syntax.tree);
        const ignore = ignoreFix(syntax, directives, rule.id, f.range.start.line);
        raw.push({
          file: syntax.file,
          range: f.range,
          rule: rule.id,
          severity: setting,
          message: f.message,
          related: f.related ?? [],
          fixes: ignore ? [...(f.fixes ?? []), ignore] : (f.fixes ?? []),
          ...(f.tags ? { tags: f.tags } : {}),
        });
      }
    } catch (e) {
      failures.push({ rule: rule.id, file: syntax.file, message: e instanceof Error ? e.message : String(e) });
    }
  }
  // A failed rule's directives are not "unused": it simply did not get to run.
  for (const f of failures) ran.delete(f.rule);
  return { raw, failures, ran };
}

/**
 * The second half of analyzeFile: applies the file's suppression directives to
 * all its raw findings (marking them, so pass copies to keep the originals),
 * adds unused-ignore findings and sorts. `directives`: the file's, when the
 * caller knows them (the language server knows when a keystroke added none).
 */
export function finishFindings(
  syntax: Pick<FileSyntax, "file" | "text" | "tree">,
  raw: Finding[],
  ran: ReadonlySet<string>,
  opts: AnalysisOptions,
  directives: Directive[] = parseDirectives(syntax.text, syntax.tree),
): Finding[] {
  const unused = applyDirectives(syntax.file, raw, directives, ran, opts.knownRules);
  const unusedSetting = opts.severityFor?.(UNUSED_IGNORE, syntax.file);
  if (unusedSetting !== "off") {
    for (const u of unused) raw.push(unusedSetting ? { ...u, severity: unusedSetting } : u);
  }
  const findings = opts.keepSuppressed ? raw : raw.filter((f) => !f.suppressed);
  findings.sort(compareFindings);
  return findings;
}

/** Parses and analyses the files of one directory; trees are deleted before returning. */
export function analyzeSources(sources: SourceFile[], dir: string, opts: AnalysisOptions): AnalysisResult {
  const parsed: FileSyntax[] = [];
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  try {
    for (const s of sources) parsed.push(parseFile(s.file, normalizeText(s.text)));
    for (const [name, files] of groupByPackage(parsed)) {
      const pkg = new PackageFacts(
        name,
        dir,
        files.map((f) => f.summary),
      );
      for (const f of files) {
        const r = analyzeFile(f, pkg, opts, files);
        findings.push(...r.findings);
        failures.push(...r.failures);
      }
    }
  } finally {
    for (const p of parsed) p.tree.delete();
  }
  findings.sort(compareFindings);
  return { findings, failures };
}
