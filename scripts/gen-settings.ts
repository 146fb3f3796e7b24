// `npx tsx scripts/gen-settings.ts`: rewrites the mapctx.rules entry of
// package.json's contributes.configuration from the rule registry (one
// property per rule plus unused-ignore), then formats package.json.
// test/meta.test.ts fails until this has been run after adding a rule.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UNUSED_IGNORE } from "../server/src/analysis/suppress";
import { RULE_SETTINGS } from "../server/src/lsp/settings";
import { RULES } from "../server/src/rules";

const file = path.resolve(__dirname, "..", "package.json");
const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as {
  contributes: { configuration: { properties: Record<string, { properties?: Record<string, unknown> }> } };
};
const properties: Record<string, unknown> = {};
for (const id of [...RULES.map((r) => r.id), UNUSED_IGNORE].sort()) {
  const rule = RULES.find((r) => r.id === id);
  properties[id] = {
    type: "string",
    enum: [...RULE_SETTINGS],
    description: rule
      ? `${rule.docs.title} (default: ${rule.severity})`
      : "A mapctx:ignore or nolint:mapctx directive that silences nothing (default: hint)",
  };
}
manifest.contributes.configuration.properties["mapctx.rules"]!.properties = properties;
fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n");
execFileSync(process.execPath, [require.resolve("prettier/bin/prettier.cjs"), "--write", file], { stdio: "inherit" });
