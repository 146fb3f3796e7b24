// Findings as LSP diagnostics. The conversion is a pure function of the
// finding, so a finding an edit did not affect is published identically and
// the editor does not redraw (or flicker) it.
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic } from "vscode-languageserver/node";
import { docsUrl } from "../analysis/docsUrl";
import type { Finding, FindingTag, Severity } from "../analysis/types";

export const SOURCE = "mapctx";

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const TAGS: Record<FindingTag, DiagnosticTag> = {
  unnecessary: DiagnosticTag.Unnecessary,
  deprecated: DiagnosticTag.Deprecated,
};

/** The file URI of a path; other strings (untitled documents) are already URIs. */
export function fileUri(file: string): string {
  return path.isAbsolute(file) ? pathToFileURL(file).href : file;
}

export function toDiagnostic(f: Finding, uriOf: (file: string) => string = fileUri): Diagnostic {
  const d: Diagnostic = {
    range: f.range,
    severity: SEVERITY[f.severity],
    source: SOURCE,
    code: f.rule,
    codeDescription: { href: docsUrl(f.rule) },
    message: f.message,
  };
  if (f.related.length > 0) {
    d.relatedInformation = f.related.map((r) => ({
      location: { uri: uriOf(r.file), range: r.range },
      message: r.message,
    }));
  }
  const tags = (f.tags ?? []).map((t) => TAGS[t]).filter((t) => t !== undefined);
  if (tags.length > 0) d.tags = tags;
  return d;
}
