// Analyses files on disk: discovery, reading, per-directory analysis. Shared by
// the CLI, the benchmark and the language server's workspace scan.
import { ConfigResolver } from "../analysis/config";
import { analyzeSources, type AnalysisResult, type RuleFailure, type SourceFile } from "../analysis/engine";
import type { Finding } from "../analysis/types";
import type { Rule } from "../rules/rule";
import { discover, readGoFile, type Note } from "./discover";

export interface CheckOptions {
  rules: readonly Rule[];
  knownRules: ReadonlySet<string>;
  config: ConfigResolver;
  keepSuppressed?: boolean;
  /** Called after each directory with the number of files done so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface CheckResult extends AnalysisResult {
  notes: Note[];
  filesAnalyzed: number;
}

export function checkPaths(paths: string[], opts: CheckOptions): CheckResult {
  const { dirs, notes } = discover(paths, opts.config);
  const findings: Finding[] = [];
  const failures: RuleFailure[] = [];
  let total = 0;
  for (const files of dirs.values()) total += files.length;
  let done = 0;
  let analyzed = 0;
  for (const [dir, files] of dirs) {
    const sources: SourceFile[] = [];
    for (const file of files) {
      const r = readGoFile(file);
      if ("text" in r) sources.push({ file, text: r.text });
      else if ("note" in r) notes.push({ file, message: r.note });
    }
    const result = analyzeSources(sources, dir, {
      rules: opts.rules,
      knownRules: opts.knownRules,
      keepSuppressed: opts.keepSuppressed,
      severityFor: (rule, file) => opts.config.forFile(file).rules[rule],
    });
    findings.push(...result.findings);
    failures.push(...result.failures);
    analyzed += sources.length;
    done += files.length;
    opts.onProgress?.(done, total);
  }
  return { findings, failures, notes, filesAnalyzed: analyzed };
}
