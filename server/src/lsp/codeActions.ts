// Findings' fixes as LSP code actions. A pure function of the request, the
// file's current findings and the open documents' versions, so that the
// protocol tests and the server agree on what an editor is offered:
//   - each fix of a finding the request is about (its diagnostics in the
//     context, or its range overlapping the requested one) as a quick fix,
//     the first safe one preferred;
//   - "Fix all <rule-id> problems in this file" when a rule has two or more
//     safe fixes that do not overlap, and "Show documentation for <rule-id>";
//   - `source.fixAll.mapctx`: every non-overlapping safe fix of the file in
//     one edit, refused when the findings belong to an older document version.
// Edits are versioned WorkspaceEdits; a multi-file fix is one WorkspaceEdit.
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionContext,
  type Diagnostic,
  type OptionalVersionedTextDocumentIdentifier,
  type TextDocumentEdit,
  type TextEdit as LspTextEdit,
  type WorkspaceEdit,
} from "vscode-languageserver/node";
import { comparePositions, type Finding, type Fix, type Range, type TextEdit } from "../analysis/types";
import { dedupeEdits } from "../fixes/apply";
import { isIgnoreFix } from "../fixes/ignore";
import { SOURCE } from "./diagnostics";

/** The server command behind "Show documentation for <rule-id>": opens the rule's page. */
export const SHOW_DOCUMENTATION = "mapctx.showDocumentation";

