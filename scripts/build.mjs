// Bundles the CLI, the language server (and their analysis worker) and the VS Code client with esbuild,
// and copies the web-tree-sitter runtime wasm beside them.
import * as esbuild from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "dist");
const require = createRequire(import.meta.url);
fs.mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  absWorkingDir: root,
};
const server = {
  ...common,
  inject: [path.join(root, "scripts/import-meta-url.js")],
  define: { "import.meta.url": "importMetaUrl" },
};

await Promise.all([
  esbuild.build({
    ...server,
    entryPoints: ["server/src/cli.ts"],
    outfile: "dist/cli.js",
    banner: { js: "#!/usr/bin/env node" },
  }),
  esbuild.build({ ...server, entryPoints: ["server/src/server.ts"], outfile: "dist/server.js" }),
  esbuild.build({ ...server, entryPoints: ["server/src/workspace/worker.ts"], outfile: "dist/worker.js" }),
  esbuild.build({
    ...common,
    entryPoints: ["client/src/extension.ts"],
    outfile: "dist/client.js",
    external: ["vscode"],
  }),
]);
fs.copyFileSync(require.resolve("web-tree-sitter/web-tree-sitter.wasm"), path.join(dist, "web-tree-sitter.wasm"));
fs.chmodSync(path.join(dist, "cli.js"), 0o755);
