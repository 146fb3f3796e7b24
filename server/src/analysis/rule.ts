// The shape every rule has: metadata and docs for users, and a pure detect().
import type { FileSyntax } from "./facts";
import type { PackageFacts } from "./package";
import type { GoModule, RawFinding, Severity } from "./types";
import type { WorkspaceFacts } from "./workspace";
import type { MapFixMemo } from "../fixes/map-rewrite";

export interface RuleDocs {
  /** One line, used as the SARIF short description and in the README table. */
  title: string;
  /** Markdown paragraphs for "What it flags". */
  flags: string;
  /** Markdown for "Why it matters". */
  why: string;
  /** Go code that is flagged. */
  bad: string;
  /** The same code written correctly. */
  good: string;
  /** Markdown for "Fix": what the quick fixes do, or how to fix it by hand. */
  fix: string;
  /** Bullet points for "When it stays silent". */
  silent: string[];
}

export interface RuleContext {
  file: FileSyntax;
  pkg: PackageFacts;
  /** The file's Go module (nearest go.mod); fixes use its go version. Undefined outside a module. */
  module?: GoModule;
  /** The parsed files of the package (this one included), when the caller parsed them together. */
  siblings?: readonly FileSyntax[];
  /** Facts about every file of the workspace; fixes that rewrite other packages need them. */
  workspace?: WorkspaceFacts;
  /** Map fix sets from earlier analyses of this file that edits since left alone (the language server, while typing). */
  fixMemo?: MapFixMemo;
}

export interface Rule {
  id: string;
  severity: Severity;
  docs: RuleDocs;
  /** Prior art: other checkers' equivalents, upstream documentation. */
  related: string[];
  /**
   * detect() reads `ctx.workspace`: its messages and fixes depend on facts about
   * the whole workspace, which worker threads do not have, so the language
   * server analyses files with its findings again in its own thread.
   */
  needsWorkspace?: boolean;
  detect(ctx: RuleContext): RawFinding[];
}
