// What a rule may know beyond the package it analyses: node-free records of
// every Go file of the workspace, and those files parsed on demand. Fixes that
// must rewrite every use of something (a context key read by another package)
// are offered only when a caller provides these facts; without them a rule
// cannot know all uses and offers no such fix.
import * as path from "node:path";
import { parseGo } from "../parser";
import { analyzeSyntax, detachStrings, isGenerated, type FileSummary, type FileSyntax } from "./facts";
import { unquoteGo } from "./keys";
import type { GoModule } from "./types";

/** One Go file of the workspace, as much as cross-package fixes need to find it. */
export interface WorkspaceFile {
  file: string;
  packageName: string;
  /** Import paths. */
  imports: readonly string[];
  /** String values a context key may have here: literal keys of WithValue/Value calls and package-level string constants. */
  contextKeys: readonly string[];
  /** Generated code: counted as a use, never edited. */
  generated?: boolean;
}

export interface WorkspaceFacts {
  /** Files that use `value` as a literal context key (a superset: receivers are not resolved). */
  filesUsingKey(value: string): readonly WorkspaceFile[];
  /** Every Go file of a directory, any package clause. */
  dirFiles(dir: string): readonly WorkspaceFile[];
  /** The directory holding the package with that import path, if the workspace has it. */
  dirOfImport(importPath: string): string | undefined;
  /** A workspace file parsed with its facts, or undefined when it cannot be read. The workspace owns the tree. */
  load(file: string): FileSyntax | undefined;
  moduleFor(file: string): GoModule | undefined;
  /** Results rules share across the findings of one run (the workspace does not change while it lives). */
  readonly memo: Map<string, unknown>;
}

/**
 * The record of a parsed file. Package-level string constants count as key
 * values: a constant used as a key in a sibling file is a use of its value.
 */
export function workspaceFileOf(summary: FileSummary, generated = false): WorkspaceFile {
  const keys = new Set(summary.contextKeys);
  for (const c of summary.consts) {
    if (c.typeText !== undefined && c.typeText !== "string") continue;
    const v = c.valueText === undefined ? undefined : unquoteGo(c.valueText);
    if (v !== undefined) keys.add(v);
  }
  const record: WorkspaceFile = {
    file: summary.file,
    packageName: summary.packageName,
    imports: Object.values(summary.imports),
    contextKeys: [...keys].sort(),
    ...(generated ? { generated } : {}),
  };
  // Records outlive the file's text, which a slice of it would keep.
  detachStrings(record);
  return record;
}

/** WorkspaceFacts over a list of records, reading texts through a callback. Call dispose() to free parsed trees. */
export class WorkspaceIndex implements WorkspaceFacts {
  readonly memo = new Map<string, unknown>();
  private readonly byKey = new Map<string, WorkspaceFile[]>();
  private readonly byDir = new Map<string, WorkspaceFile[]>();
  private readonly loaded = new Map<string, FileSyntax | null>();
  private importDirs: Map<string, string> | undefined;

  constructor(
    files: Iterable<WorkspaceFile>,
    private readonly read: (file: string) => string | undefined,
    private readonly moduleOf: (file: string) => GoModule | undefined = () => undefined,
  ) {
    for (const f of files) {
      const dir = path.dirname(f.file);
      const list = this.byDir.get(dir);
      if (list) list.push(f);
      else this.byDir.set(dir, [f]);
      for (const k of f.contextKeys) {
        const l = this.byKey.get(k);
        if (l) l.push(f);
        else this.byKey.set(k, [f]);
      }
    }
  }

  filesUsingKey(value: string): readonly WorkspaceFile[] {
    return this.byKey.get(value) ?? [];
  }

  dirFiles(dir: string): readonly WorkspaceFile[] {
    return this.byDir.get(dir) ?? [];
  }

  dirOfImport(importPath: string): string | undefined {
    if (!this.importDirs) {
      this.importDirs = new Map();
      for (const [dir, files] of this.byDir) {
        const mod = this.moduleOf(files[0]!.file);
        if (!mod?.path) continue;
        const rel = path.relative(mod.dir, dir);
        if (rel.startsWith("..") || path.isAbsolute(rel)) continue;
        this.importDirs.set(rel === "" ? mod.path : `${mod.path}/${rel.split(path.sep).join("/")}`, dir);
      }
    }
    return this.importDirs.get(importPath);
  }

  load(file: string): FileSyntax | undefined {
    const hit = this.loaded.get(file);
    if (hit !== undefined) return hit ?? undefined;
    let syntax: FileSyntax | null = null;
    const text = this.read(file);
    if (text !== undefined) {
      const tree = parseGo(text);
      if (tree) syntax = analyzeSyntax(file, text, tree);
    }
    this.loaded.set(file, syntax);
    return syntax ?? undefined;
  }

  moduleFor(file: string): GoModule | undefined {
    return this.moduleOf(file);
  }

  /** Deletes the trees of the files parsed on demand. */
  dispose(): void {
    for (const s of this.loaded.values()) s?.tree.delete();
    this.loaded.clear();
    this.memo.clear();
  }
}

/**
 * Workspace facts for files given as text (already normalized): each is parsed
 * once for its record, and again only if a fix needs its tree.
 */
export function workspaceFromSources(
  sources: readonly { file: string; text: string }[],
  moduleFor?: (file: string) => GoModule | undefined,
): WorkspaceIndex {
  const texts = new Map<string, string>();
  const records: WorkspaceFile[] = [];
  for (const s of sources) {
    texts.set(s.file, s.text);
    const record = recordOfText(s.file, s.text);
    if (record) records.push(record);
  }
  return new WorkspaceIndex(records, (file) => texts.get(file), moduleFor);
}

/** The record of a file given as (normalized) text, parsed for it and the tree deleted; undefined when it does not parse. */
export function recordOfText(file: string, text: string): WorkspaceFile | undefined {
  const tree = parseGo(text);
  if (!tree) return undefined;
  try {
    return workspaceFileOf(analyzeSyntax(file, text, tree).summary, isGenerated(text));
  } finally {
    tree.delete();
  }
}
