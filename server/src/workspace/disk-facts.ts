// WorkspaceFacts for command-line runs: every Go file of the modules that hold
// the analysed directories, not only the paths given, since a typed-key fix
// must see every package that uses the key before it may rewrite any.
import * as fs from "node:fs";
import type { ConfigResolver } from "../analysis/config";
import { normalizeText } from "../analysis/engine";
import { isGenerated } from "../analysis/facts";
import { recordOfText, WorkspaceIndex, type WorkspaceFile } from "../analysis/workspace";
import { discover } from "./discover";
import { moduleForDir, moduleForFile } from "./gomod";

/** The Go files of the modules (or, outside any module, the directories) of `dirs`. */
export function workspaceFiles(dirs: Iterable<string>, config: ConfigResolver): string[] {
  const roots = new Set<string>();
  for (const d of dirs) roots.add(moduleForDir(d)?.dir ?? d);
  const files = new Set<string>();
  for (const root of roots) {
    for (const list of discover([root], config).dirs.values()) for (const f of list) files.add(f);
  }
  return [...files].sort();
}

/** A generated file's normalized text from disk: runs leave generated files out, but they count as uses. */
function generatedText(file: string): string | undefined {
  try {
    const raw = fs.readFileSync(file, "utf8");
    return isGenerated(raw) ? normalizeText(raw) : undefined;
  } catch {
    // Unreadable: the file is not part of the facts.
    return undefined;
  }
}

/**
 * Facts over `files`, reading each through `textOf` (the run's current, normalized
 * text) or, for generated files the run leaves out, from disk: generated code
 * counts as a use that no fix may edit. Files with a record in `known` (a run
 * that parsed them made it) are not parsed for one; any file is read again
 * only when a fix needs its tree.
 */
export function diskWorkspace(
  files: readonly string[],
  textOf: (file: string) => string | undefined,
  known?: ReadonlyMap<string, WorkspaceFile>,
): WorkspaceIndex {
  const read = (file: string): string | undefined => textOf(file) ?? generatedText(file);
  const records: WorkspaceFile[] = [];
  for (const file of files) {
    let record = known?.get(file);
    if (!record) {
      const text = read(file);
      if (text !== undefined) record = recordOfText(file, text);
    }
    if (record) records.push(record);
  }
  return new WorkspaceIndex(records, read, moduleForFile);
}
