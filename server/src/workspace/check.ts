// Analyses files on disk: discovery, reading, per-directory analysis. Shared by
// the CLI, the benchmark, the worker pool and the language server's workspace scan.
import { ConfigResolver } from "../analysis/config";
import {
  analyzeFile,
  groupByPackage,
  normalizeText,
  parseFile,
  type AnalysisOptions,
  type AnalysisResult,
  type RuleFailure,
} from "../analysis/engine";
import type { FileSummary, FileSyntax } from "../analysis/facts";
import { PackageFacts } from "../analysis/package";
import { workspaceFileOf, type WorkspaceFile } from "../analysis/workspace";
import { compareFindings, UserError, type Finding, type GoModule, type SeveritySetting } from "../analysis/types";
import type { Rule } from "../analysis/rule";
import { diskWorkspace, workspaceFiles } from "./disk-facts";
import { discover, readGoFile, type Note } from "./discover";
import { moduleForDir } from "./gomod";

export interface CheckOptions {
  rules: readonly Rule[];
  knownRules: ReadonlySet<string>;
  config: ConfigResolver;
  keepSuppressed?: boolean;
  /** Source characters whose trees stay alive together per directory (default TREE_BUDGET_CHARS). */
  treeBudget?: number;
  /** Called after each directory with the number of files done so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface CheckResult extends AnalysisResult {
  notes: Note[];
  filesAnalyzed: number;
}

/** What analysing one directory (the unit of package facts) gives. */
export interface DirectoryResult extends AnalysisResult {
  /** Files that could not be read or analysed, each with one message. */
  notes: Note[];
  /** Files read and analysed (generated and unreadable ones are not counted). */
  analyzed: number;
  /** The files' summaries, when asked for (the language server keeps them). */
  summaries?: FileSummary[];
  /** The generated files among them (they feed package facts and get no findings), with the summaries. */
  generated?: string[];
  /** Workspace records of the files parsed, generated ones included, when asked for. */
  records?: WorkspaceFile[];
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Source characters of one directory whose trees stay alive together. The
 * parser's memory grows to the largest set of live trees (about 25 bytes per
 * character) and never shrinks, so a very large package (the Go runtime is 2.6
 * MB) keeps the trees of its first files only and parses the others again when
 * their turn comes: the same trees, at the cost of a second parse of the rest.
 * This is the default, for the long-lived language server.
 */
export const TREE_BUDGET_CHARS = 1 << 20;

/**
 * The budget of `mapctx check`: a run ends with its process,
 * so its parsers' memory is given back soon. With it the Go runtime (2.6 MB) is
 * parsed once instead of 1.6 MB of it twice (0.2 s of CPU over the Go standard
 * library, a third of the analysis proper), for about 30 MB of peak RSS.
 */
export const BATCH_TREE_BUDGET_CHARS = 3 << 20;

/** What else analyzeDirectory may be asked for. */
export interface DirectoryRunOptions {
  /** Also return each file's summary (the language server keeps them). */
  withSummaries?: boolean;
  /** Default TREE_BUDGET_CHARS. */
  treeBudget?: number;
  /** Also return each file's workspace record (for a run's rules that need workspace facts). */
  withRecords?: boolean;
}

interface ParsedFile {
  file: string;
  text: string;
  summary: FileSummary;
  /** Absent when the tree was deleted after the first pass, to be parsed again. */
  syntax?: FileSyntax;
  /** Generated: contributes package facts, gets no findings. */
  generated?: boolean;
}

/**
 * Reads, parses and analyses the Go files of one directory. Never throws for
 * bad input: a file that cannot be read gets a note, and an engine error on a
 * file becomes a note on it, so a run always goes on with the others.
 */
export function analyzeDirectory(
  dir: string,
  files: readonly string[],
  opts: AnalysisOptions,
  { withSummaries = false, treeBudget = TREE_BUDGET_CHARS, withRecords = false }: DirectoryRunOptions = {},
): DirectoryResult {
  const notes: Note[] = [];
  const parsed: ParsedFile[] = [];
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  let live = 0;
  try {
    for (const file of files) {
      const r = readGoFile(file);
      if ("note" in r) notes.push({ file, message: r.note });
      if ("note" in r) continue;
      // Generated files are not reported on, but what they declare and assign is
      // part of the package: a map declared there and written by hand-written code.
      const generated = "skip" in r;
      const text = normalizeText(generated ? r.source : r.text);
      let syntax: FileSyntax;
      try {
        syntax = parseFile(file, text);
      } catch (e) {
        notes.push({ file, message: `cannot parse file (${describe(e)})` });
        continue;
      }
      if (generated) {
        syntax.tree.delete();
        parsed.push({ file, text, summary: syntax.summary, generated });
      } else if (live > 0 && live + text.length > treeBudget) {
        syntax.tree.delete();
        parsed.push({ file, text, summary: syntax.summary });
      } else {
        live += text.length;
        parsed.push({ file, text, summary: syntax.summary, syntax });
      }
    }
    for (const [name, members] of groupByPackage(parsed)) {
      const pkg = new PackageFacts(
        name,
        dir,
        members.map((f) => f.summary),
      );
      // Rules and fixes see only the hand-written files: with a generated sibling
      // the package's file list is incomplete, so no fix rewrites generated code.
      const group = members.filter((f) => !f.generated);
      // Trees parsed again for this package; a rule (a fix) asking for the package's
      // files gets them all, and they then stay until the package is done.
      const again: (FileSyntax | undefined)[] = [];
      let all: FileSyntax[] | undefined;
      const syntaxAt = (i: number): FileSyntax =>
        group[i]!.syntax ?? (again[i] ??= parseFile(group[i]!.file, group[i]!.text));
      const whole = group.every((f) => f.syntax) ? group.map((f) => f.syntax!) : undefined;
      const fileOpts: AnalysisOptions = whole
        ? opts
        : { ...opts, siblingsOf: () => (all ??= group.map((_, i) => syntaxAt(i))) };
      try {
        for (let i = 0; i < group.length; i++) {
          const f = group[i]!;
          if (f.summary.tooDeep) notes.push({ file: f.file, message: `not analysed: the code ${f.summary.tooDeep}` });
          try {
            const r = analyzeFile(syntaxAt(i), pkg, fileOpts, whole);
            findings.push(...r.findings);
            failures.push(...r.failures);
          } catch (e) {
            if (e instanceof UserError) throw e; // configuration errors stop the run
            notes.push({ file: f.file, message: `analysis failed (${describe(e)}); please report it` });
          } finally {
            if (!all && again[i]) {
              again[i]!.tree.delete();
              again[i] = undefined;
            }
          }
        }
      } finally {
        for (const t of again) t?.tree.delete();
      }
    }
  } finally {
    for (const p of parsed) p.syntax?.tree.delete();
  }
  findings.sort(compareFindings);
  return {
    findings,
    failures,
    notes,
    analyzed: parsed.filter((p) => !p.generated).length,
    ...(withSummaries
      ? { summaries: parsed.map((p) => p.summary), generated: parsed.filter((p) => p.generated).map((p) => p.file) }
      : {}),
    ...(withRecords ? { records: parsed.map((p) => workspaceFileOf(p.summary, p.generated)) } : {}),
  };
}

/** What the files of one directory share: configured severities and Go module, resolved once for all of them. */
export interface DirectorySettings {
  /** Configured severity per rule id (absent: the rule's default). */
  severities: Readonly<Record<string, SeveritySetting | undefined>>;
  module?: GoModule;
}

/** A directory's settings from the configuration files that apply to it; configuration errors throw. */
export function directorySettings(dir: string, config: ConfigResolver): DirectorySettings {
  return { severities: config.forDir(dir).rules, module: moduleForDir(dir) };
}

/**
 * The engine options a directory is analysed with, in a worker or in the
 * calling thread: the same everywhere, so that the results are the same.
 */
export function directoryOptions(
  dir: DirectorySettings,
  rules: readonly Rule[],
  knownRules: ReadonlySet<string>,
  keepSuppressed = false,
): AnalysisOptions {
  return {
    rules,
    knownRules,
    keepSuppressed,
    severityFor: (rule) => dir.severities[rule],
    moduleFor: () => dir.module,
  };
}

/** Concatenates per-directory results in directory order, after the discovery notes. */
export function mergeResults(discoveryNotes: Note[], results: readonly DirectoryResult[]): CheckResult {
  const out: CheckResult = { findings: [], failures: [], notes: [...discoveryNotes], filesAnalyzed: 0 };
  for (const r of results) {
    for (const f of r.findings) out.findings.push(f);
    for (const f of r.failures) out.failures.push(f);
    for (const n of r.notes) out.notes.push(n);
    out.filesAnalyzed += r.analyzed;
  }
  return out;
}

/** Whether a run of these rules asks each directory for its workspace records (see withWorkspaceFacts). */
export function needsRecords(rules: readonly Rule[]): boolean {
  return rules.some((r) => r.needsWorkspace);
}

/** The directories (indexes into `dirs` and `results`) with a finding whose rule needs workspace facts. */
export function workspaceRedo(results: readonly DirectoryResult[], rules: readonly Rule[]): number[] {
  const ids = new Set(rules.filter((r) => r.needsWorkspace).map((r) => r.id));
  const out: number[] = [];
  if (ids.size === 0) return out;
  results.forEach((r, i) => {
    if (r.findings.some((f) => ids.has(f.rule))) out.push(i);
  });
  return out;
}

/** A hand-written file's normalized text from disk, as the run read it. */
function diskText(file: string): string | undefined {
  const r = readGoFile(file);
  return "text" in r ? normalizeText(r.text) : undefined;
}

/**
 * Analyses again, in this thread and with facts about every Go file of their
 * modules, the directories listed by workspaceRedo: a typed-key fix must see
 * every package that uses the key, as the editor and `mapctx fix` do. Files of
 * the run give their records; only files of the modules outside the given
 * paths are parsed for theirs. `results` (in `dirs` order) is updated in place. The
 * parser must be initialised.
 */
export function withWorkspaceFacts(
  dirs: ReadonlyMap<string, readonly string[]>,
  results: DirectoryResult[],
  redo: readonly number[],
  opts: CheckOptions,
): void {
  if (redo.length === 0) return;
  const entries = [...dirs];
  const records = new Map<string, WorkspaceFile>();
  for (const r of results) for (const rec of r.records ?? []) records.set(rec.file, rec);
  const modules = workspaceFiles(
    redo.map((i) => entries[i]![0]),
    opts.config,
  );
  const workspace = diskWorkspace(modules, diskText, records);
  try {
    for (const i of redo) {
      const [dir, files] = entries[i]!;
      const options = directoryOptions(
        directorySettings(dir, opts.config),
        opts.rules,
        opts.knownRules,
        opts.keepSuppressed,
      );
      results[i] = analyzeDirectory(dir, files, { ...options, workspace }, { treeBudget: opts.treeBudget });
    }
  } finally {
    workspace.dispose();
  }
}

/** Analyses the Go files under `paths` in this thread. The parser must be initialised. */
export function checkPaths(paths: string[], opts: CheckOptions): CheckResult {
  const { dirs, notes } = discover(paths, opts.config);
  return checkDirs(dirs, notes, opts);
}

/** The in-thread analysis of discovered directories; `signal` is looked at between directories. */
export function checkDirs(
  dirs: ReadonlyMap<string, readonly string[]>,
  discoveryNotes: Note[],
  opts: CheckOptions,
  signal?: AbortSignal,
): CheckResult {
  let total = 0;
  for (const files of dirs.values()) total += files.length;
  let done = 0;
  const results: DirectoryResult[] = [];
  const withRecords = needsRecords(opts.rules);
  for (const [dir, files] of dirs) {
    signal?.throwIfAborted();
    const settings = directorySettings(dir, opts.config);
    results.push(
      analyzeDirectory(dir, files, directoryOptions(settings, opts.rules, opts.knownRules, opts.keepSuppressed), {
        treeBudget: opts.treeBudget,
        withRecords,
      }),
    );
    done += files.length;
    opts.onProgress?.(done, total);
  }
  withWorkspaceFacts(dirs, results, workspaceRedo(results, opts.rules), opts);
  return mergeResults(discoveryNotes, results);
}
