// The language server: LSP messages in, workspace model calls, diagnostics
// out. This directory is the only code that knows LSP; the analysis and the
// workspace model below it are plain TypeScript.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import {
  createConnection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  IPCMessageReader,
  IPCMessageWriter,
  ProposedFeatures,
  ResponseError,
  StreamMessageWriter,
  ErrorCodes,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
  type Message,
  type WorkspaceFolder,
} from "vscode-languageserver/node";
import { docsUrl, VERSION } from "../analysis/docsUrl";
import { initParser } from "../analysis/engine";
import type { RuleFailure } from "../analysis/engine";
import type { Finding } from "../analysis/types";
import { Documents, type ContentChange } from "../documents";
import { KNOWN_IDS, RULES } from "../rules";
import { Workspace, type ScanResult } from "../workspace/model";
import { WorkspaceResolver } from "../workspace/resolver";
import { ACTION_KINDS, codeActions, SHOW_DOCUMENTATION } from "./codeActions";
import { fileUri, toDiagnostic } from "./diagnostics";
import { CheckedStreamReader } from "./transport";
import { serverRules } from "./test-rule";
import { DEFAULT_SETTINGS, parseSettings, type Settings } from "./settings";

/** Requests the VS Code client sends (client/src/extension.ts). */
export const ANALYZE_WORKSPACE = "mapctx/analyzeWorkspace";

/**
 * The server's memory for the log: JavaScript heap in use and resident set.
 * When node runs with --expose-gc (the memory test), garbage is collected
 * first so that the heap figure is what is kept.
 */
export function memoryFigures(): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
  const m = process.memoryUsage();
  return `memory: heap ${(m.heapUsed / 1048576).toFixed(0)} MiB, RSS ${(m.rss / 1048576).toFixed(0)} MiB`;
}

/**
 * Worker threads for the workspace scan (default: one per core; 0 scans in the
 * server's own thread). Even one worker keeps the editor's requests answered
 * and takes the memory its parser grew to with it when the scan ends.
 */
export const SCAN_THREADS_ENV = "MAPCTX_SCAN_THREADS";

/**
 * The connection the command line asks for: `--stdio`, `--node-ipc`,
 * `--socket=N` or `--pipe=name`, and node IPC when the process has an IPC
 * channel and no flag (the way VS Code forks it).
 */
export function createServerConnection(argv: readonly string[] = process.argv): Connection {
  const flags = argv.slice(2);
  if (flags.includes("--stdio")) return stdioConnection();
  if (flags.some((a) => a === "--node-ipc" || /^--(socket|pipe)(=|$)/.test(a))) {
    return createConnection(ProposedFeatures.all);
  }
  if (process.send)
    return createConnection(ProposedFeatures.all, new IPCMessageReader(process), new IPCMessageWriter(process));
  process.stderr.write("mapctx language server: start it from an editor, with --stdio or over node IPC\n");
  process.exit(2);
}

/**
 * The connection over stdin/stdout, with malformed input answered by a
 * JSON-RPC error (see transport.ts) instead of being dropped silently.
 */
function stdioConnection(): Connection {
  const writer = new StreamMessageWriter(process.stdout);
  // The connection's log exists only once the reader it reads from does.
  const log: { warn?: (m: string) => void } = {};
  const reader = new CheckedStreamReader(process.stdin, (id, code, message) => {
    void writer.write({ jsonrpc: "2.0", id, error: { code, message } } as Message);
    log.warn?.(`malformed message from the client: ${message}`);
  });
  const connection = createConnection(ProposedFeatures.all, reader, writer);
  log.warn = (m) => connection.console.warn(m);
  // stdout carries the protocol: console output goes to the client's log, as the library does for its own stdio.
  console.log = (...a: unknown[]) => connection.console.log(format(...a));
  console.info = (...a: unknown[]) => connection.console.info(format(...a));
  console.warn = (...a: unknown[]) => connection.console.warn(format(...a));
  console.error = (...a: unknown[]) => connection.console.error(format(...a));
  console.debug = (...a: unknown[]) => connection.console.log(format(...a));
  // The editor is gone when its end of the pipe closes: exit, cleanly after a shutdown request.
  const exit = (): never => process.exit(reader.shutdownRequested ? 0 : 1);
  process.stdin.on("end", exit);
  process.stdin.on("close", exit);
  return connection;
}

