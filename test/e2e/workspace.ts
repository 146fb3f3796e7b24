// The workspace the editor tests open: a copy of examples/ (or, while examples/ holds too few
// findings, a small module of our own), with the findings the engine reports for it. The editor
// must show the same findings, so the expectations never drift from the rules.
import * as fs from "node:fs";
import * as path from "node:path";
import { initParser } from "../../server/src/analysis/engine";
import { ConfigResolver } from "../../server/src/analysis/config";
import { KNOWN_IDS, RULES } from "../../server/src/rules";
import { checkPaths } from "../../server/src/workspace/check";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface ExpectedFinding {
  rule: string;
  message: string;
  /** 1-based, as VS Code shows them: `[Ln 5, Col 2]`. */
  line: number;
  column: number;
}

export interface TestWorkspace {
  dir: string;
  /** Workspace-relative paths (with `/`) to their findings. */
  findings: Record<string, ExpectedFinding[]>;
  total: number;
  /** A file with findings that the tests open. */
  opened: string;
  /** Another file with findings that the tests never open. */
  unopened: string;
}

const OWN_MODULE: Record<string, string> = {
  "go.mod": "module example.com/shop\n\ngo 1.19\n",
  "cart.go": `package shop

import "net/http"

var carts = map[string]int{}

// addToCart runs once per request, concurrently with every other request.
func addToCart(w http.ResponseWriter, r *http.Request) {
	carts[r.FormValue("user")]++
	w.WriteHeader(http.StatusNoContent)
}
`,
  "worker.go": `package shop

var seen = make(map[int]bool)

// markAll starts one goroutine per id; they all write seen at once.
func markAll(ids []int) {
	for _, id := range ids {
		go func(id int) {
			seen[id] = true
		}(id)
	}
}
`,
};

async function findingsOf(dir: string): Promise<Record<string, ExpectedFinding[]>> {
  await initParser();
  const result = checkPaths([dir], { rules: RULES, knownRules: KNOWN_IDS, config: new ConfigResolver(KNOWN_IDS) });
  const byFile: Record<string, ExpectedFinding[]> = {};
  for (const f of result.findings) {
    const rel = path.relative(dir, f.file).split(path.sep).join("/");
    (byFile[rel] ??= []).push({
      rule: f.rule,
      message: f.message,
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
    });
  }
  return byFile;
}

function hasGoFiles(dir: string): boolean {
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).some((f) => f.endsWith(".go"));
}

/** Creates the workspace under `parent` and computes what the editor should show for it. */
export async function prepareWorkspace(parent: string): Promise<TestWorkspace> {
  const dir = path.join(parent, "workspace");
  const examples = path.join(ROOT, "examples");
  let findings: Record<string, ExpectedFinding[]> = {};
  if (hasGoFiles(examples)) {
    fs.cpSync(examples, dir, { recursive: true });
    findings = await findingsOf(dir);
  }
  if (Object.keys(findings).length < 2) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(OWN_MODULE)) fs.writeFileSync(path.join(dir, name), text);
    findings = await findingsOf(dir);
  }
  // Prefer files near the top of the tree: the tests open one through the explorer.
  const files = Object.keys(findings).sort(
    (a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : a > b ? 1 : 0),
  );
  if (files.length < 2) throw new Error(`the test workspace needs two files with findings, got ${files.join(", ")}`);
  const total = files.reduce((n, f) => n + findings[f].length, 0);
  // The Problems list is virtual (only rows in view exist): check the file with the fewest findings.
  const rest = files.slice(1).sort((a, b) => findings[a].length - findings[b].length);
  return { dir, findings, total, opened: files[0], unopened: rest[0] };
}
