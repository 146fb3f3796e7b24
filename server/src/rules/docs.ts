// Docs of the engine's own check, which is not a rule: directives that silence nothing.
import type { RuleDocs } from "./rule";

export const UNUSED_IGNORE_DOCS: RuleDocs = {
  title: "Suppression directive that silences nothing",
  flags:
    "A `//mapctx:ignore`, `//mapctx:file-ignore` or `//nolint:mapctx` comment that matches no finding, that names a rule mapctx does not know, or that names no rule at all. Directives for rules that are turned off in the configuration are not reported.",
  why: "A directive outlives the code it was written for. Once the finding is gone, a stale directive hides the next real finding on that line, and a misspelt rule id never silenced anything.",
  bad: `func get(k string) int {
\treturn cache[k] //mapctx:ignore global-map-race reads are fine
}`,
  good: `func get(k string) int {
\treturn cache[k]
}`,
  fix: "Delete the directive, or correct the rule id it names.",
  silent: [
    "directives that silence at least one finding",
    "directives for rules turned off with `off` in `.mapctx.json` or the editor settings",
    "directives for a rule that failed on the file",
    "a bare `//nolint` (golangci-lint's directive for every linter, usually meant for another one); `//nolint:mapctx` is reported",
  ],
};
