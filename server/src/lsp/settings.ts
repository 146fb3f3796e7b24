// The `mapctx.*` settings the server understands, their defaults (package.json
// declares the same ones; test/meta.test.ts keeps the two in step) and the
// validation of what a client sends: a bad value is reported and ignored.
import { SEVERITIES, type SeveritySetting } from "../analysis/types";

export type ProblemsScope = "workspace" | "openFiles";
export type TraceLevel = "off" | "messages" | "verbose";

export interface Settings {
  /** Per-rule severity or "off", over `.mapctx.json`. */
  rules: Record<string, SeveritySetting>;
  problems: { scope: ProblemsScope };
  /** Globs relative to the workspace folder, added to `.mapctx.json` excludes. */
  exclude: string[];
  diagnostics: { delay: number };
  trace: { server: TraceLevel };
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze<Settings>({
  rules: {},
  problems: { scope: "workspace" },
  exclude: [],
  diagnostics: { delay: 15 },
  trace: { server: "off" },
});

export const SCOPES: readonly ProblemsScope[] = ["workspace", "openFiles"];
export const TRACE_LEVELS: readonly TraceLevel[] = ["off", "messages", "verbose"];
export const RULE_SETTINGS: readonly SeveritySetting[] = [...SEVERITIES, "off"];
/** The debounce accepted for diagnostics, in milliseconds. */
export const MAX_DELAY = 5000;

function copyDefaults(): Settings {
  return {
    rules: {},
    problems: { scope: DEFAULT_SETTINGS.problems.scope },
    exclude: [],
    diagnostics: { delay: DEFAULT_SETTINGS.diagnostics.delay },
    trace: { server: DEFAULT_SETTINGS.trace.server },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the `mapctx` section as a client sends it (nested objects, or dotted
 * keys from some clients). Invalid values are left at their defaults and
 * described in `problems`, one line each, naming the setting.
 */
export function parseSettings(
  raw: unknown,
  knownRules: ReadonlySet<string>,
): { settings: Settings; problems: string[] } {
  const settings = copyDefaults();
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { settings, problems };
  if (!isObject(raw)) {
    problems.push(`mapctx settings must be an object, not ${JSON.stringify(raw)}; using the defaults`);
    return { settings, problems };
  }
  const get = (dotted: string): unknown => {
    if (dotted in raw) return raw[dotted];
    let v: unknown = raw;
    for (const part of dotted.split(".")) {
      if (!isObject(v)) return undefined;
      v = v[part];
    }
    return v;
  };

  const rules = get("rules");
  if (rules !== undefined && rules !== null) {
    if (!isObject(rules))
      problems.push(`mapctx.rules must be an object mapping rule ids to a severity, not ${JSON.stringify(rules)}`);
    else {
      for (const [id, sev] of Object.entries(rules)) {
        if (!knownRules.has(id)) problems.push(`mapctx.rules: unknown rule "${id}" is ignored`);
        else if (typeof sev !== "string" || !RULE_SETTINGS.includes(sev as SeveritySetting)) {
          problems.push(`mapctx.rules.${id} must be one of ${RULE_SETTINGS.join(", ")}, not ${JSON.stringify(sev)}`);
        } else settings.rules[id] = sev as SeveritySetting;
      }
    }
  }

  const scope = get("problems.scope");
  if (scope !== undefined && scope !== null) {
    if (typeof scope === "string" && SCOPES.includes(scope as ProblemsScope))
      settings.problems.scope = scope as ProblemsScope;
    else problems.push(`mapctx.problems.scope must be one of ${SCOPES.join(", ")}, not ${JSON.stringify(scope)}`);
  }

  const exclude = get("exclude");
  if (exclude !== undefined && exclude !== null) {
    if (!Array.isArray(exclude))
      problems.push(`mapctx.exclude must be an array of glob strings, not ${JSON.stringify(exclude)}`);
    else {
      for (const g of exclude) {
        if (typeof g === "string" && g.trim() !== "") settings.exclude.push(g);
        else problems.push(`mapctx.exclude: ${JSON.stringify(g)} is not a glob string and is ignored`);
      }
    }
  }

  const delay = get("diagnostics.delay");
  if (delay !== undefined && delay !== null) {
    if (typeof delay === "number" && Number.isFinite(delay) && delay >= 0 && delay <= MAX_DELAY)
      settings.diagnostics.delay = Math.round(delay);
    else
      problems.push(
        `mapctx.diagnostics.delay must be a number of milliseconds from 0 to ${MAX_DELAY}, not ${JSON.stringify(delay)}`,
      );
  }

  const trace = get("trace.server");
  if (trace !== undefined && trace !== null) {
    if (typeof trace === "string" && TRACE_LEVELS.includes(trace as TraceLevel))
      settings.trace.server = trace as TraceLevel;
    else problems.push(`mapctx.trace.server must be one of ${TRACE_LEVELS.join(", ")}, not ${JSON.stringify(trace)}`);
  }
  return { settings, problems };
}
