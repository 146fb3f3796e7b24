// Parallel analysis: a pool of worker threads (worker.ts), each with its own
// parser, analyses whole directories (the unit of package facts) while the
// calling thread stays free. Results come back in directory order, so a run
// gives exactly what the single-threaded checkPaths gives.
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { initParser } from "../analysis/engine";
import { KNOWN_IDS, ruleById, type Rule } from "../rules";
import {
  checkDirs,
  directorySettings,
  mergeResults,
  needsRecords,
  withWorkspaceFacts,
  workspaceRedo,
  type CheckOptions,
  type CheckResult,
  type DirectoryResult,
  type DirectorySettings,
} from "./check";
import { discover } from "./discover";

/** Whether worker threads can run these rules: they load the registry's, by id. */
export function registeredRules(rules: readonly Rule[], knownRules: ReadonlySet<string>): boolean {
  return (
    rules.every((r) => ruleById(r.id) === r) &&
    knownRules.size === KNOWN_IDS.size &&
    [...knownRules].every((id) => KNOWN_IDS.has(id))
  );
}

/** The default number of worker threads: one per core. */
export function defaultJobs(): number {
  return Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
}

/** One directory to analyse, with what the main thread resolved for it. */
export interface DirectoryJob extends DirectorySettings {
  dir: string;
  files: readonly string[];
}

export interface PoolRunOptions {
  /** Ids of the rules to run (registered rules only: workers load their own registry). */
  rules: readonly string[];
  keepSuppressed?: boolean;
  /** Also return each file's summary (the language server keeps them). */
  withSummaries?: boolean;
  /** Also return each file's workspace record. */
  withRecords?: boolean;
  /** See CheckOptions.treeBudget. */
  treeBudget?: number;
  /** Aborting terminates the workers busy with this run and rejects it with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each directory with the number of files done so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Called with each directory's result as it arrives (in no particular order), before onProgress. */
  onResult?: (job: DirectoryJob, result: DirectoryResult) => void;
}

/** @internal The message a worker receives. */
export interface ToWorker extends DirectoryJob {
  id: number;
  rules: readonly string[];
  keepSuppressed: boolean;
  withSummaries: boolean;
  withRecords: boolean;
  treeBudget?: number;
}

/** @internal The messages a worker sends. */
export type FromWorker =
  | { type: "ready" }
  | { type: "result"; id: number; result: DirectoryResult }
  | { type: "error"; id: number; message: string }
  | { type: "fatal"; message: string };

interface Run {
  opts: PoolRunOptions;
  results: (DirectoryResult | undefined)[];
  remaining: number;
  done: number;
  total: number;
  settled: boolean;
  resolve(results: DirectoryResult[]): void;
  reject(e: unknown): void;
  cleanup(): void;
}

interface Task {
  id: number;
  run: Run;
  index: number;
  job: DirectoryJob;
}

interface Slot {
  worker: Worker;
  /** Tasks sent and not answered, in the order the worker takes them: the first is under way. */
  tasks: Task[];
  /** The worker loaded its parser: a crash before that means workers cannot start at all. */
  ready: boolean;
  /** Set when the pool ended the worker itself, so its exit is not a crash. */
  ending: boolean;
}

/**
 * Tasks a worker holds at once: the next one waits in its port, so the worker
 * does not idle while the main thread (on a busy machine) gets round to answering.
 */
const PIPELINE = 2;

/**
 * A worker's young generation. V8's default lets each thread's heap carry tens
 * of MB of short-lived garbage; a small one costs no measurable time here and
 * keeps `mapctx check --jobs 2` over the Go standard library near 210 MB of
 * peak RSS instead of 270.
 */
const YOUNG_GENERATION_MB = 4;

