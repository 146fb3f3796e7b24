// Finds the Go files to analyse under the given paths, the way the go tool
// would: no vendor/, testdata/, hidden or underscore directories, and none of
// node_modules/ and .git/. Generated and oversized files are skipped.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigResolver } from "../analysis/config";
import { isGenerated } from "../analysis/facts";
import { UserError } from "../analysis/types";

/** Larger files are skipped with a note: they are almost always generated tables. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

const SKIP_DIRS = new Set(["vendor", "testdata", "node_modules"]);

export function isSkippedDir(name: string): boolean {
  return SKIP_DIRS.has(name) || name.startsWith(".") || name.startsWith("_");
}

export interface Note {
  file: string;
  message: string;
}

export interface Discovery {
  /** Go files grouped by directory, directories in sorted order. */
  dirs: Map<string, string[]>;
  notes: Note[];
}

/**
 * Lists the Go files under `paths` (files or directories), grouped by directory.
 * Paths named explicitly are taken even inside skipped directories. Throws a
 * UserError for a path that does not exist.
 */
export function discover(paths: string[], config?: ConfigResolver): Discovery {
  const files = new Set<string>();
  const notes: Note[] = [];
  const seenDirs = new Set<string>();
  for (const p of paths) {
    const abs = path.resolve(p);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new UserError(`${p}: no such file or directory`);
    }
    if (st.isFile()) {
      if (abs.endsWith(".go")) files.add(abs);
      else throw new UserError(`${p}: not a Go file`);
      continue;
    }
    const stack = [abs];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      let real: string;
      try {
        real = fs.realpathSync(dir);
      } catch {
        continue;
      }
      if (seenDirs.has(real)) continue; // symlink loops and aliases
      seenDirs.add(real);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        notes.push({ file: dir, message: `cannot read directory (${(e as NodeJS.ErrnoException).code ?? e})` });
        continue;
      }
      for (const ent of entries) {
        const full = path.join(dir, ent.name);
        let isDir = ent.isDirectory();
        let isFile = ent.isFile();
        if (ent.isSymbolicLink()) {
          try {
            const t = fs.statSync(full);
            isDir = t.isDirectory();
            isFile = t.isFile();
          } catch (e) {
            // A dangling link or a loop of links: a Go file by its name says why it is left out.
            if (ent.name.endsWith(".go"))
              notes.push({ file: full, message: `cannot read file (${(e as NodeJS.ErrnoException).code ?? e})` });
            continue;
          }
        }
        if (isDir) {
          if (isSkippedDir(ent.name)) continue;
          if (config?.isExcluded(full, true)) continue;
          stack.push(full);
        } else if (isFile && ent.name.endsWith(".go")) {
          files.add(full);
        }
      }
    }
  }
  const dirs = new Map<string, string[]>();
  for (const f of [...files].sort()) {
    if (config?.isExcluded(f, false)) continue;
    const d = path.dirname(f);
    const list = dirs.get(d);
    if (list) list.push(f);
    else dirs.set(d, [f]);
  }
  return { dirs: new Map([...dirs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), notes };
}

/**
 * A file to analyse (`text`), a generated file (not reported on, but its text
 * still feeds the package facts), or a note on why it is left out.
 */
export type ReadResult = { text: string } | { skip: "generated"; source: string } | { note: string };

/** Reads a Go file for analysis, or says why it is left out. */
export function readGoFile(file: string): ReadResult {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    return { note: `cannot read file (${(e as NodeJS.ErrnoException).code ?? e})` };
  }
  if (size > MAX_FILE_BYTES)
    return { note: `skipped: ${(size / 1048576).toFixed(1)} MiB is over the ${MAX_FILE_BYTES / 1048576} MiB limit` };
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return { note: `cannot read file (${(e as NodeJS.ErrnoException).code ?? e})` };
  }
  if (isGenerated(text)) return { skip: "generated", source: text };
  return { text };
}
