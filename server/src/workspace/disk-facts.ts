// WorkspaceFacts for command-line runs: every Go file of the modules that hold
// the analysed directories, not only the paths given, since a typed-key fix
// must see every package that uses the key before it may rewrite any.
import * as fs from "node:fs";
import type { ConfigResolver } from "../analysis/config";
import { normalizeText } from "../analysis/engine";
import { isGenerated } from "../analysis/facts";
import { workspaceFromSources, type WorkspaceIndex } from "../analysis/workspace";
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

/**
 * Facts over `files`, reading each through `textOf` (the run's current, normalized
 * text) or, for generated files the run leaves out, from disk: generated code
 * counts as a use that no fix may edit.
 */
export function diskWorkspace(files: readonly string[], textOf: (file: string) => string | undefined): WorkspaceIndex {
  const sources: { file: string; text: string }[] = [];
  for (const file of files) {
    let text = textOf(file);
    if (text === undefined) {
      try {
        const raw = fs.readFileSync(file, "utf8");
        if (isGenerated(raw)) text = normalizeText(raw);
      } catch {
        // Unreadable: the file is not part of the facts.
      }
    }
    if (text !== undefined) sources.push({ file, text });
  }
  return workspaceFromSources(sources, moduleForFile);
}
