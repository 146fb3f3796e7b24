// Plain data shared by the engine, the CLI and the language server. Nothing here
// knows about LSP; positions are 0-based lines and UTF-16 columns, like web-tree-sitter.

export const SEVERITIES = ["error", "warning", "info", "hint"] as const;
export type Severity = (typeof SEVERITIES)[number];
export type SeveritySetting = Severity | "off";

/** Lower is more severe. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface Position {
  /** 0-based line. */
  line: number;
  /** 0-based column in UTF-16 code units. */
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

export interface Fix {
  /** Sentence-case imperative, unique per finding: `Convert cache to sync.Map`. */
  title: string;
  /** Safe fixes keep behaviour and may be applied without review (fix-all, `mapctx fix`). */
  safe: boolean;
  edits: TextEdit[];
}

export interface RelatedLocation {
  file: string;
  range: Range;
  message: string;
}

export type FindingTag = "unnecessary" | "deprecated";

export interface Suppression {
  kind: "inSource";
  /** The directive's reason text, if any. */
  justification: string;
}

export interface Finding {
  file: string;
  range: Range;
  rule: string;
  severity: Severity;
  message: string;
  related: RelatedLocation[];
  fixes: Fix[];
  tags?: FindingTag[];
  /** Set when a directive silenced the finding; kept for SARIF, dropped elsewhere. */
  suppressed?: Suppression;
}

/** What a rule's detect() returns: the engine adds file, rule and severity. */
export interface RawFinding {
  range: Range;
  message: string;
  related?: RelatedLocation[];
  fixes?: Fix[];
  tags?: FindingTag[];
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    comparePositions(a.range.start, b.range.start) ||
    comparePositions(a.range.end, b.range.end) ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

export interface GoVersion {
  major: number;
  minor: number;
}

/** The Go module of a file: nearest go.mod's directory, module path and `go` directive. */
export interface GoModule {
  dir: string;
  path: string;
  goVersion?: GoVersion;
}

/** Whether the module's go directive is at least 1.minor (false when unknown). */
export function goAtLeast(mod: GoModule | undefined, minor: number): boolean {
  const v = mod?.goVersion;
  return !!v && (v.major > 1 || (v.major === 1 && v.minor >= minor));
}

/** An error that stops a run with a one-line message (usage or configuration, exit code 2). */
export class UserError extends Error {
  override name = "UserError";
}
