// Compiles the keystroke path before the user's first keystroke. V8 runs code
// it has not seen yet in its interpreter: the first dozen keystrokes in a large
// file took 5-12 ms in the server instead of 2. At start-up the server types
// into a Go file of its own, through the same document, incremental re-parse and
// per-declaration analysis as an editor's changes, and throws it all away
// (about 0.15 s, once, before the server answers `initialize`).
import { PackageFacts } from "../analysis/package";
import type { AnalysisOptions } from "../analysis/engine";
import type { Finding } from "../analysis/types";
import { OpenDocument } from "../documents";
import { DocumentTree } from "../trees";
import { FileAnalysis, type AnalysisContext } from "./incremental";

/** The file's declarations: handlers, goroutines, context values and maps, with findings for most rules. */
const HEADER = `package warmup

import (
	"context"
	"net/http"
	"sync"
)

var (
	visits = map[string]int{}
	mu     sync.Mutex
	names  = make(map[int]string)
)

type store struct {
	mu   sync.RWMutex
	data map[string]string
}
`;

const FUNCTIONS = `
// Get reads one entry under the read lock.
func (s *store) Get(k string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data[k]
}

// All hands out the map itself.
func (s *store) All() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data
}

func count(w http.ResponseWriter, r *http.Request) {
	visits[r.URL.Path]++
	ctx := context.WithValue(r.Context(), "user", r.FormValue("user"))
	go func() {
		<-ctx.Done()
	}()
	w.WriteHeader(http.StatusNoContent)
}

func collect(items []string) map[string]int {
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen[it]++
		}()
	}
	wg.Wait()
	return seen
}

func first(m map[string]int) string {
	for k := range m {
		return k
	}
	return "none"
}

func label(id int) string {
	mu.Lock()
	defer mu.Unlock()
	names[id] = "label"
	return names[id]
}

func main() {
	http.HandleFunc("/", count)
	_ = http.ListenAndServe(":8080", nil)
}
`;

/**
 * The file typed into: the functions written out `copies` times under other
 * names, so that it is as large as the files whose keystrokes are analysed per
 * declaration, with as many findings to carry along.
 */
function source(copies: number): string {
  let out = HEADER;
  for (let i = 0; i < copies; i++) out += FUNCTIONS.replace(/\b(Get|All|count|collect|first|label|main)\b/g, `$1${i}`);
  return out;
}

/** Where a typed letter keeps the code valid: inside comments and string literals of function bodies. */
function spots(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/"(label|none|user)"|\/\/ [A-Z]\w+/g)) out.push(m.index + 2);
  return out;
}

export interface WarmUpResult {
  keystrokes: number;
  /** Keystrokes whose analysis went through the per-declaration path (the one being warmed). */
  perDeclaration: number;
  /** Findings of the last analysis. */
  findings: readonly Finding[];
}

/**
 * Types into the built-in file one keystroke per step(): a letter, then its
 * deletion, so that the text comes back to where it started. Nothing is shared
 * with the workspace: the document, tree and analysis are its own.
 */
export class KeystrokeWarmUp {
  private readonly doc: OpenDocument;
  private readonly tree = new DocumentTree();
  private readonly analysis = new FileAnalysis("warmup.go");
  private readonly ctx: AnalysisContext;
  private readonly places: number[];
  private done = 0;
  private typed: { at: number } | null = null;
  private disposed = false;
  readonly result: WarmUpResult = { keystrokes: 0, perDeclaration: 0, findings: [] };

  constructor(
    opts: AnalysisOptions,
    private readonly keystrokes = 40,
    copies = 2,
  ) {
    const text = source(copies);
    this.doc = new OpenDocument("mapctx:warm-up", "warmup.go", "go", 1, text);
    // Spread over the file, as typing in it would be.
    const all = spots(text);
    this.places = Array.from({ length: Math.min(all.length, 16) }, (_, i) => all[Math.floor((i * all.length) / 16)]!);
    this.ctx = {
      // Default severities and no file system: the file is nowhere on disk.
      opts: { rules: opts.rules, knownRules: opts.knownRules, siblingsOf: (syntax) => [syntax] },
      packageFor: (summary) => new PackageFacts(summary.packageName, "", [summary]),
    };
    const first = this.tree.parse(text)!;
    this.result.findings = this.analysis.rebuild(text, first.tree, this.ctx).findings;
  }

  /** One keystroke and its analysis; false when all are done (the tree is then freed). */
  step(): boolean {
    if (this.disposed) return false;
    if (this.done >= this.keystrokes) {
      this.dispose();
      return false;
    }
    const pos = (offset: number) => this.doc.positionAt(offset);
    let change;
    if (this.typed) {
      const at = this.typed.at;
      change = { range: { start: pos(at), end: pos(at + 1) }, text: "" };
      this.typed = null;
    } else {
      const at = this.places[this.done % this.places.length]!;
      change = { range: { start: pos(at), end: pos(at) }, text: "abcdefghijklmnopqrstuvwxyz"[this.done % 26]! };
      this.typed = { at };
    }
    const applied = this.doc.apply([change], this.doc.version + 1);
    for (const c of applied.changes) {
      this.tree.edit(c);
      this.analysis.applyChange(c);
    }
    const text = this.doc.text;
    const parsed = this.tree.parse(text)!;
    const upd = this.analysis.update(text, parsed.tree, parsed.changed, this.ctx, 24);
    if (upd) this.result.perDeclaration++;
    this.result.findings = (upd ?? this.analysis.rebuild(text, parsed.tree, this.ctx)).findings;
    this.result.keystrokes = ++this.done;
    return true;
  }

  /** The file's text as typed so far. */
  get text(): string {
    return this.doc.text;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.tree.dispose();
  }
}
