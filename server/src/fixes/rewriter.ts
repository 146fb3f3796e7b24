// Nested replacements for one fix: a rewrite of a statement may contain the
// rewrite of an expression inside it (`m[a] = m[b]` becomes a Store whose value
// is the hoisted read of m[b]). Replacements register with a builder; the
// outermost ones are emitted, each building its text from its children's.
// Insertions of whole lines at one offset are concatenated in a fixed order.
import type { FileSyntax } from "../analysis/facts";
import type { Node } from "../parser";
import type { EditSet } from "./map-uses";

interface Rep {
  file: FileSyntax;
  start: number;
  end: number;
  build: () => string;
}

export class Rewriter {
  private readonly reps: Rep[] = [];
  private readonly inserts = new Map<
    string,
    { file: FileSyntax; offset: number; parts: { order: number; text: string }[] }
  >();

  replace(file: FileSyntax, node: Node, build: string | (() => string)): void {
    this.replaceRange(file, node.startIndex, node.endIndex, build);
  }

  replaceRange(file: FileSyntax, start: number, end: number, build: string | (() => string)): void {
    this.reps.push({ file, start, end, build: typeof build === "string" ? () => build : build });
  }

  /** Whole lines inserted at a line start; several at one offset are joined by `order`, then arrival. */
  insert(file: FileSyntax, offset: number, text: string, order = 0): void {
    const key = `${file.file}\0${offset}`;
    let e = this.inserts.get(key);
    if (!e) {
      e = { file, offset, parts: [] };
      this.inserts.set(key, e);
    }
    e.parts.push({ order, text });
  }

  /** The replacements directly inside [start, end) of a file: those not inside another one there. */
  private outermost(file: string, start: number, end: number): Rep[] {
    const inside = this.reps.filter((r) => r.file.file === file && r.start >= start && r.end <= end);
    inside.sort((a, b) => a.start - b.start || b.end - a.end);
    const out: Rep[] = [];
    for (const r of inside) {
      const last = out[out.length - 1];
      if (last && r.start < last.end) continue;
      out.push(r);
    }
    return out;
  }

  /** The text of a range with the replacements inside it applied. */
  textOf(file: FileSyntax, start: number, end: number): string {
    let s = "";
    let at = start;
    for (const r of this.outermost(file.file, start, end)) {
      s += file.text.slice(at, r.start) + r.build();
      at = r.end;
    }
    return s + file.text.slice(at, end);
  }

  /** The text of a node with the replacements inside it applied. */
  sub(file: FileSyntax, node: Node): string {
    return this.textOf(file, node.startIndex, node.endIndex);
  }

  /** Adds the outermost replacements and the insertions to an edit set. */
  emit(edits: EditSet): void {
    const files = new Map<string, FileSyntax>();
    for (const r of this.reps) files.set(r.file.file, r.file);
    for (const file of files.values()) {
      for (const r of this.outermost(file.file, 0, file.text.length)) edits.add(file, r.start, r.end, r.build());
    }
    for (const e of this.inserts.values()) {
      const parts = [...e.parts].sort((a, b) => a.order - b.order);
      edits.insert(e.file, e.offset, parts.map((p) => p.text).join(""));
    }
  }
}
