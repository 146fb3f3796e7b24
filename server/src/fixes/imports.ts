// Adds imports a fix needs, in the place gofmt expects: inside the first
// parenthesised group at its sorted position, or as a new declaration.
import type { FileSyntax } from "../analysis/facts";
import type { Node } from "../parser";
import type { Range, TextEdit } from "../analysis/types";

function at(line: number, character: number): Range {
  return { start: { line, character }, end: { line, character } };
}

/** The import paths the file already has, by path. */
export function importedPaths(file: FileSyntax): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, p] of Object.entries(file.summary.imports)) out.set(p, name);
  return out;
}

/** The name under which `importPath` is imported, if it is. */
export function importName(file: FileSyntax, importPath: string): string | undefined {
  return importedPaths(file).get(importPath);
}

/**
 * Edits that add the missing ones of `paths` to the file's imports. Returns no
 * edits when all are present. The result is gofmt-clean: paths are inserted in
 * sorted order into the first import group, or as `import "p"` declarations
 * after the package clause when the file has no grouped import.
 */
export function importEdits(file: FileSyntax, paths: string[]): TextEdit[] {
  const have = new Set(Object.values(file.summary.imports));
  // Blank and dot imports are not in summary.imports; look at the specs too.
  const root = file.tree.rootNode;
  const decls = root.namedChildren.filter((n): n is Node => n?.type === "import_declaration");
  for (const d of decls) for (const spec of specsOf(d)) have.add(unquote(spec.childForFieldName("path")?.text ?? ""));
  const missing = [...new Set(paths)].filter((p) => !have.has(p)).sort();
  if (missing.length === 0) return [];

  const group = decls
    .map((d) => d.namedChildren.find((c) => c?.type === "import_spec_list"))
    .find((l): l is Node => !!l);
  if (group) {
    const specs = group.namedChildren.filter((c): c is Node => c?.type === "import_spec");
    // The first contiguous run of specs (no blank line between) is the group gofmt sorts.
    const run: Node[] = [];
    for (const s of specs) {
      if (run.length && s.startPosition.row > run[run.length - 1]!.endPosition.row + 1) break;
      run.push(s);
    }
    const indent = "\t";
    const edits: TextEdit[] = [];
    for (const p of missing) {
      const before = run.find((s) => unquote(s.childForFieldName("path")?.text ?? "") > p);
      if (before) edits.push({ file: file.file, range: at(before.startPosition.row, 0), newText: `${indent}"${p}"\n` });
      else if (run.length) {
        const last = run[run.length - 1]!;
        edits.push({ file: file.file, range: at(last.endPosition.row + 1, 0), newText: `${indent}"${p}"\n` });
      } else {
        edits.push({ file: file.file, range: at(group.startPosition.row + 1, 0), newText: `${indent}"${p}"\n` });
      }
    }
    return mergeSamePoint(edits);
  }
  if (decls.length) {
    // Ungrouped imports: a new declaration after the last one is gofmt-clean.
    const last = decls[decls.length - 1]!;
    return [
      {
        file: file.file,
        range: at(last.endPosition.row + 1, 0),
        newText: missing.map((p) => `import "${p}"\n`).join(""),
      },
    ];
  }
  const pkg = root.namedChildren.find((n) => n?.type === "package_clause");
  const row = pkg ? pkg.endPosition.row + 1 : 0;
  const text =
    missing.length === 1 ? `\nimport "${missing[0]}"\n` : `\nimport (\n${missing.map((p) => `\t"${p}"\n`).join("")})\n`;
  return [{ file: file.file, range: at(row, 0), newText: text }];
}

function specsOf(decl: Node): Node[] {
  const out: Node[] = [];
  for (const c of decl.namedChildren) {
    if (c?.type === "import_spec") out.push(c);
    else if (c?.type === "import_spec_list")
      for (const s of c.namedChildren) if (s?.type === "import_spec") out.push(s);
  }
  return out;
}

function unquote(s: string): string {
  return s.replace(/^["`]|["`]$/g, "");
}

/** Insertions at the same point become one edit, so edits never overlap. */
function mergeSamePoint(edits: TextEdit[]): TextEdit[] {
  const byPoint = new Map<string, TextEdit>();
  for (const e of edits) {
    const key = `${e.range.start.line}:${e.range.start.character}`;
    const prev = byPoint.get(key);
    byPoint.set(key, prev ? { ...prev, newText: prev.newText + e.newText } : e);
  }
  return [...byPoint.values()];
}
