// The syntax tree of each open file. Edits are applied to the tree as they
// arrive (tree.edit) and the file is re-parsed incrementally from the edited
// tree; the replaced tree is deleted. A re-parse that runs past its time cap
// is dropped and redone later in full, because resuming a cancelled parse of
// broken code gives a different tree in web-tree-sitter 0.27.
import type { Edit, Tree } from "./parser";
import { newParser, parseGo } from "./parser";
import type { TextChange } from "./documents";

/** An index range of the new tree whose syntax differs from the old one. */
export interface ChangedRange {
  startIndex: number;
  endIndex: number;
}

export interface ParseResult {
  tree: Tree;
  /** The edits since the previous tree, in order. */
  edits: TextChange[];
  /** Where the structure changed (index ranges of the new tree), beyond the edited text itself. */
  changed: ChangedRange[];
  /** There was no previous tree: everything is new. */
  fresh: boolean;
  /** Milliseconds the parse took. */
  ms: number;
}

/** The tree-sitter form of a change; rows and columns are UTF-16 units like the indices. */
export function treeEdit(c: TextChange): Edit {
  // web-tree-sitter reads these six fields; the Edit class adds only helper methods.
  return {
    startIndex: c.startIndex,
    oldEndIndex: c.oldEndIndex,
    newEndIndex: c.newEndIndex,
    startPosition: { row: c.start.line, column: c.start.character },
    oldEndPosition: { row: c.oldEnd.line, column: c.oldEnd.character },
    newEndPosition: { row: c.newEnd.line, column: c.newEnd.character },
  } as Edit;
}

export class DocumentTree {
  private tree: Tree | null = null;
  private readonly parser = newParser();
  private edits: TextChange[] = [];
  private disposed = false;

  /** The last complete tree; it matches the text only when nothing is pending. */
  get current(): Tree | null {
    return this.tree;
  }

  /** Edits were applied since the last parse (or a parse timed out). */
  get pending(): boolean {
    return this.edits.length > 0 || this.tree === null;
  }

  /** Applies one change to the tree; call it for each change, in order, before parse(). */
  edit(change: TextChange): void {
    this.tree?.edit(treeEdit(change));
    this.edits.push(change);
  }

  /** Forgets the tree so that the next parse starts from scratch (after a full-text change). */
  reset(): void {
    this.tree?.delete();
    this.tree = null;
  }

  /**
   * Re-parses the text, reusing the edited tree. Returns null when the parse
   * ran past `timeoutMs`; the edits stay pending and a later call redoes it.
   */
  parse(text: string, timeoutMs?: number): ParseResult | null {
    if (this.disposed) throw new Error("the document's tree was disposed");
    const old = this.tree;
    const t0 = performance.now();
    const next = parseGo(text, old, timeoutMs === undefined ? {} : { timeoutMs }, this.parser);
    const ms = performance.now() - t0;
    if (!next) return null;
    const changed = old
      ? old.getChangedRanges(next).map((r) => ({ startIndex: r.startIndex, endIndex: r.endIndex }))
      : [];
    old?.delete();
    this.tree = next;
    const edits = this.edits;
    this.edits = [];
    return { tree: next, edits, changed, fresh: old === null, ms };
  }

  dispose(): void {
    this.disposed = true;
    this.tree?.delete();
    this.tree = null;
    this.parser.delete();
  }
}
