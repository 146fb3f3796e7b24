// Configuration for the language server: the editor's settings (per workspace
// folder) merged over `.mapctx.json`, so the CLI and the editor agree unless
// the user overrides a rule in the editor. A broken `.mapctx.json` is reported
// once and treated as absent instead of stopping the server.
import * as path from "node:path";
import picomatch from "picomatch";
import { ConfigResolver, type Config } from "../analysis/config";
import { UserError, type SeveritySetting } from "../analysis/types";
import { isSkippedDir } from "./discover";

/** The settings that change what is analysed; the editor gives them per workspace folder. */
export interface AnalysisSettings {
  rules: Readonly<Record<string, SeveritySetting>>;
  exclude: readonly string[];
}

export interface FolderSettings {
  /** Absolute path of the workspace folder. */
  root: string;
  settings: AnalysisSettings;
}

const NONE: AnalysisSettings = { rules: {}, exclude: [] };

export class WorkspaceResolver extends ConfigResolver {
  private folders: FolderSettings[] = [];
  private fallback: AnalysisSettings = NONE;
  private readonly broken = new Map<string, Config>();
  private readonly reported = new Set<string>();
  private readonly settingsMatchers = new Map<FolderSettings | AnalysisSettings, (rel: string) => boolean>();

  constructor(
    knownRules: ReadonlySet<string>,
    /** Told once about each unusable configuration file. */
    private readonly onError: (message: string) => void,
  ) {
    super(knownRules);
  }

  /** Sets the workspace folders with their settings; `fallback` applies to files outside all of them. */
  setFolders(folders: FolderSettings[], fallback: AnalysisSettings = NONE): void {
    // Deepest folder first, so that nested folders win.
    this.folders = [...folders]
      .map((f) => ({ ...f, root: path.resolve(f.root) }))
      .sort((a, b) => b.root.length - a.root.length);
    this.fallback = fallback;
    this.settingsMatchers.clear();
  }

  get roots(): string[] {
    return this.folders.map((f) => f.root);
  }

  /** The workspace folder holding the path, if any. */
  folderOf(p: string): FolderSettings | undefined {
    const abs = path.resolve(p);
    return this.folders.find((f) => abs === f.root || abs.startsWith(f.root + path.sep));
  }

  settingsFor(p: string): AnalysisSettings {
    return this.folderOf(p)?.settings ?? this.fallback;
  }

  /** A rule's configured severity for a file: the editor's setting, else `.mapctx.json`, else undefined (the rule's default). */
  severityFor(rule: string, file: string): SeveritySetting | undefined {
    return this.settingsFor(file).rules[rule] ?? this.forFile(file).rules[rule];
  }

  override forDir(dir: string): Config {
    const known = this.broken.get(dir);
    if (known) return known;
    try {
      return super.forDir(dir);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      if (!this.reported.has(e.message)) {
        this.reported.add(e.message);
        this.onError(`${e.message}; the file is ignored until it is fixed`);
      }
      const fallback: Config = { root: dir, rules: {}, exclude: [] };
      this.broken.set(dir, fallback);
      return fallback;
    }
  }

  override isExcluded(p: string, isDir: boolean): boolean {
    if (super.isExcluded(p, isDir)) return true;
    const abs = path.resolve(p);
    const folder = this.folderOf(abs);
    const settings = folder?.settings ?? this.fallback;
    if (settings.exclude.length === 0) return false;
    const key = folder ?? settings;
    let match = this.settingsMatchers.get(key);
    if (!match) {
      const m = picomatch([...settings.exclude], { dot: true });
      match = (rel) => m(rel) || m(rel + "/");
      this.settingsMatchers.set(key, match);
    }
    // Globs are relative to the workspace folder; outside any folder, to the file's directory.
    const base = folder?.root ?? (isDir ? abs : path.dirname(abs));
    const rel = path.relative(base, abs).split(path.sep).join("/");
    if (rel === "" || rel.startsWith("..")) return false;
    return match(rel);
  }

  /**
   * Whether a workspace scan would analyse this Go file: inside a folder, not
   * in a directory the go tool skips (vendor, testdata, hidden), not excluded.
   */
  inWorkspace(file: string): boolean {
    const folder = this.folderOf(file);
    if (!folder || !file.endsWith(".go")) return false;
    const rel = path.relative(folder.root, path.resolve(file));
    const dirs = rel.split(path.sep).slice(0, -1);
    if (dirs.some((d) => isSkippedDir(d))) return false;
    let dir = folder.root;
    for (const d of dirs) {
      dir = path.join(dir, d);
      if (this.isExcluded(dir, true)) return false;
    }
    return !this.isExcluded(file, false);
  }

  override clear(): void {
    super.clear();
    this.broken.clear();
    this.reported.clear();
    this.settingsMatchers.clear();
  }
}
