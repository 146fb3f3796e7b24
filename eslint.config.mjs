// ESLint flat config. Besides typescript-eslint's recommended rules it enforces the
// module boundaries of STYLE.md: the server never imports `vscode` (it runs in a plain
// Node process, also under Neovim), only server/src/lsp/ and server/src/server.ts know
// LSP types, and the client stays thin (no analysis code).
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

const vscodeApi = {
  name: "vscode",
  message: "The server runs outside VS Code; only client/ may import the vscode API.",
};
const languageServer = {
  group: ["vscode-languageserver", "vscode-languageserver/*", "vscode-languageserver-*"],
  message: "Only server/src/lsp/ and server/src/server.ts may use the language server library.",
};
const serverSources = {
  group: ["**/server/**", "**/server"],
  message: "The client is thin: it talks to the server over LSP and never imports its code.",
};

export default defineConfig(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "test/fixtures/**",
      "examples/**",
      "grammars/**",
      "test-results/**",
      ".e2e/**",
      ".bench/**",
    ],
  },
  tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": ["error", { patterns: [languageServer] }],
    },
  },
  {
    files: ["server/**"],
    rules: {
      "no-restricted-imports": ["error", { paths: [vscodeApi], patterns: [languageServer] }],
    },
  },
  {
    files: ["server/src/lsp/**", "server/src/server.ts"],
    rules: {
      "no-restricted-imports": ["error", { paths: [vscodeApi] }],
    },
  },
  {
    files: ["client/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [languageServer, serverSources] }],
    },
  },
  {
    // Tests and benchmarks act as LSP clients, so they may use the protocol packages.
    files: ["test/**", "bench/**"],
    rules: {
      "no-restricted-imports": "off",
    },
  },
  {
    // An esbuild inject file for the CommonJS bundles; `require` is what it is about.
    files: ["scripts/import-meta-url.js"],
    rules: {
      "@typescript-eslint/no-require-imports": "off",
    },
  },
);
