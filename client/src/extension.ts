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

const SOURCE = "mapctx";
const ANALYZE_WORKSPACE = "mapctx/analyzeWorkspace";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("mapctx", { log: true });
  context.subscriptions.push(output);

  const serverModule = context.asAbsolutePath(path.join("dist", "server.js"));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ["--nolazy", "--inspect=6019"] },
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
      await languageClient.sendRequest(ANALYZE_WORKSPACE);
    }),
  );

  try {
    await languageClient.start();
  } catch (err) {
    // The client already logged the cause; the status item shows the stopped state.
    output.error(`mapctx server failed to start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c && c.state !== State.Stopped) await c.stop();
}

/** The `{}` language status entry for Go files: server state and the number of mapctx findings. */
class StatusItem implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem("mapctx.status", { language: "go" });
  private readonly disposables: vscode.Disposable[] = [];
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
  }

  dispose(): void {
    if (this.countTimer) clearTimeout(this.countTimer);
    for (const d of this.disposables) d.dispose();
    this.item.dispose();
  }
}
