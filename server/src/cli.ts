// The `mapctx` command line: `check` runs the engine over files on disk and
// prints text, JSON or SARIF; `fix` applies the safe fixes; `rules` lists the
// rules. Errors are one line, exit 2.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { pathToFileURL } from "node:url";
import { ConfigResolver, loadConfigFile } from "./analysis/config";
import { docsUrl, repositoryUrl, VERSION } from "./analysis/docsUrl";
import { normalizeText, type RuleFailure } from "./analysis/engine";
import { UNUSED_IGNORE, UNUSED_IGNORE_DOCS } from "./analysis/suppress";
import {
  SEVERITIES,
  severityRank,
  UserError,
  type Finding,
  type Fix,
  type Range,
  type Severity,
  type TextEdit,
} from "./analysis/types";
import { KNOWN_IDS, RULES, type Rule } from "./rules";
import type { RuleDocs } from "./analysis/rule";
import { BATCH_TREE_BUDGET_CHARS } from "./workspace/check";
import { checkPathsParallel } from "./workspace/pool";
import type { Note } from "./workspace/discover";
import { fixPaths } from "./workspace/fix";
import { unifiedDiff } from "./fixes/diff";
import { isIgnoreFix } from "./fixes/ignore";
import { initParser } from "./parser";

/** Below this many files a run stays in one thread unless --jobs asks otherwise: threads take time to start. */
const THREADS_FROM = 50;

const USAGE = `usage:
  mapctx check [--format text|json|sarif] [--config FILE] [--rules id,id] [--severity LEVEL] [--jobs N] [PATH...]
  mapctx fix [--config FILE] [--rules id,id] [--dry-run | --diff] [--unsafe] [PATH...]
  mapctx rules
  mapctx --help | --version

check analyses the Go files under each PATH (files or directories, recursively;
default: the current directory).

  --format text|json|sarif  output format (default text)
  --config FILE             use this configuration for every file instead of the
                            nearest .mapctx.json up the directory tree
  --rules id,id             run only these rules (see mapctx rules)
  --severity LEVEL          error, warning, info or hint (default warning): exit 1
                            when a finding at or above LEVEL is reported
  --jobs N                  analyse in N threads (default: one per core; 1 analyses
                            in the main thread, as do runs of under ${THREADS_FROM} files)

Exit status: 0 nothing at or above LEVEL, 1 findings at or above LEVEL,
2 usage or configuration error.

fix applies the preferred safe fix of each finding under each PATH, in place,
and prints what changed per file; check afterwards shows what is left.

  --dry-run                 list what would change, write nothing
  --diff                    print a unified diff instead of writing
  --unsafe                  also apply fixes that need review (never the ignore fix)

Exit status of fix: 0, or 2 on a usage or configuration error.
Docs: ${repositoryUrl()}
`;

type Format = "text" | "json" | "sarif";

interface CheckArgs {
  format: Format;
  config?: string;
  rules?: string[];
  severity: Severity;
  /** Worker threads (--jobs); undefined: one per core, for runs of THREADS_FROM files or more. */
  jobs?: number;
  paths: string[];
}

/** What a run printed and its exit status; main() writes it out. */
export interface Outcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** A rule-like entry for listings: the registered rules plus the engine's unused-ignore. */
interface RuleInfo {
  id: string;
  severity: Severity;
  docs: RuleDocs;
}

function allRuleInfo(): RuleInfo[] {
  return [...RULES, { id: UNUSED_IGNORE, severity: "hint" as const, docs: UNUSED_IGNORE_DOCS }];
}

/** A command-line flag as the scanner hands it over: its name, a way to read its value, and a check that it has none. */
interface Flag {
  name: string;
  value(): string;
  noValue(): void;
}

/**
 * Walks a command's arguments: paths (everything after `--` too) go to `paths`,
 * flags (`--flag value` or `--flag=value`) to `onFlag`. Defaults the paths to `.`.
 */
function scanArgs(argv: string[], paths: string[], onFlag: (flag: Flag) => void): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      paths.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      paths.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    onFlag({
      name,
      value: () => {
        if (eq > 0) return arg.slice(eq + 1);
        const v = argv[++i];
        if (v === undefined || v === "") throw new UserError(`${name} needs a value`);
        return v;
      },
      noValue: () => {
        if (eq > 0) throw new UserError(`${name} takes no value`);
      },
    });
  }
  if (paths.length === 0) paths.push(".");
}

