// The language server's WorkspaceFacts: what fixes that rewrite other files
// (typed context keys) may know about the whole workspace, taken from the
// workspace model's summaries (open files' current text, closed files' from
// disk). Built lazily, since only such fixes ask, and thrown away once the
// current piece of work is done: the facts promise not to change while they
// live, and the files they parse on demand hold trees that must be freed.
import type { FileSyntax } from "../analysis/facts";
import type { GoModule } from "../analysis/types";
import { WorkspaceIndex, workspaceFileOf, type WorkspaceFacts, type WorkspaceFile } from "../analysis/workspace";
import type { FileSummary } from "../analysis/facts";

export interface FactsSource {
  /** Every analysed Go file with its current summary. */
  summaries(): Iterable<FileSummary>;
  /** Records of files that are not analysed but count as uses (generated code). */
  extra(): Iterable<WorkspaceFile>;
  /** The current text of a file: the editor's for open files, else the disk's (normalized); undefined when unreadable. */
  textOf(file: string): string | undefined;
  moduleFor(file: string): GoModule | undefined;
}

/**
 * WorkspaceFacts valid for one turn of the event loop: the index is built on
 * first use and dropped (trees freed, memo cleared) at the next turn, so an
 * analysis that runs in slices sees fresh facts in each slice.
 */
export class TurnFacts implements WorkspaceFacts {
  private index: WorkspaceIndex | undefined;
  private releasing = false;

  constructor(private readonly source: FactsSource) {}

  private get current(): WorkspaceIndex {
    if (!this.index) {
      const records: WorkspaceFile[] = [];
      for (const s of this.source.summaries()) records.push(workspaceFileOf(s));
      records.push(...this.source.extra());
      this.index = new WorkspaceIndex(
        records,
        (f) => this.source.textOf(f),
        (f) => this.source.moduleFor(f),
      );
    }
    if (!this.releasing) {
      this.releasing = true;
      setImmediate(() => this.release());
    }
    return this.index;
  }

  get memo(): Map<string, unknown> {
    return this.current.memo;
  }

  filesUsingKey(value: string): readonly WorkspaceFile[] {
    return this.current.filesUsingKey(value);
  }

  dirFiles(dir: string): readonly WorkspaceFile[] {
    return this.current.dirFiles(dir);
  }

  dirOfImport(importPath: string): string | undefined {
    return this.current.dirOfImport(importPath);
  }

  load(file: string): FileSyntax | undefined {
    return this.current.load(file);
  }

  moduleFor(file: string): GoModule | undefined {
    return this.source.moduleFor(file);
  }

  /** Frees the parsed trees; the next use builds the facts again. */
  release(): void {
    this.releasing = false;
    this.index?.dispose();
    this.index = undefined;
  }
}
