// The language server's picture of the workspace, with no LSP in it: every Go
// file's summary (open files from their current text, closed ones from disk),
// grouped into packages (directory + package clause), and every file's
// findings. When a file's share of its package facts changes, the other files
// of the package are analysed again. The owner (server/src/lsp/) turns the
// host callbacks into notifications.
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_FILE } from "../analysis/config";
import { analyzeFile, normalizeText, parseFile, type AnalysisOptions, type RuleFailure } from "../analysis/engine";
import { isGenerated, type FileSummary, type FileSyntax } from "../analysis/facts";
import { PackageFacts } from "../analysis/package";
import type { Finding, SeveritySetting } from "../analysis/types";
import type { ApplyResult, OpenDocument } from "../documents";
import type { Rule } from "../analysis/rule";
import { DocumentTree } from "../trees";
import { discover, readGoFile } from "./discover";
import { workspaceFileOf, type WorkspaceFile } from "../analysis/workspace";
import { TurnFacts } from "./facts";
import { SiblingCache } from "./siblings";
import { clearModuleCache, moduleForFile } from "./gomod";
import { factsKey, FileAnalysis, type AnalysisContext, type RebuildJob } from "./incremental";
import { analyzeDirectory, directoryOptions, type DirectoryResult } from "./check";
import { moduleForDir } from "./gomod";
import { AnalysisPool, defaultJobs, registeredRules, type DirectoryJob } from "./pool";
import type { WorkspaceResolver } from "./resolver";
import { KeystrokeWarmUp, type WarmUpResult } from "./warmup";

export interface WorkspaceHost {
  /** New findings for a file; `version` is the open document's, null for files read from disk. */
  publish(file: string, findings: readonly Finding[], version: number | null): void;
  log(level: "error" | "warning" | "info", message: string): void;
  ruleFailed(failure: RuleFailure): void;
  /** Timings of open-file analyses, for a verbose trace (and the editor benchmark). */
  trace?(message: string): void;
}

export interface Timing {
  /** A re-parse on the typing path that takes longer is dropped and redone in full later. */
  parseTimeoutMs: number;
  /** When a re-parse timed out, how long typing must pause before the full parse. */
  deferredParseMs: number;
  /** After per-declaration updates, how long typing must pause before the exact whole-file analysis. */
  idleRebuildMs: number;
  /** The same, when the file's package facts changed (its other declarations may see them). */
  factsRebuildMs: number;
  /** Files whose whole analysis takes less than this are analysed whole on every change. */
  wholeFileBudgetMs: number;
  /** More declarations to re-analyse than this after one change: analyse the file whole, in slices. */
  maxDeclarationsPerChange: number;
  /** Length of one slice of a whole-file analysis. */
  sliceMs: number;
}

export const DEFAULT_TIMING: Readonly<Timing> = Object.freeze({
  parseTimeoutMs: 50,
  deferredParseMs: 150,
  idleRebuildMs: 400,
  factsRebuildMs: 30,
  wholeFileBudgetMs: 8,
  maxDeclarationsPerChange: 24,
  sliceMs: 12,
});

export interface ScanProgress {
  begin?(total: number): void;
  report(done: number, total: number): void;
  readonly cancelled: boolean;
}

export interface ScanResult {
  files: number;
  findings: number;
  ms: number;
  cancelled: boolean;
}

export type ProblemsScope = "workspace" | "openFiles";

/** A timeout or an immediate (for a zero delay), whichever is pending. */
class Timer {
  private cancel: (() => void) | undefined;

  set(ms: number, fn: () => void): void {
    this.clear();
    const run = (): void => {
      this.cancel = undefined;
      fn();
    };
    if (ms <= 0) {
      const h = setImmediate(run);
      this.cancel = () => clearImmediate(h);
    } else {
      const h = setTimeout(run, ms);
      this.cancel = () => clearTimeout(h);
    }
  }

  get pending(): boolean {
    return this.cancel !== undefined;
  }

  clear(): void {
    this.cancel?.();
    this.cancel = undefined;
  }
}

interface OpenState {
  doc: OpenDocument;
  tree: DocumentTree;
  analysis: FileAnalysis;
  analyzeTimer: Timer;
  rebuildTimer: Timer;
  /** Milliseconds the last whole-file analysis took. */
  wholeMs: number;
  /** The next analysis must cover the whole file (package facts changed, settings changed). */
  needsWhole: boolean;
  /** A re-parse timed out: the next one runs in full once typing pauses. */
  deferred: boolean;
  /** A whole-file analysis running in slices, and its timer. */
  job?: RebuildJob;
  jobTimer: Timer;
  /** The running whole-file analysis replaces published findings only when they differ. */
  publishOnlyChanges: boolean;
  /** The document version the file's findings were computed for (undefined before the first analysis). */
  findingsVersion?: number;
  /** The findings come from a whole-file analysis (not per-declaration updates, which may lag behind). */
  findingsExact: boolean;
  /** Package facts built for the file's current summary, and the package generation they saw. */
  facts?: { summary: FileSummary; generation: number; facts: PackageFacts };
}