/** The rule ids of a `--rules a,b` value, appended to those of earlier `--rules` flags. */
function parseRuleIds(value: string, earlier: string[] | undefined): string[] {
  const ids = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new UserError("--rules needs at least one rule id");
  for (const id of ids) {
    if (!KNOWN_IDS.has(id)) throw new UserError(`unknown rule "${id}" in --rules (mapctx rules lists them)`);
  }
  return [...(earlier ?? []), ...ids];
}

function unknownFlag(name: string): never {
  throw new UserError(`unknown flag ${name} (mapctx --help lists the flags)`);
}

function parseCheckArgs(argv: string[]): CheckArgs {
  const args: CheckArgs = { format: "text", severity: "warning", paths: [] };
  scanArgs(argv, args.paths, (flag) => {
    switch (flag.name) {
      case "--format": {
        const v = flag.value();
        if (v !== "text" && v !== "json" && v !== "sarif")
          throw new UserError(`--format must be text, json or sarif, not ${JSON.stringify(v)}`);
        args.format = v;
        break;
      }
      case "--config":
        args.config = flag.value();
        break;
      case "--rules":
        args.rules = parseRuleIds(flag.value(), args.rules);
        break;
      case "--severity": {
        const v = flag.value();
        if (!(SEVERITIES as readonly string[]).includes(v)) {
          throw new UserError(`--severity must be one of ${SEVERITIES.join(", ")}, not ${JSON.stringify(v)}`);
        }
        args.severity = v as Severity;
        break;
      }
      case "--jobs": {
        const v = flag.value();
        if (!/^[1-9][0-9]{0,3}$/.test(v))
          throw new UserError(`--jobs must be a positive whole number, not ${JSON.stringify(v)}`);
        args.jobs = Number(v);
        break;
      }
      default:
        unknownFlag(flag.name);
    }
  });
  return args;
}

/** A path as the user sees it: relative to the working directory, with the platform's separators. */
function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === "" ? "." : rel;
}

/** A path for JSON and SARIF: relative to the working directory, forward slashes. */
function portablePath(file: string, cwd: string): string {
  return displayPath(file, cwd).split(path.sep).join("/");
}

function plural(n: number, word: string, many = word + "s"): string {
  return `${n} ${n === 1 ? word : many}`;
}

function summary(findings: Finding[], files: number): string {
  const where = `in ${plural(files, "file")}`;
  if (findings.length === 0) return `no findings ${where}`;
  const counts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(
    ([, n]) => n > 0,
  );
  const words: Record<Severity, [string, string]> = {
    error: ["error", "errors"],
    warning: ["warning", "warnings"],
    info: ["info", "info"],
    hint: ["hint", "hints"],
  };
  const parts = counts.map(([s, n]) => plural(n, words[s][0], words[s][1]));
  return `${plural(findings.length, "finding")} (${parts.join(", ")}) ${where}`;
}

function formatText(findings: Finding[], files: number, cwd: string): string {
  const lines = findings.map(
    (f) =>
      `${displayPath(f.file, cwd)}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.message} (${f.rule})`,
  );
  lines.push(summary(findings, files));
  return lines.join("\n") + "\n";
}