/** How to start a worker: the bundle's dist/worker.js, or the TypeScript source under tsx (tests, bench). */
function workerEntry(): { file: string; execArgv?: string[] } {
  if (__filename.endsWith(".ts")) {
    // `--import tsx` does not reach a worker's entry module on Node 20; the CommonJS hook does.
    const hook = "tsx/cjs";
    return { file: path.join(__dirname, "worker.ts"), execArgv: ["--require", require.resolve(hook)] };
  }
  return { file: path.join(__dirname, "worker.js") };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A pool of `size` worker threads, started on first use and kept until close().
 * Several runs may share it; each run's directories are served largest first.
 */
export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size = defaultJobs(),
    /** A cap on each worker's JavaScript heap, in MB: a worker that reaches it dies and its directory gets a note. */
    private readonly maxHeapMb?: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, not ${size}`);
  }

  /** Analyses the directories; results are in the order of `jobs`. */
  run(jobs: readonly DirectoryJob[], opts: PoolRunOptions): Promise<DirectoryResult[]> {
    if (this.closed) return Promise.reject(new Error("the analysis pool is closed"));
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise<DirectoryResult[]>((resolve, reject) => {
      const onAbort = (): void => this.abort(run, opts.signal!.reason);
      const run: Run = {
        opts,
        results: new Array(jobs.length),
        remaining: jobs.length,
        done: 0,
        total: jobs.reduce((n, j) => n + j.files.length, 0),
        settled: false,
        resolve,
        reject,
        cleanup: () => opts.signal?.removeEventListener("abort", onAbort),
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      // Largest directories first, so that no thread is left with a big one at the end.
      const tasks = jobs.map((job, index) => ({ id: this.nextId++, run, index, job }));
      tasks.sort((a, b) => b.job.files.length - a.job.files.length || a.index - b.index);
      this.queue.push(...tasks);
      this.dispatch();
    });
  }

  /** Ends every worker; pending runs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.pendingRuns()) this.settle(r, new Error("the analysis pool was closed"));
    this.queue.length = 0;
    await Promise.all(this.slots.splice(0).map((s) => this.end(s)));
  }

  /** Starts every thread now rather than on first use, so that they boot (about 75 ms each) while the caller prepares. */
  start(): void {
    while (!this.closed && this.slots.length < this.size) this.spawn();
  }

  /** Number of live worker threads (for tests). */
  get threads(): number {
    return this.slots.length;
  }

  private pendingRuns(): Set<Run> {
    return new Set([...this.queue, ...this.slots.flatMap((s) => s.tasks)].map((t) => t.run));
  }

  private dispatch(): void {
    if (this.closed) return;
    while (this.queue.length > 0) {
      // The least busy worker; a new one while the pool is not full and all are busy.
      let slot: Slot | undefined;
      for (const s of this.slots) if (!s.ending && (!slot || s.tasks.length < slot.tasks.length)) slot = s;
      if ((!slot || slot.tasks.length > 0) && this.slots.length < this.size) slot = this.spawn();
      if (!slot || slot.tasks.length >= PIPELINE) return;
      const task = this.queue.shift()!;
      slot.tasks.push(task);
      const { job, run } = task;
      const msg: ToWorker = {
        id: task.id,
        dir: job.dir,
        files: job.files,
        severities: job.severities,
        module: job.module,
        rules: run.opts.rules,
        keepSuppressed: run.opts.keepSuppressed ?? false,
        withSummaries: run.opts.withSummaries ?? false,
        withRecords: run.opts.withRecords ?? false,
        treeBudget: run.opts.treeBudget,
      };
      slot.worker.postMessage(msg);
    }
  }

  private spawn(): Slot {
    const entry = workerEntry();
    const worker = new Worker(entry.file, {
      execArgv: entry.execArgv,
      resourceLimits: {
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
        ...(this.maxHeapMb ? { maxOldGenerationSizeMb: this.maxHeapMb } : {}),
      },
    });
    const slot: Slot = { worker, tasks: [], ready: false, ending: false };
    this.slots.push(slot);
    worker.on("message", (m: FromWorker) => this.onMessage(slot, m));
    worker.on("error", (e) => this.onCrash(slot, describe(e)));
    worker.on("exit", (code) => this.onCrash(slot, `the worker thread exited with code ${code}`));
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (slot.ending) return;
    if (m.type === "ready") {
      slot.ready = true;
      return;
    }
    if (m.type === "fatal") {
      this.failToStart(m.message);
      return;
    }
    const task = slot.tasks[0];
    if (!task || task.id !== m.id) return; // cannot happen: a worker answers in order
    slot.tasks.shift();
    const result: DirectoryResult =
      m.type === "result" ? m.result : crashResult(task.job, `analysis failed (${m.message}); please report it`);
    this.complete(task, result);
    this.dispatch();
  }

  /**
   * A worker died (uncaught error, out of memory): the directory it was on gets
   * a note, the ones waiting behind it go back to the queue, and a fresh worker takes over.
   */
  private onCrash(slot: Slot, message: string): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.ending) return;
    slot.ending = true;
    void slot.worker.terminate();
    const [current, ...waiting] = slot.tasks.splice(0);
    if (!slot.ready) {
      // Before its parser loaded, a worker fails for reasons every worker shares (a missing file).
      if (current) this.queue.unshift(current, ...waiting);
      this.failToStart(message);
      return;
    }
    this.queue.unshift(...waiting);
    if (current) this.complete(current, crashResult(current.job, `analysis crashed (${message}); please report it`));
    this.dispatch();
  }

  /** Workers cannot start: every pending run is rejected, the workers are ended. */
  private failToStart(message: string): void {
    for (const r of this.pendingRuns()) this.settle(r, new Error(`analysis worker failed to start: ${message}`));
    this.queue.length = 0;
    for (const s of this.slots.splice(0)) void this.end(s);
  }

  private complete(task: Task, result: DirectoryResult): void {
    const run = task.run;
    if (run.settled) return;
    run.results[task.index] = result;
    run.remaining--;
    run.done += task.job.files.length;
    try {
      run.opts.onResult?.(task.job, result);
      run.opts.onProgress?.(run.done, run.total);
    } catch (e) {
      this.abort(run, e);
      return;
    }
    if (run.remaining === 0) {
      run.settled = true;
      run.cleanup();
      run.resolve(run.results as DirectoryResult[]);
    }
  }

  /** Stops a run: its queued directories are dropped and the workers busy with it are ended (others keep theirs). */
  private abort(run: Run, reason: unknown): void {
    if (run.settled) return;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.run === run) this.queue.splice(i, 1);
    for (const s of [...this.slots]) {
      if (!s.tasks.some((t) => t.run === run)) continue;
      this.slots.splice(this.slots.indexOf(s), 1);
      this.queue.unshift(...s.tasks.filter((t) => t.run !== run));
      void this.end(s);
    }
    this.settle(run, reason);
    this.dispatch();
  }

  private settle(run: Run, reason: unknown): void {
    if (run.settled) return;
    run.settled = true;
    run.cleanup();
    run.reject(reason);
  }

  private async end(slot: Slot): Promise<void> {
    slot.ending = true;
    slot.tasks.length = 0;
    await slot.worker.terminate();
  }
}

function crashResult(job: DirectoryJob, message: string): DirectoryResult {
  return { findings: [], failures: [], notes: [{ file: job.dir, message }], analyzed: 0 };
}

export interface ParallelCheckOptions extends CheckOptions {
  /** Worker threads; 1 analyses in the calling thread. Default: defaultJobs(). */
  jobs?: number;
  /** Analyse in the calling thread below this many files: starting threads costs more than they gain. */
  minFilesForThreads?: number;
  /** Aborting stops the run (workers are terminated); the promise rejects with the reason. */
  signal?: AbortSignal;
  /** A pool to use (and keep); by default one is made for the run and closed after it. */
  pool?: AnalysisPool;
  /**
   * The run is likely to use threads: start them before the paths are
   * discovered, so that they boot meanwhile. They are ended unused if the run
   * turns out to be one for the calling thread.
   */
  startThreadsEarly?: boolean;
}

/**
 * checkPaths on worker threads: the same result, in the same order. Without a
 * pool, falls back to the calling thread for one job (or one directory) and for
 * fewer than minFilesForThreads files; always for rules the workers cannot load
 * (not in the registry).
 */
export async function checkPathsParallel(paths: string[], opts: ParallelCheckOptions): Promise<CheckResult> {
  const registered = registeredRules(opts.rules, opts.knownRules);
  const wanted = opts.jobs ?? defaultJobs();
  let pool = opts.pool;
  if (!pool && opts.startThreadsEarly && registered && wanted > 1) {
    pool = new AnalysisPool(wanted);
    pool.start();
  }
  try {
    const { dirs, notes } = discover(paths, opts.config);
    let total = 0;
    for (const files of dirs.values()) total += files.length;
    const jobs = Math.min(wanted, dirs.size);
    // A pool given is used whatever its size: its caller wants this thread kept free.
    if (!registered || (!opts.pool && (jobs <= 1 || total < (opts.minFilesForThreads ?? 0)))) {
      opts.signal?.throwIfAborted();
      if (pool !== opts.pool) {
        // Started early for nothing.
        await pool?.close();
        pool = undefined;
      }
      await initParser();
      return checkDirs(dirs, notes, opts, opts.signal);
    }
    const list: DirectoryJob[] = [];
    for (const [dir, files] of dirs) {
      // Resolved here, where configuration errors stop the run as they do in checkPaths.
      list.push({ dir, files, ...directorySettings(dir, opts.config) });
    }
    pool ??= new AnalysisPool(jobs);
    const results = await pool.run(list, {
      rules: opts.rules.map((r) => r.id),
      keepSuppressed: opts.keepSuppressed,
      treeBudget: opts.treeBudget,
      withRecords: needsRecords(opts.rules),
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
    const redo = workspaceRedo(results, opts.rules);
    if (redo.length > 0) {
      opts.signal?.throwIfAborted();
      await initParser();
      withWorkspaceFacts(dirs, results, redo, opts);
    }
    return mergeResults(notes, results);
  } finally {
    if (pool && pool !== opts.pool) await pool.close();
  }
}
