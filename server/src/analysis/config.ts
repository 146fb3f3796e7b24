// `.mapctx.json`: per-rule severities and exclude globs. The nearest file up the
// directory tree from a Go file applies to it; an explicit --config applies to all.
import * as fs from "node:fs";
import * as path from "node:path";
import picomatch from "picomatch";
import { SEVERITIES, UserError, type SeveritySetting } from "./types";

export const CONFIG_FILE = ".mapctx.json";
const SETTINGS: readonly string[] = [...SEVERITIES, "off"];
const KEYS = new Set(["$schema", "rules", "exclude"]);

export interface Config {
  /** The file it came from, or undefined for built-in defaults. */
  file?: string;
  /** Directory exclude globs are relative to. */
  root: string;
  rules: Record<string, SeveritySetting>;
  exclude: string[];
}

/** Validates parsed JSON as a configuration; `where` names the source in errors. */
export function validateConfig(value: unknown, where: string, knownRules: ReadonlySet<string>, root: string): Config {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UserError(`${where}: the configuration must be a JSON object`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!KEYS.has(key)) throw new UserError(`${where}: unknown key "${key}" (allowed: rules, exclude)`);
  }
  const rules: Record<string, SeveritySetting> = {};
  if (obj.rules !== undefined) {
    if (typeof obj.rules !== "object" || obj.rules === null || Array.isArray(obj.rules)) {
      throw new UserError(`${where}: "rules" must be an object mapping rule ids to a severity`);
    }
    for (const [id, sev] of Object.entries(obj.rules as Record<string, unknown>)) {
      if (!knownRules.has(id)) throw new UserError(`${where}: unknown rule "rules.${id}"`);
      if (typeof sev !== "string" || !SETTINGS.includes(sev)) {
        throw new UserError(
          `${where}: "rules.${id}" must be one of ${SETTINGS.join(", ")}, not ${JSON.stringify(sev)}`,
        );
      }
      rules[id] = sev as SeveritySetting;
    }
  }
  const exclude: string[] = [];
  if (obj.exclude !== undefined) {
    if (!Array.isArray(obj.exclude) || obj.exclude.some((g) => typeof g !== "string" || g === "")) {
      throw new UserError(`${where}: "exclude" must be an array of non-empty glob strings`);
    }
    exclude.push(...(obj.exclude as string[]));
  }
  return { rules, exclude, root };
}

/** Reads and validates one configuration file. */
export function loadConfigFile(file: string, knownRules: ReadonlySet<string>): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`${file}: cannot read the configuration (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  return { ...validateConfig(value, file, knownRules, path.dirname(path.resolve(file))), file };
}

/** Finds the configuration that applies to each file, caching per directory. */
export class ConfigResolver {
  private readonly byDir = new Map<string, Config>();
  private readonly matchers = new Map<Config, (rel: string) => boolean>();

  constructor(
    private readonly knownRules: ReadonlySet<string>,
    /** A configuration that applies everywhere (--config), instead of searching. */
    private readonly fixed?: Config,
  ) {}

  forFile(file: string): Config {
    return this.forDir(path.dirname(path.resolve(file)));
  }

  forDir(dir: string): Config {
    if (this.fixed) return this.fixed;
    const cached = this.byDir.get(dir);
    if (cached) return cached;
    const candidate = path.join(dir, CONFIG_FILE);
    let config: Config;
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile())
      config = loadConfigFile(candidate, this.knownRules);
    else {
      const parent = path.dirname(dir);
      config = parent === dir ? { root: dir, rules: {}, exclude: [] } : this.forDir(parent);
    }
    this.byDir.set(dir, config);
    return config;
  }

  /** Whether the path (file or directory) is excluded by the configuration that applies to it. */
  isExcluded(p: string, isDir: boolean): boolean {
    const abs = path.resolve(p);
    const config = isDir ? this.forDir(path.dirname(abs)) : this.forFile(abs);
    if (config.exclude.length === 0) return false;
    let match = this.matchers.get(config);
    if (!match) {
      const m = picomatch(config.exclude, { dot: true });
      match = (rel) => m(rel) || m(rel + "/");
      this.matchers.set(config, match);
    }
    const rel = path.relative(config.root, abs).split(path.sep).join("/");
    if (rel.startsWith("..") || rel === "") return false;
    return match(rel);
  }

  /** Forgets cached files, after a configuration file changed on disk. */
  clear(): void {
    this.byDir.clear();
    this.matchers.clear();
  }
}