/** 1-based positions; the end column is the one just past the range, in UTF-16 code units. */
function oneBased(range: Range): { line: number; column: number; endLine: number; endColumn: number } {
  return {
    line: range.start.line + 1,
    column: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/** The fixes reports list: the generic ignore fix is an editor affordance, not a rewrite. */
function reportedFixes(f: Finding): Fix[] {
  return f.fixes.filter((x) => !isIgnoreFix(x));
}

function formatJson(findings: Finding[], cwd: string): string {
  const out = {
    version: 1,
    findings: findings.map((f) => ({
      file: portablePath(f.file, cwd),
      ...oneBased(f.range),
      rule: f.rule,
      severity: f.severity,
      message: f.message,
      related: f.related.map((r) => ({ file: portablePath(r.file, cwd), ...oneBased(r.range), message: r.message })),
      fixes: reportedFixes(f).map((x) => ({
        title: x.title,
        safe: x.safe,
        edits: x.edits.map((e) => ({ file: portablePath(e.file, cwd), ...oneBased(e.range), newText: e.newText })),
      })),
    })),
  };
  return JSON.stringify(out, null, 2) + "\n";
}

function sarifLevel(s: Severity): "error" | "warning" | "note" {
  return s === "error" ? "error" : s === "warning" ? "warning" : "note";
}

/** `global-map-race` -> `GlobalMapRace`, SARIF's friendly rule name. */
function ruleName(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** Markdown without its inline markup, for SARIF's plain-text fields. */
function plainText(md: string): string {
  return md.replace(/`([^`]*)`/g, "$1").replace(/\*\*([^*]*)\*\*/g, "$1");
}

interface SarifArtifact {
  uri: string;
  uriBaseId?: string;
}

function sarifArtifact(file: string, cwd: string): SarifArtifact {
  const rel = path.relative(cwd, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return { uri: pathToFileURL(file).href };
  return { uri: rel.split(path.sep).map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
}

function sarifRegion(range: Range) {
  const p = oneBased(range);
  return { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn };
}

/**
 * SARIF fix objects: one artifact change per file, in the order the files are
 * first edited, each edit a replacement (an empty deleted region inserts).
 * Whether a fix needs review is in its property bag.
 */
function sarifFixes(f: Finding, cwd: string) {
  return reportedFixes(f).map((x) => {
    const byFile = new Map<string, TextEdit[]>();
    for (const e of x.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    return {
      description: { text: x.title },
      artifactChanges: [...byFile].map(([file, edits]) => ({
        artifactLocation: sarifArtifact(file, cwd),
        replacements: edits.map((e) => ({ deletedRegion: sarifRegion(e.range), insertedContent: { text: e.newText } })),
      })),
      properties: { safe: x.safe },
    };
  });
}

/** Reads source lines for fingerprints, once per file. */
class SourceLines {
  private readonly cache = new Map<string, string[]>();
  line(file: string, line: number): string {
    let lines = this.cache.get(file);
    if (!lines) {
      try {
        lines = normalizeText(fs.readFileSync(file, "utf8")).split(/\r?\n/);
      } catch {
        lines = [];
      }
      this.cache.set(file, lines);
    }
    return lines[line] ?? "";
  }
}

function formatSarif(findings: Finding[], failures: RuleFailure[], notes: Note[], cwd: string): string {
  const infos = allRuleInfo();
  const index = new Map(infos.map((r, i) => [r.id, i]));
  const sources = new SourceLines();
  // Fingerprints do not include line numbers, so a finding keeps its identity when
  // code above it moves; identical ones in a file are told apart by occurrence.
  const seen = new Map<string, number>();
  const results = findings.map((f) => {
    const artifact = sarifArtifact(f.file, cwd);
    const key = [f.rule, portablePath(f.file, cwd), f.message, sources.line(f.file, f.range.start.line).trim()].join(
      "\0",
    );
    const hash = createHash("sha256").update(key).digest("hex").slice(0, 32);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    return {
      ruleId: f.rule,
      ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule)! } : {}),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [{ physicalLocation: { artifactLocation: artifact, region: sarifRegion(f.range) } }],
      ...(f.related.length > 0
        ? {
            relatedLocations: f.related.map((r, i) => ({
              id: i + 1,
              message: { text: r.message },
              physicalLocation: { artifactLocation: sarifArtifact(r.file, cwd), region: sarifRegion(r.range) },
            })),
          }
        : {}),
      ...(reportedFixes(f).length > 0 ? { fixes: sarifFixes(f, cwd) } : {}),
      partialFingerprints: { "mapctxFingerprint/v1": `${hash}:${n}` },
      ...(f.suppressed
        ? {
            suppressions: [
              {
                kind: "inSource",
                ...(f.suppressed.justification ? { justification: f.suppressed.justification } : {}),
              },
            ],
          }
        : {}),
    };
  });
  const notifications = [
    ...failures.map((x) => ({
      level: "error",
      message: { text: `rule ${x.rule} failed: ${x.message}` },
      associatedRule: { id: x.rule, ...(index.has(x.rule) ? { index: index.get(x.rule)! } : {}) },
      locations: [{ physicalLocation: { artifactLocation: sarifArtifact(x.file, cwd) } }],
    })),
    ...notes.map((x) => ({
      level: "warning",
      message: { text: x.message },
      locations: [{ physicalLocation: { artifactLocation: sarifArtifact(x.file, cwd) } }],
    })),
  ];
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "mapctx",
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: repositoryUrl(),
            rules: infos.map((r) => ({
              id: r.id,
              name: ruleName(r.id),
              shortDescription: { text: r.docs.title },
              fullDescription: { text: plainText(r.docs.flags), markdown: r.docs.flags },
              help: { text: plainText(r.docs.why), markdown: `${r.docs.why}\n\n${r.docs.fix}` },
              helpUri: docsUrl(r.id),
              defaultConfiguration: { level: sarifLevel(r.severity) },
            })),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileURL(cwd).href.replace(/\/?$/, "/") } },
        columnKind: "utf16CodeUnits",
        invocations: [
          { executionSuccessful: true, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) },
        ],
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + "\n";
}

/** One line per failed rule, naming the first file it failed on. */
export function failureLines(failures: RuleFailure[], cwd: string): string[] {
  const byRule = new Map<string, RuleFailure[]>();
  for (const f of failures) {
    const list = byRule.get(f.rule);
    if (list) list.push(f);
    else byRule.set(f.rule, [f]);
  }
  return [...byRule.values()].map((list) => {
    const first = list[0]!;
    const more = list.length > 1 ? ` (and ${plural(list.length - 1, "other file")})` : "";
    return `mapctx: rule ${first.rule} failed on ${displayPath(first.file, cwd)}${more}: ${first.message}; the other rules still ran`;
  });
}

/**
 * What `check` and `fix` share: the configuration (`--config` or each
 * directory's `.mapctx.json`), the paths (each must exist; the message names
 * it as typed) made absolute, and the rules `--rules` selects.
 */
function commandInput(
  args: { config?: string; rules?: string[]; paths: string[] },
  cwd: string,
): { resolver: ConfigResolver; paths: string[]; rules: readonly Rule[]; selected?: ReadonlySet<string> } {
  const fixed = args.config !== undefined ? loadConfigFile(path.resolve(cwd, args.config), KNOWN_IDS) : undefined;
  for (const p of args.paths) {
    if (!fs.existsSync(path.resolve(cwd, p))) throw new UserError(`${p}: no such file or directory`);
  }
  const selected = args.rules ? new Set(args.rules) : undefined;
  return {
    resolver: new ConfigResolver(KNOWN_IDS, fixed),
    paths: args.paths.map((p) => path.resolve(cwd, p)),
    rules: selected ? RULES.filter((r) => selected.has(r.id)) : RULES,
    selected,
  };
}

async function check(argv: string[], cwd: string): Promise<Outcome> {
  const args = parseCheckArgs(argv);
  const { resolver, paths, rules, selected } = commandInput(args, cwd);
  const result = await checkPathsParallel(paths, {
    rules,
    knownRules: KNOWN_IDS,
    config: resolver,
    keepSuppressed: args.format === "sarif",
    treeBudget: BATCH_TREE_BUDGET_CHARS,
    jobs: args.jobs,
    minFilesForThreads: args.jobs === undefined ? THREADS_FROM : 0,
    // A directory or many files: threads will most likely be used.
    startThreadsEarly:
      args.jobs !== undefined ||
      paths.length >= THREADS_FROM ||
      paths.some((p) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory()),
  });
  // --rules names the checks to report; unused-ignore is one of them only when listed.
  const findings = selected
    ? result.findings.filter((f) => f.rule !== UNUSED_IGNORE || selected.has(UNUSED_IGNORE))
    : result.findings;
  const stderr = [
    ...result.notes.map((n) => `${displayPath(n.file, cwd)}: ${n.message}`),
    ...failureLines(result.failures, cwd),
  ];
  const shown = findings.filter((f) => !f.suppressed);
  let stdout: string;
  if (args.format === "json") stdout = formatJson(shown, cwd);
  else if (args.format === "sarif") stdout = formatSarif(findings, result.failures, result.notes, cwd);
  else stdout = formatText(shown, result.filesAnalyzed, cwd);
  const failing = shown.some((f) => severityRank(f.severity) <= severityRank(args.severity));
  return { stdout, stderr: stderr.map((l) => l + "\n").join(""), code: failing ? 1 : 0 };
}

interface FixArgs {
  config?: string;
  rules?: string[];
  mode: "write" | "dry-run" | "diff";
  unsafe: boolean;
  paths: string[];
}

function parseFixArgs(argv: string[]): FixArgs {
  const args: FixArgs = { mode: "write", unsafe: false, paths: [] };
  scanArgs(argv, args.paths, (flag) => {
    const mode = (m: FixArgs["mode"]) => {
      flag.noValue();
      if (args.mode !== "write" && args.mode !== m) throw new UserError("--dry-run and --diff cannot be combined");
      args.mode = m;
    };
    switch (flag.name) {
      case "--config":
        args.config = flag.value();
        break;
      case "--rules":
        args.rules = parseRuleIds(flag.value(), args.rules);
        break;
      case "--dry-run":
        mode("dry-run");
        break;
      case "--diff":
        mode("diff");
        break;
      case "--unsafe":
        flag.noValue();
        args.unsafe = true;
        break;
      default:
        unknownFlag(flag.name);
    }
  });
  return args;
}

/** `3 fixes applied (Use c.Set / c.Get, Initialize the map m)`: each distinct title once, in order. */
function fixSummary(titles: string[], verb: string): string {
  return `${plural(titles.length, "fix", "fixes")} ${verb} (${[...new Set(titles)].join(", ")})`;
}

async function fix(argv: string[], cwd: string): Promise<Outcome> {
  const args = parseFixArgs(argv);
  const { resolver, paths, rules } = commandInput(args, cwd);
  await initParser();
  const result = fixPaths(paths, {
    rules,
    knownRules: KNOWN_IDS,
    config: resolver,
    unsafe: args.unsafe,
    write: args.mode === "write",
  });
  const stderr = [
    ...result.notes.map((n) => `${displayPath(n.file, cwd)}: ${n.message}`),
    ...failureLines(result.failures, cwd),
  ];
  let stdout = "";
  if (args.mode === "diff") {
    for (const c of result.changes) {
      const name = portablePath(c.file, cwd);
      stdout += unifiedDiff(`a/${name}`, `b/${name}`, c.before, c.after);
    }
  } else {
    const verb = args.mode === "write" ? "applied" : "would be applied";
    for (const c of result.changes) stdout += `${displayPath(c.file, cwd)}: ${fixSummary(c.titles, verb)}\n`;
    if (result.changes.length === 0) stdout += "no fixes to apply\n";
  }
  return { stdout, stderr: stderr.map((l) => l + "\n").join(""), code: 0 };
}

function listRules(): string {
  const infos = allRuleInfo();
  const idWidth = Math.max(...infos.map((r) => r.id.length));
  const sevWidth = Math.max(...infos.map((r) => r.severity.length));
  return infos.map((r) => `${r.id.padEnd(idWidth)}  ${r.severity.padEnd(sevWidth)}  ${r.docs.title}`).join("\n") + "\n";
}

/** Runs the command line and returns what to print; never throws. */
export async function run(argv: string[], cwd = process.cwd()): Promise<Outcome> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case "check":
        return await check(rest, cwd);
      case "fix":
        return await fix(rest, cwd);
      case "rules":
        if (rest.length > 0) throw new UserError(`rules takes no arguments`);
        return { stdout: listRules(), stderr: "", code: 0 };
      case "--help":
      case "-h":
      case "help":
        return { stdout: USAGE, stderr: "", code: 0 };
      case "--version":
      case "-v":
      case "version":
        return { stdout: `mapctx ${VERSION}\n`, stderr: "", code: 0 };
      case undefined:
        return { stdout: "", stderr: USAGE, code: 2 };
      default:
        throw new UserError(
          command.startsWith("-")
            ? `unknown flag ${command} (mapctx --help lists the commands)`
            : `unknown command "${command}" (mapctx --help lists the commands)`,
        );
    }
  } catch (e) {
    if (e instanceof UserError) return { stdout: "", stderr: `mapctx: ${e.message}\n`, code: 2 };
    const message = e instanceof Error ? e.message : String(e);
    const stack = process.env.MAPCTX_DEBUG && e instanceof Error && e.stack ? `${e.stack}\n` : "";
    return {
      stdout: "",
      stderr: `mapctx: internal error: ${message.split("\n")[0]}; please report it at ${repositoryUrl()}/issues\n${stack}`,
      code: 2,
    };
  }
}

/**
 * A batch run over thousands of files: let V8 gather type feedback for longer
 * before it optimises a function. At its default (tuned for web pages) the
 * analysis functions are optimised after a few files, thrown away at the first
 * file that takes a path not seen yet, and compiled again, in every worker:
 * `check --jobs 2` on the Go standard library compiled 226 times, 1.7 s of
 * compiler time, and now spends 0.5 s less CPU. Flags are process-wide, so the
 * worker threads started later get it too; the language server keeps V8's
 * default, for which the first keystrokes matter more.
 */
const BATCH_INTERRUPT_BUDGET = 1_000_000;

async function main(): Promise<void> {
  v8.setFlagsFromString(`--interrupt-budget=${BATCH_INTERRUPT_BUDGET}`);
  // `mapctx check | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  const outcome = await run(process.argv.slice(2));
  // Writing and setting exitCode (instead of process.exit) lets a large report
  // reach a pipe in full before the process ends.
  if (outcome.stdout) process.stdout.write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  process.exitCode = outcome.code;
  // For the benchmark: the process's peak resident set and CPU time, worker threads included.
  if (process.env.MAPCTX_PEAK_RSS) {
    const u = process.resourceUsage();
    process.stderr.write(
      `mapctx: peak RSS ${u.maxRSS} KiB, CPU ${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)} ms\n`,
    );
  }
}

if (require.main === module) void main();
