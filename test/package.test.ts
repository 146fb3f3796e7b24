// The packaged extension holds exactly what it needs at run time: the three bundles, both
// wasm files (web-tree-sitter runtime and Go grammar) and the docs, and no sources or tests.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ensureVsix, zipEntries } from "./vsix";

test("the vsix holds the bundles and both wasm files, and no sources", async () => {
  const files = zipEntries(await ensureVsix())
    .filter((e) => e.startsWith("extension/"))
    .map((e) => e.slice("extension/".length));
  for (const f of [
    "package.json",
    "readme.md", // vsce stores README.md under this name
    "LICENSE.txt",
    "dist/client.js",
    "dist/server.js",
    "dist/cli.js",
    "dist/web-tree-sitter.wasm",
    "grammars/tree-sitter-go.wasm",
  ]) {
    assert.ok(files.includes(f), `${f} is missing from the vsix; it holds:\n${files.join("\n")}`);
  }
  assert.ok(
    files.some((f) => f.startsWith("docs/rules/")),
    "docs/rules/ is missing from the vsix",
  );
  const forbidden = /^(node_modules|test|server\/src|client\/src|scripts|bench|examples)\/|\.ts$|\.map$/;
  assert.deepEqual(
    files.filter((f) => forbidden.test(f)),
    [],
    "the vsix holds files that are not needed at run time",
  );
});
