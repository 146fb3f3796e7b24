// The only module that knows web-tree-sitter: it initialises the runtime once,
// loads the Go grammar from bytes and hands out parsers, queries and trees.
import * as fs from "node:fs";
import * as path from "node:path";
import { Language, Parser, Query } from "web-tree-sitter";
import type { Node, Tree, Edit, Point, TreeCursor } from "web-tree-sitter";

export type { Node, Tree, Edit, Point, TreeCursor, Query };

/** File name of the runtime's own wasm; it changed across web-tree-sitter versions. */
const RUNTIME_WASM = "web-tree-sitter.wasm";
const GRAMMAR_WASM = "tree-sitter-go.wasm";

let ready: Promise<Language> | undefined;
let language: Language | undefined;

/** Directories searched for the wasm files: beside the bundle first, then the source tree. */
function candidateDirs(): string[] {
  const dirs: string[] = [];
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    dirs.push(dir, path.join(dir, "grammars"), path.join(dir, "dist"));
    dir = path.dirname(dir);
  }
  return dirs;
}

function findFile(name: string, extra: string[] = []): string {
  for (const dir of [...candidateDirs(), ...extra]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`cannot find ${name} beside ${__dirname}; the installation is incomplete`);
}

function runtimeDirs(): string[] {
  try {
    return [path.dirname(require.resolve(`web-tree-sitter/${RUNTIME_WASM}`))];
  } catch {
    return [];
  }
}

/** Initialises the runtime and the Go grammar once; later calls share the same promise. */
export function initParser(): Promise<Language> {
  ready ??= (async () => {
    const wasmBinary = fs.readFileSync(findFile(RUNTIME_WASM, runtimeDirs()));
    await Parser.init({ wasmBinary });
    const grammarDirs = candidateDirs().filter((d) => !d.endsWith("dist"));
    const bytes = fs.readFileSync(findFile(GRAMMAR_WASM, grammarDirs));
    language = await Language.load(new Uint8Array(bytes));
    return language;
  })();
  return ready;
}

function lang(): Language {
  if (!language) throw new Error("the Go parser is used before initParser() finished");
  return language;
}

/** A parser for Go; callers own it and may keep it for incremental parsing. */
export function newParser(): Parser {
  const parser = new Parser();
  parser.setLanguage(lang());
  return parser;
}

let shared: Parser | undefined;

export interface ParseLimits {
  /** Give up a parse that runs longer than this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Parses Go source, reusing `oldTree` (already edited) when given. Returns null
 * when the parse was cut off by the time limit.
 */
export function parseGo(text: string, oldTree?: Tree | null, limits: ParseLimits = {}, parser?: Parser): Tree | null {
  const p = parser ?? (shared ??= newParser());
  if (limits.timeoutMs === undefined) return p.parse(text, oldTree ?? null);
  const deadline = performance.now() + limits.timeoutMs;
  const tree = p.parse(text, oldTree ?? null, {
    progressCallback: () => performance.now() > deadline,
  });
  if (!tree) p.reset();
  return tree;
}

const queries = new Map<string, Query>();

/** A compiled query, cached by source text for the life of the process. */
export function query(source: string): Query {
  let q = queries.get(source);
  if (!q) {
    q = new Query(lang(), source);
    queries.set(source, q);
  }
  return q;
}
