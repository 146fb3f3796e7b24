// The Go module a file belongs to: the nearest go.mod up the tree, its module
// path and `go` directive, which decides what language features a fix may use.
import * as fs from "node:fs";
import * as path from "node:path";
import type { GoModule } from "../analysis/types";

const cache = new Map<string, GoModule | null>();

/** The module of the directory `dir`, or undefined outside any module. */
export function moduleForDir(dir: string): GoModule | undefined {
  const abs = path.resolve(dir);
  const hit = cache.get(abs);
  if (hit !== undefined) return hit ?? undefined;
  let found: GoModule | null = null;
  const file = path.join(abs, "go.mod");
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    text = undefined;
  }
  if (text !== undefined) found = parseGoMod(text, abs);
  else {
    const parent = path.dirname(abs);
    found = parent === abs ? null : (moduleForDir(parent) ?? null);
  }
  cache.set(abs, found);
  return found ?? undefined;
}

export function moduleForFile(file: string): GoModule | undefined {
  return moduleForDir(path.dirname(file));
}

/** Reads the module path and go version of a go.mod text. */
export function parseGoMod(text: string, dir: string): GoModule {
  const mod = /^\s*module\s+("?)([^"\s]+)\1\s*$/m.exec(text);
  const go = /^\s*go\s+(\d+)\.(\d+)/m.exec(text);
  return {
    dir,
    path: mod?.[2] ?? "",
    goVersion: go ? { major: Number(go[1]), minor: Number(go[2]) } : undefined,
  };
}

/** Forgets cached modules, after a go.mod changed on disk. */
export function clearModuleCache(): void {
  cache.clear();
}
