// The parsed files of a package, for rules whose fixes rewrite every use of a
// package-level map in every file of the package, while the language server
// analyses one file at a time. Without them the server would offer no map
// fix in a multi-file package and its messages would differ from the CLI's.
//
// Closed files of a package being edited are parsed from disk once and kept
// while their summary in the workspace model stays the same object (the model
// replaces it when it re-reads the file) and while a file of their directory
// is open. Everything else (open documents, whose text changes with every
// keystroke, and closed packages during a scan) lives for one turn of the
// event loop.
import { normalizeText, parseFile } from "../analysis/engine";
import type { FileSummary, FileSyntax } from "../analysis/facts";
import type { Tree } from "../parser";
import { readGoFile } from "./discover";

export interface SiblingSource {
  /** An open document's text and its tree (null when the tree lags behind the text); undefined when not open. */
  open(file: string): { text: string; tree: Tree | null } | undefined;
  /** The model's current summary of a file, undefined when it has none (unreadable, generated). */
  summary(file: string): FileSummary | undefined;
  /** Whether a closed file's tree is worth keeping beyond this turn (a file of its package is open). */
  keep(file: string): boolean;
}

interface Owned {
  syntax: FileSyntax;
  /** The tree was parsed here (not borrowed from a document), so it is deleted here. */
  owned: boolean;
}

export class SiblingCache {
  private readonly closed = new Map<string, { summary: FileSummary; syntax: FileSyntax }>();
  private readonly turn = new Map<string, Owned | null>();
  private releasing = false;

  constructor(private readonly source: SiblingSource) {}

  /** The file parsed with its facts, or undefined when it cannot be. */
  load(file: string): FileSyntax | undefined {
    const open = this.source.open(file);
    if (open) return this.loadOpen(file, open);
    const summary = this.source.summary(file);
    if (!summary) return undefined;
    const hit = this.closed.get(file);
    if (hit?.summary === summary) return hit.syntax;
    this.evict(file);
    const turn = this.turn.get(file);
    if (turn !== undefined) return turn?.syntax;
    const r = readGoFile(file);
    let syntax: FileSyntax | undefined;
    try {
      if ("text" in r) syntax = parseFile(file, normalizeText(r.text));
    } catch {
      syntax = undefined;
    }
    if (syntax && this.source.keep(file)) this.closed.set(file, { summary, syntax });
    else this.remember(file, syntax ? { syntax, owned: true } : null);
    return syntax;
  }

  private loadOpen(file: string, open: { text: string; tree: Tree | null }): FileSyntax | undefined {
    if (this.closed.has(file)) this.evict(file);
    const hit = this.turn.get(file);
    if (hit !== undefined) return hit?.syntax;
    let entry: Owned | null = null;
    try {
      entry = open.tree
        ? { syntax: parseFile(file, open.text, open.tree), owned: false }
        : { syntax: parseFile(file, open.text), owned: true };
    } catch {
      entry = null;
    }
    this.remember(file, entry);
    return entry?.syntax;
  }

  /** Keeps an entry until the end of this turn. */
  private remember(file: string, entry: Owned | null): void {
    this.turn.set(file, entry);
    if (!this.releasing) {
      this.releasing = true;
      setImmediate(() => this.releaseTurn());
    }
  }

  private releaseTurn(): void {
    this.releasing = false;
    for (const e of this.turn.values()) if (e?.owned) e.syntax.tree.delete();
    this.turn.clear();
  }

  /** Forgets a closed file's tree. */
  evict(file: string): void {
    const hit = this.closed.get(file);
    if (!hit) return;
    hit.syntax.tree.delete();
    this.closed.delete(file);
  }

  /** Forgets the closed files whose path satisfies the predicate (a directory with no open file left). */
  evictWhere(pred: (file: string) => boolean): void {
    for (const file of [...this.closed.keys()]) if (pred(file)) this.evict(file);
  }

  dispose(): void {
    this.evictWhere(() => true);
    this.releaseTurn();
  }
}
