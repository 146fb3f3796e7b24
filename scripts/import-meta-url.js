// esbuild inject: web-tree-sitter reads import.meta.url, which is empty in a
// CommonJS bundle; the build defines it as this file-URL of the bundle instead.
export const importMetaUrl = require("node:url").pathToFileURL(__filename).href;