interface Folder {
  uri: string;
  path: string;
}

interface ClientSupport {
  configuration: boolean;
  folders: boolean;
  watchers: boolean;
  dynamicConfiguration: boolean;
  /** WorkspaceEdit.documentChanges (versioned edits). */
  documentChanges: boolean;
  /** CodeAction.disabled. */
  disabledActions: boolean;
  /** window/showDocument. */
  showDocument: boolean;
}

/** The path of a file URI, or the URI itself for other schemes (untitled documents). */
function fileOf(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export function startServer(connection: Connection): void {
  const documents = new Documents();
  const support: ClientSupport = {
    configuration: false,
    folders: false,
    watchers: false,
    dynamicConfiguration: false,
    documentChanges: false,
    disabledActions: false,
    showDocument: false,
  };
  /** Settings the client pushed with didChangeConfiguration, for clients that cannot be asked. */
  let pushed: unknown = undefined;
  let settings: Settings = { ...DEFAULT_SETTINGS };
  let settingsKey = "";
  let folders: Folder[] = [];
  const failedRules = new Set<string>();
  /** Uris of open documents by file, so that diagnostics use the client's own spelling. */
  const openUris = new Map<string, string>();
  /** Open documents that are not Go (a client that sends every buffer): their changes are ignored quietly. */
  const otherUris = new Set<string>();
  let ready = false;

  const log = {
    error: (m: string) => connection.console.error(m),
    warning: (m: string) => connection.console.warn(m),
    info: (m: string) => connection.console.info(m),
    verbose: (m: string) => {
      if (settings.trace.server === "verbose") connection.console.log(m);
    },
  };

  const resolver = new WorkspaceResolver(KNOWN_IDS, (m) => log.error(m));
  const uriOf = (file: string): string => openUris.get(file) ?? fileUri(file);
  // Findings an edit did not touch are the same objects from one publish to the next.
  const converted = new WeakMap<Finding, Diagnostic>();
  const diagnostic = (f: Finding): Diagnostic => {
    let d = converted.get(f);
    if (!d) converted.set(f, (d = toDiagnostic(f, uriOf)));
    return d;
  };
  const workspace = new Workspace(
    {
      publish(file: string, findings: readonly Finding[], version: number | null): void {
        void connection.sendDiagnostics({
          uri: uriOf(file),
          ...(version === null ? {} : { version }),
          diagnostics: findings.map(diagnostic),
        });
      },
      log(level, message) {
        log[level](message);
      },
      trace(message: string): void {
        log.verbose(message);
      },
      ruleFailed(f: RuleFailure): void {
        // Once per rule: a rule that throws on one file usually throws on many.
        if (failedRules.has(f.rule)) return;
        failedRules.add(f.rule);
        log.error(`rule ${f.rule} failed on ${f.file}: ${f.message} (further failures of this rule are not logged)`);
      },
    },
    resolver,
    serverRules(RULES),
    KNOWN_IDS,
  );
  const threads = process.env[SCAN_THREADS_ENV];
  if (threads !== undefined && threads !== "") {
    const n = Number(threads);
    if (Number.isInteger(n) && n >= 0) workspace.scanThreads = n;
    else
      log.warning(
        `${SCAN_THREADS_ENV}=${threads} is not a whole number of threads; scanning with ${workspace.scanThreads} threads`,
      );
  }

  /** Runs a handler, logging instead of letting an exception end the server. */
  function guarded<A extends unknown[]>(name: string, fn: (...args: A) => void | Promise<void>): (...args: A) => void {
    return (...args: A) => {
      try {
        const r = fn(...args);
        if (r instanceof Promise) r.catch((e: unknown) => log.error(`${name} failed: ${describe(e)}`));
      } catch (e) {
        log.error(`${name} failed: ${describe(e)}`);
      }
    };
  }

  connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
    await initParser();
    // Before any document can arrive (about 0.1 s of CPU): the first keystrokes then run compiled code.
    await workspace.warmUp();
    const caps = params.capabilities;
    support.configuration = caps.workspace?.configuration === true;
    support.watchers = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    support.dynamicConfiguration = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    support.folders = caps.workspace?.workspaceFolders === true;
    support.documentChanges = caps.workspace?.workspaceEdit?.documentChanges === true;
    support.disabledActions = caps.textDocument?.codeAction?.disabledSupport === true;
    support.showDocument = caps.window?.showDocument?.support === true;
    folders = toFolders(params);
    pushed = (params.initializationOptions as { settings?: unknown } | undefined)?.settings;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        codeActionProvider: { codeActionKinds: ACTION_KINDS, resolveProvider: false },
        executeCommandProvider: { commands: [SHOW_DOCUMENTATION] },
      },
      serverInfo: { name: "mapctx", version: VERSION },
    };
  });

  connection.onInitialized(
    guarded("initialized", async () => {
      if (support.watchers) {
        await connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: "**/*.go" }, { globPattern: "**/.mapctx.json" }],
        });
      }
      if (support.dynamicConfiguration)
        await connection.client.register(DidChangeConfigurationNotification.type, { section: "mapctx" });
      if (support.folders) {
        connection.workspace.onDidChangeWorkspaceFolders(
          guarded("workspace folders", async (e) => {
            const removed = new Set(e.removed.map((f) => f.uri));
            folders = [...folders.filter((f) => !removed.has(f.uri)), ...e.added.map(toFolder)];
            await loadSettings(true);
          }),
        );
      }
      await loadSettings(false);
      ready = true;
      for (const doc of documents.all()) workspace.open(doc);
      await scan();
    }),
  );

  /** Reads the settings (asking the client when it can) and applies what changed. */
  async function loadSettings(foldersChanged: boolean): Promise<void> {
    let raws: unknown[];
    if (support.configuration) {
      const items = [{ section: "mapctx" }, ...folders.map((f) => ({ scopeUri: f.uri, section: "mapctx" }))];
      try {
        raws = (await connection.workspace.getConfiguration(items)) as unknown[];
      } catch (e) {
        log.error(`reading the mapctx settings failed: ${describe(e)}`);
        raws = items.map(() => undefined);
      }
    } else {
      raws = [pushed, ...folders.map(() => pushed)];
    }
    const problems = new Set<string>();
    const parsed = raws.map((raw) => {
      const r = parseSettings(raw, KNOWN_IDS);
      for (const p of r.problems) problems.add(p);
      return r.settings;
    });
    for (const p of problems) log.warning(`${p} (setting ignored)`);
    const global = parsed[0] ?? { ...DEFAULT_SETTINGS };
    const perFolder = folders.map((f, i) => ({ root: f.path, settings: parsed[i + 1] ?? global }));
    // Server-wide settings come from the first folder, which holds the user's and the workspace's values.
    settings = perFolder[0]?.settings ?? global;
    resolver.setFolders(
      perFolder.map((f) => ({ root: f.root, settings: { rules: f.settings.rules, exclude: f.settings.exclude } })),
      { rules: global.rules, exclude: global.exclude },
    );
    workspace.delay = settings.diagnostics.delay;
    const key = JSON.stringify([
      global.rules,
      global.exclude,
      perFolder.map((f) => [f.root, f.settings.rules, f.settings.exclude]),
    ]);
    const analysisChanged = key !== settingsKey;
    settingsKey = key;
    workspace.setScope(settings.problems.scope);
    if (ready && (analysisChanged || foldersChanged)) await scan(true);
  }

  let scanning: Promise<ScanResult> | undefined;

  /** The workspace scan with progress; `again` re-analyses open files too (settings changed). */
  async function scan(again = false): Promise<ScanResult> {
    const progress = await connection.window.createWorkDoneProgress();
    progress.begin("mapctx", 0, "Analysing Go files", true);
    let last = 0;
    const run = (again ? workspace.reanalyzeAll.bind(workspace) : workspace.scan.bind(workspace))({
      begin(total) {
        progress.report(0, `0/${total} files`);
      },
      report(done, total) {
        const now = performance.now();
        if (done < total && now - last < 100) return;
        last = now;
        progress.report(total === 0 ? 100 : Math.floor((done * 100) / total), `${done}/${total} files`);
      },
      get cancelled() {
        return progress.token.isCancellationRequested;
      },
    });
    scanning = run;
    try {
      const r = await run;
      const secs = (r.ms / 1000).toFixed(1);
      log.info(
        r.cancelled
          ? `workspace scan cancelled after ${secs} s`
          : `analysed ${r.files} Go files in ${secs} s: ${r.findings} findings (${memoryFigures()})`,
      );
      return r;
    } finally {
      progress.done();
      if (scanning === run) scanning = undefined;
    }
  }

  connection.onRequest(
    ANALYZE_WORKSPACE,
    async (): Promise<{ files: number; findings: number; cancelled: boolean }> => {
      resolver.clear();
      const r = await scan(true);
      return { files: r.files, findings: r.findings, cancelled: r.cancelled };
    },
  );

  connection.onDidChangeConfiguration(
    guarded("configuration change", async (params) => {
      const section = (params.settings as { mapctx?: unknown } | null | undefined)?.mapctx;
      if (section !== undefined) pushed = section;
      await loadSettings(false);
    }),
  );

  connection.onDidChangeWatchedFiles(
    guarded("watched files", async (params) => {
      const events = params.changes.map((c) => ({
        file: fileOf(c.uri),
        kind:
          c.type === FileChangeType.Created
            ? ("created" as const)
            : c.type === FileChangeType.Deleted
              ? ("deleted" as const)
              : ("changed" as const),
      }));
      const rescan = workspace.filesChanged(events);
      if (rescan) {
        log.info("a .mapctx.json changed: analysing the workspace again");
        await scan(true);
      }
    }),
  );

  connection.onDidOpenTextDocument(
    guarded("didOpen", (params) => {
      const { uri, languageId, version, text } = params.textDocument;
      const file = fileOf(uri);
      if (languageId !== "go" && !file.endsWith(".go")) {
        otherUris.add(uri);
        return;
      }
      const doc = documents.open(uri, file, languageId, version, text);
      openUris.set(file, uri);
      if (!ready) return; // opened with the others once the settings are known
      workspace.open(doc);
      if (!support.watchers && path.isAbsolute(file)) workspace.recheckDir(path.dirname(file));
    }),
  );

  connection.onDidChangeTextDocument(
    guarded("didChange", (params) => {
      const { uri, version } = params.textDocument;
      let doc = documents.get(uri);
      const changes = params.contentChanges as ContentChange[];
      if (!doc && otherUris.has(uri)) return;
      if (!doc) {
        const full = [...changes].reverse().find((c) => !c.range);
        if (!full) {
          log.warning(`didChange for ${uri}, which is not open; ignored`);
          return;
        }
        log.warning(`didChange for ${uri}, which is not open; taking its full text`);
        doc = documents.open(uri, fileOf(uri), "go", version, full.text);
        openUris.set(doc.file, uri);
        if (ready) workspace.open(doc);
        return;
      }
      const result = doc.apply(changes, version);
      for (const p of result.problems) log.warning(`${uri}: ${p}`);
      if (ready) workspace.change(doc.file, result);
    }),
  );

  connection.onDidCloseTextDocument(
    guarded("didClose", (params) => {
      otherUris.delete(params.textDocument.uri);
      const doc = documents.close(params.textDocument.uri);
      if (!doc) return;
      openUris.delete(doc.file);
      if (ready) workspace.close(doc.file);
    }),
  );

  connection.onDidSaveTextDocument(
    guarded("didSave", (params) => {
      const file = fileOf(params.textDocument.uri);
      if (!support.watchers && ready && path.isAbsolute(file)) workspace.recheckDir(path.dirname(file));
    }),
  );

  /** The open document's version of a file, or null when it is not open. */
  const versionOf = (file: string): number | null => {
    const uri = openUris.get(file);
    return (uri !== undefined ? documents.get(uri)?.version : undefined) ?? null;
  };

  connection.onCodeAction((params): CodeAction[] => {
    try {
      const uri = params.textDocument.uri;
      const doc = documents.get(uri);
      if (!doc && otherUris.has(uri)) return [];
      const file = doc?.file ?? fileOf(uri);
      let current = workspace.actionFindings(file);
      let stale: string | undefined;
      // Edits computed for an older text would land in the wrong places.
      if (doc && current.version !== doc.version) {
        stale =
          current.version === undefined || current.version === null
            ? "mapctx has not analysed this document yet"
            : `mapctx has not analysed the latest edit yet (findings are for version ${current.version}, the document is at ${doc.version})`;
      }
      if (!stale) {
        // Per-declaration findings may lag behind edits elsewhere in the file,
        // and edits in other files were computed against those files' texts
        // at the time: both are computed afresh before they are offered.
        const crossFile = current.findings.some((f) => f.fixes.some((x) => x.edits.some((e) => e.file !== f.file)));
        if (!current.exact || crossFile) {
          workspace.settle(file, crossFile);
          current = workspace.actionFindings(file);
        }
      }
      return codeActions({
        file,
        range: params.range,
        context: params.context,
        findings: current.findings,
        stale,
        uriOf,
        versionOf,
        diagnostic,
        client: { documentChanges: support.documentChanges, disabled: support.disabledActions },
      });
    } catch (e) {
      log.error(`code actions for ${params.textDocument.uri} failed: ${describe(e)}`);
      return [];
    }
  });

  connection.onExecuteCommand(async (params): Promise<null> => {
    if (params.command !== SHOW_DOCUMENTATION)
      throw new ResponseError(ErrorCodes.InvalidParams, `mapctx has no command ${params.command}`);
    const rule = params.arguments?.[0];
    if (typeof rule !== "string" || !KNOWN_IDS.has(rule))
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        `${SHOW_DOCUMENTATION} expects a rule id, got ${JSON.stringify(rule)}`,
      );
    const url = docsUrl(rule);
    if (support.showDocument) {
      const r = await connection.window.showDocument({ uri: url, external: true });
      if (!r.success) log.warning(`the editor could not open ${url}`);
    } else {
      void connection.window.showInformationMessage(`Documentation for ${rule}: ${url}`);
    }
    return null;
  });

  connection.onShutdown(() => {
    workspace.dispose();
  });

  connection.listen();
}

function toFolder(f: WorkspaceFolder): Folder {
  return { uri: f.uri, path: fileOf(f.uri) };
}

function toFolders(params: InitializeParams): Folder[] {
  const list: Folder[] = [];
  if (params.workspaceFolders && params.workspaceFolders.length > 0)
    list.push(...params.workspaceFolders.map(toFolder));
  else if (params.rootUri) list.push({ uri: params.rootUri, path: fileOf(params.rootUri) });
  else if (params.rootPath) list.push({ uri: fileUri(params.rootPath), path: params.rootPath });
  return list.filter((f) => path.isAbsolute(f.path));
}