/** The fix-all source action (`"editor.codeActionsOnSave": {"source.fixAll.mapctx": "explicit"}`). */
export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.mapctx`;

/** The kinds the server registers. */
export const ACTION_KINDS = [CodeActionKind.QuickFix, FIX_ALL_KIND];

export interface ActionRequest {
  /** The document's file (as the workspace model names it). */
  file: string;
  range: Range;
  context: CodeActionContext;
  /** The file's current findings. */
  findings: readonly Finding[];
  /**
   * Why the findings cannot be used for edits (they belong to an older version
   * of the document than the one the client holds), or undefined when they are current.
   */
  stale?: string;
  /** The uri to name a file by. */
  uriOf(file: string): string;
  /** The open document's version of a file, or null for files that are not open. */
  versionOf(file: string): number | null;
  /** The diagnostic published for a finding. */
  diagnostic(f: Finding): Diagnostic;
  /** What the client supports. */
  client: { documentChanges: boolean; disabled: boolean };
}

/** Whether an action of `kind` passes the request's `only` filter (a kind includes its sub-kinds). */
export function kindAllowed(kind: string, only: readonly string[] | undefined): boolean {
  if (!only || only.length === 0) return true;
  return only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

/** The fix a finding prefers: its first safe one (never the ignore fix, which is not safe). */
export function preferredSafeFix(f: Finding): Fix | undefined {
  return f.fixes.find((x) => x.safe && !isIgnoreFix(x) && x.edits.length > 0);
}

function touches(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}

function sameRange(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.start) === 0 && comparePositions(a.end, b.end) === 0;
}

/** Whether a diagnostic from the client is the one published for a finding. */
function matches(d: Diagnostic, f: Finding): boolean {
  return d.source === SOURCE && String(d.code) === f.rule && d.message === f.message && sameRange(d.range, f.range);
}

function editKey(e: TextEdit): string {
  const r = e.range;
  return `${e.file}\0${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}\0${e.newText}`;
}

/** Two edits of one file conflict when they intersect, or both insert at one point (their order would matter). */
function conflict(a: TextEdit, b: TextEdit): boolean {
  if (a.file !== b.file) return false;
  const aEmpty = comparePositions(a.range.start, a.range.end) === 0;
  const bEmpty = comparePositions(b.range.start, b.range.end) === 0;
  if (aEmpty && bEmpty) return comparePositions(a.range.start, b.range.start) === 0;
  return comparePositions(a.range.start, b.range.end) < 0 && comparePositions(b.range.start, a.range.end) < 0;
}

/**
 * Chooses fixes whose edits do not conflict, in order; a fix whose edits were
 * all chosen already (several findings sharing one conversion) counts once.
 */
export function chooseFixes(fixes: readonly Fix[]): { chosen: Fix[]; edits: TextEdit[]; covers(fix: Fix): boolean } {
  const chosen: Fix[] = [];
  const edits: TextEdit[] = [];
  const taken = new Set<string>();
  for (const fix of fixes) {
    const fresh = fix.edits.filter((e) => !taken.has(editKey(e)));
    if (fresh.length === 0) continue;
    if (fresh.some((e, i) => edits.some((t) => conflict(t, e)) || fresh.some((o, j) => j < i && conflict(o, e))))
      continue;
    chosen.push(fix);
    for (const e of fresh) {
      taken.add(editKey(e));
      edits.push(e);
    }
  }
  return { chosen, edits, covers: (fix) => fix.edits.every((e) => taken.has(editKey(e))) };
}

/** A versioned WorkspaceEdit: one TextDocumentEdit per file, in the order the files first appear. */
export function workspaceEdit(
  edits: readonly TextEdit[],
  req: Pick<ActionRequest, "uriOf" | "versionOf" | "client">,
): WorkspaceEdit {
  const byFile = new Map<string, TextEdit[]>();
  for (const e of dedupeEdits([...edits])) {
    const list = byFile.get(e.file);
    if (list) list.push(e);
    else byFile.set(e.file, [e]);
  }
  const lsp = (list: TextEdit[]): LspTextEdit[] =>
    list
      .map((e, i) => ({ e, i }))
      // Sorted by position; inserts at one point keep their order.
      .sort((a, b) => comparePositions(a.e.range.start, b.e.range.start) || a.i - b.i)
      .map(({ e }) => ({ range: e.range, newText: e.newText }));
  if (!req.client.documentChanges) {
    const changes: Record<string, LspTextEdit[]> = {};
    for (const [file, list] of byFile) changes[req.uriOf(file)] = lsp(list);
    return { changes };
  }
  const documentChanges: TextDocumentEdit[] = [];
  for (const [file, list] of byFile) {
    const textDocument: OptionalVersionedTextDocumentIdentifier = {
      uri: req.uriOf(file),
      version: req.versionOf(file),
    };
    documentChanges.push({ textDocument, edits: lsp(list) });
  }
  return { documentChanges };
}

export function fixAllTitle(rule: string): string {
  return `Fix all ${rule} problems in this file`;
}

export function showDocumentationTitle(rule: string): string {
  return `Show documentation for ${rule}`;
}

export const FIX_ALL_TITLE = "Fix all safe mapctx problems";

/** The code actions for one request. */
export function codeActions(req: ActionRequest): CodeAction[] {
  const only = req.context.only;
  const out: CodeAction[] = [];
  const quick = kindAllowed(CodeActionKind.QuickFix, only);

  // The findings the request is about, each with the diagnostic to attach
  // (the client's own object when it sent one).
  const about = new Map<Finding, Diagnostic>();
  const sent = req.context.diagnostics.filter((d) => d.source === SOURCE);
  if (quick) {
    for (const f of req.findings) {
      const d = sent.find((x) => matches(x, f));
      if (d) about.set(f, d);
      else if (touches(f.range, req.range)) about.set(f, req.diagnostic(f));
    }
  }

  if (quick && !req.stale) {
    // One action per distinct fix: findings that share a conversion offer it once, with all their diagnostics.
    const byKey = new Map<string, CodeAction>();
    const ignores: CodeAction[] = [];
    for (const [f, d] of about) {
      const preferred = preferredSafeFix(f);
      for (const fix of f.fixes) {
        if (fix.edits.length === 0) continue;
        const key = `${fix.title}\0${fix.edits.map(editKey).sort().join("\n")}`;
        const seen = byKey.get(key);
        if (seen) {
          seen.diagnostics!.push(d);
          if (fix === preferred) seen.isPreferred = true;
          continue;
        }
        const action: CodeAction = {
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          edit: workspaceEdit(fix.edits, req),
        };
        if (fix === preferred) action.isPreferred = true;
        byKey.set(key, action);
        if (isIgnoreFix(fix)) ignores.push(action);
        else out.push(action);
      }
    }

    // Fix all <rule-id> problems in this file.
    const rules = [...new Set([...about.keys()].map((f) => f.rule))];
    for (const rule of rules) {
      const ofRule = req.findings.filter((f) => f.rule === rule && f.file === req.file);
      const fixes = ofRule.map(preferredSafeFix).filter((x): x is Fix => x !== undefined);
      const { chosen, edits, covers } = chooseFixes(fixes);
      if (chosen.length < 2) continue;
      out.push({
        title: fixAllTitle(rule),
        kind: CodeActionKind.QuickFix,
        diagnostics: ofRule
          .filter((f) => {
            const fix = preferredSafeFix(f);
            return fix !== undefined && covers(fix);
          })
          .map((f) => about.get(f) ?? req.diagnostic(f)),
        edit: workspaceEdit(edits, req),
      });
    }
    out.push(...ignores);
  }

  if (quick) {
    const rules = [...new Set([...about.keys()].map((f) => f.rule))];
    for (const rule of rules) {
      out.push({
        title: showDocumentationTitle(rule),
        kind: CodeActionKind.QuickFix,
        diagnostics: [...about].filter(([f]) => f.rule === rule).map(([, d]) => d),
        command: { title: showDocumentationTitle(rule), command: SHOW_DOCUMENTATION, arguments: [rule] },
      });
    }
  }

  // Without `only` every kind is asked for (VS Code keeps source actions out of its quick-fix menu itself).
  if (kindAllowed(FIX_ALL_KIND, only)) {
    const action = fixAll(req);
    if (action) out.push(action);
  }
  return out;
}

/** The fix-all source action, disabled (or absent) when it cannot be trusted. */
function fixAll(req: ActionRequest): CodeAction | undefined {
  if (req.stale) {
    return req.client.disabled
      ? { title: FIX_ALL_TITLE, kind: FIX_ALL_KIND, disabled: { reason: req.stale } }
      : undefined;
  }
  const withFix: { f: Finding; fix: Fix }[] = [];
  for (const f of req.findings) {
    const fix = f.file === req.file ? preferredSafeFix(f) : undefined;
    if (fix) withFix.push({ f, fix });
  }
  const { chosen, edits, covers } = chooseFixes(withFix.map((x) => x.fix));
  if (chosen.length === 0) return undefined;
  return {
    title: FIX_ALL_TITLE,
    kind: FIX_ALL_KIND,
    diagnostics: withFix.filter((x) => covers(x.fix)).map((x) => req.diagnostic(x.f)),
    edit: workspaceEdit(edits, req),
  };
}