interface FileState {
  file: string;
  dir: string;
  summary?: FileSummary;
  /** factsKey(summary): equal keys, equal package facts. */
  key?: string;
  /** Package key: directory and package clause. */
  pkg?: string;
  findings: Finding[];
  /** What was last published for the file (JSON), "" for nothing. */
  published: string;
  mtimeMs?: number;
  /** Generated (on disk): its summary feeds package facts, it gets no findings. */
  generated?: boolean;
  open?: OpenState;
}

function pkgKey(dir: string, name: string): string {
  return `${dir}\n${name}`;
}

function findingsKey(findings: readonly Finding[]): string {
  return findings.length === 0 ? "" : JSON.stringify(findings);
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Workspace {
  private readonly files = new Map<string, FileState>();
  private readonly packages = new Map<string, Set<string>>();
  private readonly factsCache = new Map<string, PackageFacts>();
  /**
   * Stamped from one counter whenever a summary of the package changes, even only
   * in positions. A package whose last file leaves loses its entries (the server
   * sees thousands of packages come and go); a stamp is never reused, and an
   * absent one stands for the package with no recorded files, whose facts are
   * the same each time.
   */
  private readonly generations = new Map<string, number>();
  private lastGeneration = 0;
  private readonly queue = new Set<string>();
  private queueRunning = false;
  private scanToken: { cancelled: boolean } | undefined;
  private disposed = false;
  scope: ProblemsScope = "workspace";
  /** Debounce of analyses after a change, in milliseconds. */
  delay = 15;
  /** Worker threads for the workspace scan; 0 scans in this thread. */
  scanThreads = defaultJobs();
  /** Scans of fewer closed files than this stay in this thread: starting workers would cost more. */
  minFilesForThreads = 200;

  constructor(
    private readonly host: WorkspaceHost,
    readonly resolver: WorkspaceResolver,
    private readonly rules: readonly Rule[],
    private readonly knownRules: ReadonlySet<string>,
    private readonly timing: Timing = DEFAULT_TIMING,
  ) {}

  /** Facts about the whole workspace for fixes that edit other files (typed context keys); rebuilt on use each turn. */
  private readonly workspaceFacts = new TurnFacts({
    summaries: () => this.summaries(),
    extra: () => this.generatedRecords.values(),
    textOf: (file) => {
      const open = this.files.get(file)?.open;
      if (open) return open.doc.text;
      const r = readGoFile(file);
      return "text" in r ? normalizeText(r.text) : undefined;
    },
    moduleFor: (file) => (path.isAbsolute(file) ? moduleForFile(file) : undefined),
  });

  get options(): AnalysisOptions {
    return {
      rules: this.rules,
      knownRules: this.knownRules,
      severityFor: (rule, file) => this.resolver.severityFor(rule, file),
      // Fixes depend on the module's go version, as in the CLI.
      moduleFor: (file) => (path.isAbsolute(file) ? moduleForFile(file) : undefined),
      workspace: this.workspaceFacts,
      siblingsOf: (syntax) => this.siblingsOf(syntax),
    };
  }

  /** Parsed package files for fixes that rewrite every file of a package (map conversions). */
  private readonly siblingCache = new SiblingCache({
    open: (file) => {
      const o = this.files.get(file)?.open;
      return o ? { text: o.doc.text, tree: o.tree.pending ? null : o.tree.current } : undefined;
    },
    summary: (file) => this.files.get(file)?.summary,
    keep: (file) => {
      const dir = path.dirname(file);
      for (const st of this.files.values()) if (st.open && st.dir === dir) return true;
      return false;
    },
  });

  /**
   * Every file of the analysed file's package, parsed, with `syntax` standing
   * for the file itself; undefined when one cannot be read (then rules offer
   * no package-wide fix, as the CLI does not for unreadable files either).
   */
  private siblingsOf(syntax: FileSyntax): readonly FileSyntax[] | undefined {
    const st = this.files.get(syntax.file);
    if (!st) return undefined;
    // The per-declaration runs of one update share text, tree and summary:
    // one array for all of them lets rules share work keyed by it.
    const memo = this.siblingMemo.get(syntax.file);
    if (memo && memo.text === syntax.text && memo.tree === syntax.tree && memo.summary === syntax.summary)
      return memo.list;
    const out: FileSyntax[] = [syntax];
    let list: FileSyntax[] | undefined = out;
    for (const f of this.packages.get(pkgKey(st.dir, syntax.summary.packageName)) ?? []) {
      if (f === syntax.file) continue;
      const s = this.siblingCache.load(f);
      if (!s) {
        list = undefined;
        break;
      }
      out.push(s);
    }
    list?.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    if (this.siblingMemo.size === 0) setImmediate(() => this.siblingMemo.clear());
    this.siblingMemo.set(syntax.file, { text: syntax.text, tree: syntax.tree, summary: syntax.summary, list });
    return list;
  }

  private readonly siblingMemo = new Map<
    string,
    { text: string; tree: FileSyntax["tree"]; summary: FileSummary; list: readonly FileSyntax[] | undefined }
  >();

  /** Generated files of the workspace: never analysed, but a typed-key fix must know when they use a key. */
  private readonly generatedRecords = new Map<string, WorkspaceFile>();

  /** Records whether a closed file is generated; its summary then stands for it in the workspace facts as generated. */
  private noteGenerated(st: FileState, generated: boolean): void {
    st.generated = generated;
    if (generated && st.summary && path.isAbsolute(st.file))
      this.generatedRecords.set(st.file, workspaceFileOf(st.summary, true));
    else this.generatedRecords.delete(st.file);
  }

  private *summaries(): Iterable<FileSummary> {
    for (const st of this.files.values()) if (st.summary && !st.generated && path.isAbsolute(st.file)) yield st.summary;
  }

  /**
   * Runs an open file's whole-file analysis at once when its findings are for
   * the current text but came from per-declaration updates, or when `again`
   * (their fixes edit other files, which may have changed since). The
   * findings are published if they differ. Nothing happens while the
   * findings are behind the text: callers treat those as stale.
   */
  settle(file: string, again = false): void {
    const st = this.files.get(file);
    const o = st?.open;
    if (!st || !o || o.findingsVersion !== o.doc.version || o.tree.pending || !o.tree.current) return;
    if (o.findingsExact && !again) return;
    o.rebuildTimer.clear();
    o.jobTimer.clear();
    o.publishOnlyChanges = true;
    this.startWhole(st, true);
  }

  /** Current findings of a file (open or closed), whatever the problems scope. */
  findingsOf(file: string): readonly Finding[] {
    return this.files.get(file)?.findings ?? [];
  }

  /**
   * A file's findings for code actions, with the document version they were
   * computed for: an open file's lag behind its text while an analysis is
   * pending (then `version` is older than `docVersion`, or undefined before
   * the first one); a closed file's come from disk (both null).
   */
  actionFindings(file: string): {
    findings: readonly Finding[];
    version: number | null | undefined;
    docVersion: number | null;
    /** From a whole-file analysis (closed files always are). */
    exact: boolean;
  } {
    const st = this.files.get(file);
    if (!st?.open) return { findings: st?.findings ?? [], version: null, docVersion: null, exact: true };
    const o = st.open;
    return { findings: st.findings, version: o.findingsVersion, docVersion: o.doc.version, exact: o.findingsExact };
  }

  /** Totals for status displays. */
  stats(): { files: number; findings: number; open: number } {
    let findings = 0;
    let open = 0;
    let files = 0;
    for (const st of this.files.values()) {
      if (st.summary) files++;
      if (st.open) open++;
      findings += st.findings.length;
    }
    return { files, findings, open };
  }

  /**
   * Types into a file of its own (warmup.ts), one keystroke per turn of the
   * event loop, so that the first keystrokes in the user's files run compiled
   * code. Resolves with what it did, or undefined when it stopped early.
   */
  warmUp(keystrokes?: number): Promise<WarmUpResult | undefined> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      let w: KeystrokeWarmUp | undefined;
      const fail = (e: unknown): void => {
        w?.dispose();
        this.host.log("warning", `warming up failed: ${describe(e)}`);
        resolve(undefined);
      };
      const next = (): void => {
        try {
          if (this.disposed) {
            w?.dispose();
            resolve(undefined);
            return;
          }
          w ??= new KeystrokeWarmUp(this.options, keystrokes);
          if (w.step()) {
            setImmediate(next);
            return;
          }
          // Logged at start-up, before any settings are known: trace is off then.
          this.host.log("info", `warm-up: ${w.result.keystrokes} keystrokes in ${ms(t0)} ms`);
          resolve(w.result);
        } catch (e) {
          fail(e);
        }
      };
      setImmediate(next);
    });
  }

  // ---- open documents -------------------------------------------------------

  open(doc: OpenDocument): void {
    const st = this.state(doc.file);
    if (st.open) this.disposeOpen(st.open);
    st.open = {
      doc,
      tree: new DocumentTree(),
      analysis: new FileAnalysis(doc.file),
      analyzeTimer: new Timer(),
      rebuildTimer: new Timer(),
      wholeMs: 0,
      needsWhole: true,
      deferred: false,
      jobTimer: new Timer(),
      publishOnlyChanges: false,
      findingsExact: false,
    };
    st.open.analyzeTimer.set(0, () => this.analyzeOpen(st, true));
  }

  /** Applies a didChange to the tree and the cached findings, and schedules the analysis. */
  change(file: string, result: ApplyResult): void {
    const o = this.files.get(file)?.open;
    if (!o) return;
    if (result.replacedAll) {
      o.tree.reset();
      o.analysis.reset();
      o.needsWhole = true;
    } else {
      for (const c of result.changes) {
        o.tree.edit(c);
        o.analysis.applyChange(c);
      }
    }
    o.rebuildTimer.clear();
    // A whole-file analysis of the previous text is worth nothing now.
    o.jobTimer.clear();
    o.job = undefined;
    const st = this.files.get(file)!;
    if (o.deferred)
      o.analyzeTimer.set(Math.max(this.delay, this.timing.deferredParseMs), () => this.analyzeOpen(st, true));
    else o.analyzeTimer.set(this.delay, () => this.analyzeOpen(st, false));
  }

  close(file: string): void {
    const st = this.files.get(file);
    if (!st?.open) return;
    this.disposeOpen(st.open);
    st.open = undefined;
    // The package's parsed files were kept for editing it.
    if (![...this.files.values()].some((o) => o.open && o.dir === st.dir))
      this.siblingCache.evictWhere((f) => path.dirname(f) === st.dir);
    // What the editor shows is the buffer's findings: the next publish must replace them.
    st.published = "\0open";
    if (path.isAbsolute(file) && this.resolver.inWorkspace(file) && fs.existsSync(file)) {
      // Keep showing them until the file's findings from disk are ready.
      if (this.scope === "openFiles") this.publishClosed(st);
      this.enqueue(file);
    } else {
      this.remove(file, true);
    }
  }

  private disposeOpen(o: OpenState): void {
    o.analyzeTimer.clear();
    o.rebuildTimer.clear();
    o.jobTimer.clear();
    o.job = undefined;
    o.tree.dispose();
  }

  /** Why an open file is not analysed, or null: excluded by configuration, or generated. */
  private skipReason(st: FileState, text: string): string | null {
    if (path.isAbsolute(st.file) && this.resolver.isExcluded(st.file, false)) return "excluded";
    if (isGenerated(text)) return "generated";
    return null;
  }

  private analyzeOpen(st: FileState, uncapped: boolean): void {
    const o = st.open;
    if (!o || this.disposed) return;
    const started = performance.now();
    try {
      const text = o.doc.text;
      if (this.skipReason(st, text)) {
        const oldPkg = st.pkg;
        if (this.setSummary(st, undefined)) this.refreshPackage(st, oldPkg);
        st.findings = [];
        o.findingsVersion = o.doc.version;
        o.findingsExact = true;
        this.host.publish(st.file, [], o.doc.version);
        return;
      }
      const res = o.tree.parse(text, uncapped || o.tree.current === null ? undefined : this.timing.parseTimeoutMs);
      if (!res) {
        // A pathological re-parse (broken syntax in a large file): keep the
        // findings shown and parse in full once typing pauses.
        this.host.trace?.(`analysis of ${st.file} v${o.doc.version}: ${ms(started)} ms (parse timed out, deferred)`);
        o.deferred = true;
        o.analyzeTimer.set(Math.max(this.delay, this.timing.deferredParseMs), () => this.analyzeOpen(st, true));
        return;
      }
      o.deferred = false;
      const ctx = this.contextFor(st);
      const small = o.wholeMs <= this.timing.wholeFileBudgetMs;
      // Small files are analysed whole on every change; large ones per
      // declaration, unless too much changed (then whole, in slices).
      const tried = !(o.needsWhole || res.fresh || small);
      const upd = tried
        ? o.analysis.update(text, res.tree, res.changed, ctx, this.timing.maxDeclarationsPerChange)
        : null;
      if (!upd) {
        o.needsWhole = true;
        // Large files reuse map fix sets that the edit left alone; the exact run follows when typing pauses.
        this.startWhole(st, small && !res.fresh, !small);
        this.host.trace?.(
          `analysis of ${st.file} v${o.doc.version}: ${ms(started)} ms (parse ${res.ms.toFixed(2)} ms${uncapped ? " in full" : ""}, whole file${o.job ? " in slices" : ""}${tried ? `: ${o.analysis.missed}` : ""})`,
        );
        return;
      }
      this.reportFailures(upd.failures);
      const oldPkg = st.pkg;
      const factsChanged = upd.summary !== st.summary && this.setSummary(st, upd.summary, !upd.factsChanged);
      st.findings = upd.findings;
      o.findingsVersion = o.doc.version;
      o.findingsExact = false;
      this.host.publish(st.file, upd.findings, o.doc.version);
      this.host.trace?.(
        `analysis of ${st.file} v${o.doc.version}: ${ms(started)} ms (parse ${res.ms.toFixed(2)} ms${uncapped ? " in full" : ""}, ` +
          `${upd.analyzed} declarations${factsChanged ? ", package facts changed" : ""})`,
      );
      if (factsChanged) this.refreshPackage(st, oldPkg);
      this.scheduleExact(st, factsChanged);
    } catch (e) {
      this.host.log("error", `analysing ${st.file} failed: ${describe(e)}`);
    }
  }

  /** The exact whole-file analysis once typing pauses (sooner when package facts changed). */
  private scheduleExact(st: FileState, soon: boolean): void {
    const o = st.open!;
    o.rebuildTimer.set(soon ? this.timing.factsRebuildMs : this.timing.idleRebuildMs, () => {
      if (!o.tree.pending && !o.analyzeTimer.pending && !o.job) {
        o.publishOnlyChanges = true;
        this.startWhole(st, false);
      }
    });
  }

  /**
   * The whole-file analysis of an open file whose tree is up to date. Runs at
   * once when it is known to be quick, else in slices between other messages;
   * an edit drops it (analyzeOpen starts another). With `reuse`, map fix sets
   * of earlier runs stand in where no edit touched them; a result that used
   * one is not exact, and the exact run is scheduled.
   */
  private startWhole(st: FileState, atOnce: boolean, reuse = false): void {
    const o = st.open!;
    o.job = undefined;
    const tree = o.tree.current;
    if (!tree || o.tree.pending) return;
    const version = o.doc.version;
    const text = o.doc.text;
    const t0 = performance.now();
    const job = o.analysis.startRebuild(text, tree, this.contextFor(st), reuse);
    const slice = (): void => {
      if (o.job !== job || st.open !== o || this.disposed) return;
      try {
        const upd = job.step(atOnce ? Infinity : performance.now() + this.timing.sliceMs);
        if (!upd) {
          o.jobTimer.set(0, slice);
          return;
        }
        o.job = undefined;
        o.needsWhole = false;
        o.wholeMs = performance.now() - t0;
        this.reportFailures(upd.failures);
        const oldPkg = st.pkg;
        const factsChanged = upd.summary !== st.summary && this.setSummary(st, upd.summary);
        const before = o.publishOnlyChanges ? findingsKey(st.findings) : undefined;
        o.publishOnlyChanges = false;
        st.findings = upd.findings;
        o.findingsVersion = version;
        o.findingsExact = !upd.reused;
        if (before === undefined || findingsKey(upd.findings) !== before)
          this.host.publish(st.file, upd.findings, version);
        this.host.trace?.(
          `whole-file analysis of ${st.file} v${version}: ${ms(t0)} ms${upd.reused ? " (fix sets reused)" : ""}`,
        );
        if (factsChanged) this.refreshPackage(st, oldPkg);
        if (upd.reused) this.scheduleExact(st, factsChanged);
      } catch (e) {
        o.job = undefined;
        this.host.log("error", `analysing ${st.file} failed: ${describe(e)}`);
      }
    };
    o.job = job;
    if (atOnce) slice();
    else o.jobTimer.set(0, slice);
  }

  private contextFor(st: FileState): AnalysisContext {
    return { opts: this.options, packageFor: (summary) => this.packageFactsWith(st, summary) };
  }

  // ---- packages -------------------------------------------------------------

  private state(file: string): FileState {
    let st = this.files.get(file);
    if (!st) {
      st = { file, dir: path.isAbsolute(file) ? path.dirname(file) : file, findings: [], published: "" };
      this.files.set(file, st);
    }
    return st;
  }

  /**
   * Records a file's summary in the package index. Returns whether its package
   * facts changed; `sameFacts` skips the comparison when the caller knows.
   */
  private setSummary(st: FileState, summary: FileSummary | undefined, sameFacts = false): boolean {
    const oldPkg = st.pkg;
    const oldKey = st.key;
    st.summary = summary;
    st.pkg = summary ? pkgKey(st.dir, summary.packageName) : undefined;
    if (!sameFacts || oldPkg !== st.pkg) st.key = summary ? factsKey(summary) : undefined;
    if (oldPkg !== st.pkg) {
      const left = oldPkg ? this.packages.get(oldPkg) : undefined;
      if (left?.delete(st.file) && left.size === 0) this.packages.delete(oldPkg!);
      if (st.pkg) {
        let set = this.packages.get(st.pkg);
        if (!set) this.packages.set(st.pkg, (set = new Set()));
        set.add(st.file);
      }
    }
    for (const pkg of [oldPkg, st.pkg]) {
      if (!pkg) continue;
      this.factsCache.delete(pkg);
      if (this.packages.has(pkg)) this.generations.set(pkg, ++this.lastGeneration);
      else this.generations.delete(pkg);
    }
    return oldKey !== st.key || oldPkg !== st.pkg;
  }

  private summariesOf(pkg: string, except?: string): FileSummary[] {
    const out: FileSummary[] = [];
    for (const f of this.packages.get(pkg) ?? []) {
      if (f === except) continue;
      const s = this.files.get(f)?.summary;
      if (s) out.push(s);
    }
    return out;
  }

  private packageFacts(pkg: string): PackageFacts {
    let facts = this.factsCache.get(pkg);
    if (!facts) {
      const [dir, name] = pkg.split("\n") as [string, string];
      facts = new PackageFacts(name, dir, this.summariesOf(pkg).sort(byFile));
      this.factsCache.set(pkg, facts);
    }
    return facts;
  }

  /** The package facts with `summary` standing for the file (an open file's summary before it is recorded). */
  private packageFactsWith(st: FileState, summary: FileSummary): PackageFacts {
    const pkg = pkgKey(st.dir, summary.packageName);
    const generation = this.generations.get(pkg) ?? 0;
    const cached = st.open?.facts;
    if (cached && cached.summary === summary && cached.generation === generation) return cached.facts;
    const facts = new PackageFacts(
      summary.packageName,
      st.dir,
      [summary, ...this.summariesOf(pkg, st.file)].sort(byFile),
    );
    if (st.open) st.open.facts = { summary, generation, facts };
    return facts;
  }

  /** The other files of the file's package (old and new, when its package clause changed) need another look. */
  private refreshPackage(st: FileState, oldPkg: string | undefined): void {
    const others = new Set<string>();
    for (const pkg of [oldPkg, st.pkg]) {
      if (!pkg) continue;
      for (const f of this.packages.get(pkg) ?? []) if (f !== st.file) others.add(f);
    }
    for (const f of others) this.refresh(f);
  }

  private refresh(file: string): void {
    const st = this.files.get(file);
    if (!st) return;
    if (st.open) {
      st.open.needsWhole = true;
      st.open.analysis.forgetFixes();
      if (!st.open.analyzeTimer.pending) st.open.analyzeTimer.set(0, () => this.analyzeOpen(st, false));
    } else {
      this.enqueue(file);
    }
  }

  // ---- closed files ---------------------------------------------------------

  private enqueue(file: string): void {
    this.queue.add(file);
    if (this.queueRunning) return;
    this.queueRunning = true;
    setImmediate(() => void this.drainQueue());
  }

  private async drainQueue(): Promise<void> {
    try {
      while (this.queue.size > 0 && !this.disposed) {
        const started = performance.now();
        while (this.queue.size > 0 && performance.now() - started < 20) {
          const first = this.queue.values().next().value as string;
          const dir = path.dirname(first);
          const batch = [...this.queue].filter((f) => path.dirname(f) === dir);
          for (const f of batch) this.queue.delete(f);
          this.analyzeClosed(batch);
        }
        await yieldToEvents();
      }
    } finally {
      this.queueRunning = false;
    }
  }

  /** Reads, parses and analyses closed files of one directory (one package batch). */
  private analyzeClosed(files: readonly string[]): void {
    const batch = new Set(files);
    const changedPkgs = new Set<string>();
    const parsed: { st: FileState; syntax: ReturnType<typeof parseFile> }[] = [];
    try {
      for (const file of files) {
        const st = this.state(file);
        if (st.open) continue;
        if (!this.resolver.inWorkspace(file)) {
          this.remove(file, true);
          continue;
        }
        const r = readGoFile(file);
        if ("skip" in r) {
          // Generated: what it declares is part of the package (as in the CLI); no findings.
          let summary: FileSummary | undefined;
          try {
            const syntax = parseFile(file, normalizeText(r.source));
            summary = syntax.summary;
            syntax.tree.delete();
          } catch {
            summary = undefined;
          }
          this.takeDiskResult(st, summary, [], changedPkgs);
          this.noteGenerated(st, true);
          this.publishClosed(st);
          continue;
        }
        this.noteGenerated(st, false);
        if (!("text" in r)) {
          if (!fs.existsSync(file)) this.remove(file, true);
          else {
            this.host.log("info", `${file}: ${r.note}`);
            this.takeDiskResult(st, undefined, [], changedPkgs);
            this.publishClosed(st);
          }
          continue;
        }
        let syntax: ReturnType<typeof parseFile>;
        try {
          syntax = parseFile(file, normalizeText(r.text));
        } catch (e) {
          this.host.log("error", `parsing ${file} failed: ${describe(e)}`);
          continue;
        }
        parsed.push({ st, syntax });
        this.takeDiskResult(st, syntax.summary, st.findings, changedPkgs);
      }
      // A batch that holds a whole package is its own set of siblings.
      const byPkg = new Map<string, FileSyntax[]>();
      for (const { st, syntax } of parsed) byPkg.set(st.pkg!, [...(byPkg.get(st.pkg!) ?? []), syntax]);
      for (const { st, syntax } of parsed) {
        const together = byPkg.get(st.pkg!)!.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
        const siblings = together.length === this.packages.get(st.pkg!)?.size ? together : undefined;
        const r = analyzeFile(syntax, this.packageFacts(st.pkg!), this.options, siblings);
        this.reportFailures(r.failures);
        st.findings = r.findings;
        this.publishClosed(st);
      }
    } finally {
      for (const p of parsed) p.syntax.tree.delete();
    }
    for (const pkg of changedPkgs) {
      for (const f of this.packages.get(pkg) ?? []) if (!batch.has(f)) this.refresh(f);
    }
  }

  /** Records what was read from disk for a closed file: its summary (noting packages whose facts changed) and findings. */
  private takeDiskResult(
    st: FileState,
    summary: FileSummary | undefined,
    findings: Finding[],
    changedPkgs: Set<string>,
  ): void {
    try {
      st.mtimeMs = fs.statSync(st.file).mtimeMs;
    } catch {
      st.mtimeMs = undefined;
    }
    const oldPkg = st.pkg;
    if (this.setSummary(st, summary)) {
      if (oldPkg) changedPkgs.add(oldPkg);
      if (st.pkg) changedPkgs.add(st.pkg);
    }
    st.findings = findings;
  }

  /**
   * Takes the result of analysing a directory of closed files (in a worker
   * thread or in this one with the same options): summaries, generated files,
   * findings, notes. Files opened since keep their buffer's picture.
   */
  private applyDirectory(job: DirectoryJob, result: DirectoryResult): void {
    const summaries = new Map((result.summaries ?? []).map((s) => [s.file, s]));
    const generated = new Set(result.generated);
    const findings = new Map<string, Finding[]>();
    for (const f of result.findings) {
      const list = findings.get(f.file);
      if (list) list.push(f);
      else findings.set(f.file, [f]);
    }
    for (const n of result.notes) if (fs.existsSync(n.file)) this.host.log("info", `${n.file}: ${n.message}`);
    this.reportFailures(result.failures);
    const changedPkgs = new Set<string>();
    for (const file of job.files) {
      const st = this.state(file);
      if (st.open) continue;
      const summary = summaries.get(file);
      if (!summary && !fs.existsSync(file)) {
        this.remove(file, true);
        continue;
      }
      this.takeDiskResult(st, summary, findings.get(file) ?? [], changedPkgs);
      this.noteGenerated(st, generated.has(file));
      this.publishClosed(st);
    }
    const batch = new Set(job.files);
    for (const pkg of changedPkgs) {
      for (const f of this.packages.get(pkg) ?? []) if (!batch.has(f)) this.refresh(f);
    }
  }

  private publishClosed(st: FileState): void {
    if (st.open) return;
    const shown = this.scope === "workspace" ? st.findings : [];
    const key = findingsKey(shown);
    if (key === st.published) return;
    st.published = key;
    this.host.publish(st.file, shown, null);
  }

  /** Forgets a closed file (deleted, excluded, outside the workspace) and clears its findings. */
  private remove(file: string, force = false): void {
    const st = this.files.get(file);
    if (!st || (st.open && !force)) return;
    this.siblingCache.evict(file);
    this.generatedRecords.delete(file);
    const oldPkg = st.pkg;
    const changed = this.setSummary(st, undefined);
    st.findings = [];
    if (st.published !== "") {
      st.published = "";
      this.host.publish(file, [], null);
    }
    this.files.delete(file);
    if (changed && oldPkg) for (const f of this.packages.get(oldPkg) ?? []) this.refresh(f);
  }

  // ---- the workspace --------------------------------------------------------

  /**
   * Analyses every Go file of the workspace folders that is not open,
   * directory by directory, yielding to other work between directories.
   * A newer scan cancels an older one.
   */
  async scan(progress?: ScanProgress): Promise<ScanResult> {
    if (this.scanToken) this.scanToken.cancelled = true;
    const token = { cancelled: false };
    this.scanToken = token;
    const t0 = performance.now();
    const dirs = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const root of this.resolver.roots) {
      try {
        if (!fs.existsSync(root)) continue;
        const found = discover([root], this.resolver);
        for (const n of found.notes) this.host.log("info", `${n.file}: ${n.message}`);
        for (const [dir, list] of found.dirs) {
          const fresh = list.filter((f) => !seen.has(f));
          for (const f of fresh) seen.add(f);
          if (fresh.length > 0) dirs.set(dir, [...(dirs.get(dir) ?? []), ...fresh]);
        }
      } catch (e) {
        this.host.log("error", `scanning ${root} failed: ${describe(e)}`);
      }
    }
    let total = 0;
    for (const list of dirs.values()) total += list.length;
    progress?.begin?.(total);
    let done = 0;
    const stop = (): boolean => token.cancelled || !!progress?.cancelled || this.disposed;
    const advance = (files: number): void => {
      done += files;
      progress?.report(done, total);
    };
    // Directories with an open file are analysed here, against the buffers'
    // facts; the others where no editor thread waits: worker threads.
    const openDirs = new Set<string>();
    for (const st of this.files.values()) if (st.open) openDirs.add(st.dir);
    const here: string[][] = [];
    const jobs: DirectoryJob[] = [];
    for (const [dir, list] of dirs) {
      const closed = list.filter((f) => !this.files.get(f)?.open);
      if (closed.length < list.length) advance(list.length - closed.length);
      if (closed.length === 0) continue;
      if (openDirs.has(dir)) here.push(closed);
      else jobs.push(this.jobFor(dir, closed));
    }
    let cancelled = false;
    for (const list of here) {
      if ((cancelled = stop())) break;
      this.analyzeSafely(list);
      advance(list.length);
      await yieldToEvents();
    }
    // Findings whose messages and fixes need facts about the whole workspace
    // (typed context keys) are computed again once every file's facts are in.
    const needWorkspace: string[][] = [];
    const workspaceRules = new Set(this.rules.filter((r) => r.needsWorkspace).map((r) => r.id));
    if (!cancelled) {
      cancelled = !(await this.scanJobs(jobs, stop, (job, result) => {
        this.applyDirectory(job, result);
        if (result.findings.some((f) => workspaceRules.has(f.rule))) needWorkspace.push([...job.files]);
        advance(job.files.length);
      }));
    }
    for (const list of needWorkspace) {
      if ((cancelled = stop())) break;
      this.analyzeSafely(list);
      await yieldToEvents();
    }
    if (!cancelled) {
      // Files of an earlier scan that this one did not find: deleted or now excluded.
      for (const st of [...this.files.values()])
        if (!st.open && path.isAbsolute(st.file) && !seen.has(st.file)) this.remove(st.file);
    }
    if (this.scanToken === token) this.scanToken = undefined;
    let findings = 0;
    for (const st of this.files.values()) findings += st.findings.length;
    return { files: total, findings, ms: performance.now() - t0, cancelled };
  }

  private analyzeSafely(files: readonly string[]): void {
    try {
      this.analyzeClosed(files);
    } catch (e) {
      this.host.log("error", `analysing ${path.dirname(files[0]!)} failed: ${describe(e)}`);
    }
  }

  /** A directory of closed files as the analysis pool takes it, with its configuration resolved here. */
  private jobFor(dir: string, files: string[]): DirectoryJob {
    const severities: Record<string, SeveritySetting | undefined> = {};
    const probe = path.join(dir, "x.go");
    for (const id of this.knownRules) severities[id] = this.resolver.severityFor(id, probe);
    return { dir, files, severities, module: moduleForDir(dir) };
  }

  /**
   * Analyses directories of closed files: on worker threads when there are
   * enough files and the rules are the registry's, else in this thread with
   * the same options, yielding between directories. Each result is handed to
   * `take` as it arrives. Returns false when `stop` said so before the end.
   */
  private async scanJobs(
    jobs: readonly DirectoryJob[],
    stop: () => boolean,
    take: (job: DirectoryJob, result: DirectoryResult) => void,
  ): Promise<boolean> {
    let files = 0;
    for (const j of jobs) files += j.files.length;
    const threads = Math.min(this.scanThreads, jobs.length);
    const left = new Set(jobs);
    if (threads >= 1 && files >= this.minFilesForThreads && registeredRules(this.rules, this.knownRules)) {
      // Threads end with the scan: the memory their parsers grew to goes with them.
      const pool = new AnalysisPool(threads);
      const aborter = new AbortController();
      const poll = setInterval(() => {
        if (stop()) aborter.abort(new Error("the workspace scan was cancelled"));
      }, 25);
      try {
        await pool.run(jobs, {
          rules: this.rules.map((r) => r.id),
          withSummaries: true,
          signal: aborter.signal,
          onResult: (job, result) => {
            if (this.disposed) return;
            left.delete(job);
            take(job, result);
          },
        });
        return true;
      } catch (e) {
        if (aborter.signal.aborted) return false;
        // Workers could not run (a missing bundle file, no threads): this thread does the rest.
        this.host.log("warning", `analysing in worker threads failed (${describe(e)}); analysing in one thread`);
      } finally {
        clearInterval(poll);
        await pool.close();
      }
    }
    for (const job of left) {
      if (stop()) return false;
      let result: DirectoryResult;
      try {
        result = analyzeDirectory(job.dir, job.files, directoryOptions(job, this.rules, this.knownRules), {
          withSummaries: true,
        });
      } catch (e) {
        this.host.log("error", `analysing ${job.dir} failed: ${describe(e)}`);
        continue;
      }
      take(job, result);
      await yieldToEvents();
    }
    return true;
  }

  /** Cancels a running scan (the client cancelled its progress). */
  cancelScan(): void {
    if (this.scanToken) this.scanToken.cancelled = true;
  }

  /** Analyses everything again: configuration or settings changed. */
  reanalyzeAll(progress?: ScanProgress): Promise<ScanResult> {
    clearModuleCache();
    for (const st of this.files.values()) if (st.open) this.refresh(st.file);
    return this.scan(progress);
  }

  /** Changes the problems scope: closed files' findings are shown or cleared. */
  setScope(scope: ProblemsScope): void {
    if (scope === this.scope) return;
    this.scope = scope;
    for (const st of this.files.values()) this.publishClosed(st);
  }

  /** Files changed on disk (workspace/didChangeWatchedFiles). */
  filesChanged(
    events: readonly { file: string; kind: "created" | "changed" | "deleted" }[],
  ): Promise<ScanResult> | undefined {
    let config = false;
    for (const e of events) {
      if (path.basename(e.file) === CONFIG_FILE) {
        config = true;
      } else if (e.file.endsWith(".go")) {
        const st = this.files.get(e.file);
        if (st?.open) continue; // the editor's buffer is the truth for open files
        if (e.kind === "deleted") this.remove(e.file);
        else if (this.resolver.inWorkspace(e.file)) this.enqueue(e.file);
        else this.remove(e.file);
      } else if (e.kind === "deleted") {
        // A directory went away: forget the files under it.
        const prefix = e.file + path.sep;
        for (const f of [...this.files.keys()]) if (f.startsWith(prefix)) this.remove(f);
      }
    }
    if (!config) return undefined;
    this.resolver.clear();
    return this.reanalyzeAll();
  }

  /**
   * Without file watching, looks for changes on disk in a directory (on open
   * and save): new, changed and deleted Go files are analysed or forgotten.
   */
  recheckDir(dir: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith(".go"));
    } catch {
      return;
    }
    const onDisk = new Set(names.map((n) => path.join(dir, n)));
    for (const file of onDisk) {
      const st = this.files.get(file);
      if (st?.open || !this.resolver.inWorkspace(file)) continue;
      let mtime: number | undefined;
      try {
        mtime = fs.statSync(file).mtimeMs;
      } catch {
        continue;
      }
      if (!st || st.mtimeMs !== mtime) this.enqueue(file);
    }
    for (const st of [...this.files.values()]) {
      if (!st.open && st.dir === dir && !onDisk.has(st.file)) this.remove(st.file);
    }
  }

  private reportFailures(failures: readonly RuleFailure[]): void {
    for (const f of failures) this.host.ruleFailed(f);
  }

  dispose(): void {
    this.disposed = true;
    this.cancelScan();
    for (const st of this.files.values()) if (st.open) this.disposeOpen(st.open);
    this.siblingCache.dispose();
    this.workspaceFacts.release();
  }
}

function ms(since: number): string {
  return (performance.now() - since).toFixed(2);
}

function byFile(a: FileSummary, b: FileSummary): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
