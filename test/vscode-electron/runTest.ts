// Runs the editor checks inside a desktop VS Code with @vscode/test-electron. Offline machines
// give one with VSCODE_EXECUTABLE_PATH; elsewhere runTests downloads VS Code 1.100.
// The same checks run in code-server by test/e2e/vscode.test.ts, which is what CI uses.
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTests } from "@vscode/test-electron";
import { ROOT, prepareWorkspace } from "../e2e/workspace";

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mapctx-electron-"));
  const ws = await prepareWorkspace(tmp);
  // The extension host loads plain JavaScript: bundle the suite with `vscode` left external.
  const suite = path.join(tmp, "suite", "index.js");
  await esbuild.build({
    entryPoints: [path.join(__dirname, "suite", "index.ts")],
    outfile: suite,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    logLevel: "warning",
  });
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH || undefined;
  try {
    await runTests({
      ...(vscodeExecutablePath ? { vscodeExecutablePath } : { version: "1.100.3" }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: suite,
      launchArgs: [
        ws.dir,
        "--disable-extensions",
        "--disable-workspace-trust",
        "--skip-welcome",
        "--user-data-dir",
        path.join(tmp, "user-data"),
      ],
      extensionTestsEnv: { MAPCTX_TEST_WORKSPACE: JSON.stringify(ws) },
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
