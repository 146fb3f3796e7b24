// A thread of the analysis pool (pool.ts): it loads its own parser and analyses
// whole directories, the unit of package facts, reading the files itself so that
// no source text crosses between threads.
import { parentPort } from "node:worker_threads";
import { initParser } from "../analysis/engine";
import { KNOWN_IDS, RULES, type Rule } from "../rules";
import { analyzeDirectory, directoryOptions } from "./check";
import type { FromWorker, ToWorker } from "./pool";

const port = parentPort;
if (!port) throw new Error("worker.ts runs as a worker thread of the analysis pool");

const selections = new Map<string, readonly Rule[]>();

function rulesFor(ids: readonly string[]): readonly Rule[] {
  const key = ids.join(",");
  let rules = selections.get(key);
  if (!rules) {
    const wanted = new Set(ids);
    rules = RULES.filter((r) => wanted.has(r.id));
    selections.set(key, rules);
  }
  return rules;
}

function post(m: FromWorker): void {
  port!.postMessage(m);
}

function run(task: ToWorker): void {
  const opts = directoryOptions(task, rulesFor(task.rules), KNOWN_IDS, task.keepSuppressed);
  try {
    post({
      type: "result",
      id: task.id,
      result: analyzeDirectory(task.dir, task.files, opts, {
        withSummaries: task.withSummaries,
        withRecords: task.withRecords,
        treeBudget: task.treeBudget,
      }),
    });
  } catch (e) {
    post({ type: "error", id: task.id, message: e instanceof Error ? e.message : String(e) });
  }
}

// Tasks arrive one at a time; the first may come before the parser is ready.
let ready = false;
const waiting: ToWorker[] = [];
port.on("message", (task: ToWorker) => {
  if (ready) run(task);
  else waiting.push(task);
});
initParser().then(
  () => {
    ready = true;
    post({ type: "ready" });
    for (const t of waiting.splice(0)) run(t);
  },
  (e: unknown) => post({ type: "fatal", message: e instanceof Error ? e.message : String(e) }),
);
