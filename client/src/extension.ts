// The VS Code side of mapctx: starts the language server and shows its state.
// It stays thin on purpose; all analysis happens in the server process (dist/server.js).
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { SERVER_NODE_FLAGS } from "./launch";

const SOURCE = "mapctx";
const ANALYZE_WORKSPACE = "mapctx/analyzeWorkspace";
/** The reply of the server's `mapctx/analyzeWorkspace` request. */
interface AnalyzeResult {
  files: number;
  findings: number;
  cancelled: boolean;
}

let client: LanguageClient | undefined;

/** What activate() returns; the editor tests read the status item through it. */
export interface MapctxApi {
  status(): { text: string; detail: string | undefined };
  readonly onDidChangeStatus: vscode.Event<void>;
}

export async function activate(context: vscode.ExtensionContext): Promise<MapctxApi> {
  const output = vscode.window.createOutputChannel("mapctx", { log: true });
  context.subscriptions.push(output);

  const serverModule = context.asAbsolutePath(path.join("dist", "server.js"));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS] } },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: [...SERVER_NODE_FLAGS, "--nolazy", "--inspect=6019"] },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "go" },
      { scheme: "untitled", language: "go" },
    ],
    outputChannel: output,
    synchronize: { configurationSection: "mapctx" },
  };
  const languageClient = new LanguageClient("mapctx", "mapctx", serverOptions, clientOptions);
  client = languageClient;

  const status = new StatusItem(languageClient);
  context.subscriptions.push(
    status,
    vscode.commands.registerCommand("mapctx.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("mapctx.restartServer", async () => {
      output.info("restarting the mapctx server");
      await languageClient.restart();
    }),
    vscode.commands.registerCommand("mapctx.analyzeWorkspace", async () => {
      if (languageClient.state !== State.Running) {
        void vscode.window.showWarningMessage("mapctx: the server is not running");
        return;
      }
      const r = await languageClient.sendRequest<AnalyzeResult>(ANALYZE_WORKSPACE);
      const summary = r.cancelled
        ? "mapctx: the workspace analysis was cancelled"
        : `mapctx: analysed ${r.files} Go ${r.files === 1 ? "file" : "files"}, ${r.findings} ${r.findings === 1 ? "finding" : "findings"}`;
      void vscode.window.showInformationMessage(summary);
    }),
  );

  try {
    await languageClient.start();
  } catch (err) {
    // The client already logged the cause; the status item shows the stopped state.
    output.error(`mapctx server failed to start: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    status: () => ({ text: status.item.text, detail: status.item.detail }),
    onDidChangeStatus: status.onDidChange,
  };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  // A server that failed to start has nothing left to stop; shutting down must not throw.
  if (c && c.state !== State.Stopped) await c.stop().catch(() => undefined);
}

/** The `{}` language status entry for Go files: server state and the number of mapctx findings. */
class StatusItem implements vscode.Disposable {
  readonly item = vscode.languages.createLanguageStatusItem("mapctx.status", { language: "go" });
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private state = "starting";
  private findings = 0;
  private countTimer: NodeJS.Timeout | undefined;

  constructor(languageClient: LanguageClient) {
    this.item.name = "mapctx";
    this.item.command = { title: "Show output", command: "mapctx.showOutput" };
    this.disposables.push(
      languageClient.onDidChangeState((e) => {
        this.state = e.newState === State.Running ? "running" : e.newState === State.Starting ? "starting" : "stopped";
        this.render();
      }),
      // Diagnostics change in bursts during a workspace scan; recount at most every 100 ms.
      vscode.languages.onDidChangeDiagnostics(() => {
        this.countTimer ??= setTimeout(() => {
          this.countTimer = undefined;
          this.count();
        }, 100);
      }),
    );
    this.count();
  }

  private count(): void {
    let n = 0;
    for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
      for (const d of diagnostics) if (d.source === SOURCE) n++;
    }
    this.findings = n;
    this.render();
  }

  private render(): void {
    const findings = `${this.findings} ${this.findings === 1 ? "finding" : "findings"}`;
    this.item.text = this.state === "running" ? `mapctx: ${findings}` : `mapctx: ${this.state}`;
    this.item.detail = this.state === "running" ? "server running" : findings;
    this.item.busy = this.state === "starting";
    this.item.severity =
      this.state === "stopped" ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
    this.changed.fire();
  }

  dispose(): void {
    if (this.countTimer) clearTimeout(this.countTimer);
    for (const d of this.disposables) d.dispose();
    this.item.dispose();
  }
}
