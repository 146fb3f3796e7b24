// package.json declares the settings the server reads: their defaults must be
// the server's defaults, and mapctx.rules must list exactly the rules the
// registry has (plus the engine's unused-ignore), each with every severity.
// The Neovim snippet and the README start the server with the flags the VS Code
// client and the test client use.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { UNUSED_IGNORE } from "../server/src/analysis/suppress";
import { DEFAULT_SETTINGS, RULE_SETTINGS, SCOPES, TRACE_LEVELS, type Settings } from "../server/src/lsp/settings";
import { SERVER_NODE_FLAGS } from "../client/src/launch";
import { RULES } from "../server/src/rules";
import { ROOT } from "./helpers";

interface Property {
  type: string;
  scope?: string;
  default?: unknown;
  enum?: string[];
  properties?: Record<string, Property>;
  additionalProperties?: boolean;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  contributes: { configuration: { properties: Record<string, Property> } };
};
const props = manifest.contributes.configuration.properties;

/** The server defaults flattened to dotted keys, as package.json spells them. */
function flatten(obj: Settings): Record<string, unknown> {
  return {
    "mapctx.rules": obj.rules,
    "mapctx.problems.scope": obj.problems.scope,
    "mapctx.exclude": obj.exclude,
    "mapctx.diagnostics.delay": obj.diagnostics.delay,
    "mapctx.trace.server": obj.trace.server,
  };
}

describe("package.json settings", () => {
  it("declares exactly the settings the server reads, all with resource scope", () => {
    assert.deepEqual(Object.keys(props).sort(), Object.keys(flatten(DEFAULT_SETTINGS)).sort());
    for (const [key, p] of Object.entries(props)) assert.equal(p.scope, "resource", `${key} scope`);
  });

  it("has the server's defaults", () => {
    for (const [key, value] of Object.entries(flatten(DEFAULT_SETTINGS))) {
      assert.deepEqual(props[key]!.default, value, `${key} default`);
    }
  });

  it("offers the values the server accepts", () => {
    assert.deepEqual(props["mapctx.problems.scope"]!.enum, [...SCOPES]);
    assert.deepEqual(props["mapctx.trace.server"]!.enum, [...TRACE_LEVELS]);
  });

  it("lists every registered rule (and unused-ignore) under mapctx.rules, with every severity", () => {
    const rules = props["mapctx.rules"]!;
    assert.equal(rules.additionalProperties, false);
    const expected = [...RULES.map((r) => r.id), UNUSED_IGNORE].sort();
    const listed = Object.keys(rules.properties ?? {}).sort();
    assert.deepEqual(listed, expected, "mapctx.rules properties in package.json: run npx tsx scripts/gen-settings.ts");
    for (const id of listed)
      assert.deepEqual(rules.properties![id]!.enum, [...RULE_SETTINGS], `mapctx.rules.${id} enum`);
  });
});

describe("server launch", () => {
  it("the Neovim snippet and the README pass node the server's flags", () => {
    const lua = fs.readFileSync(path.join(ROOT, "test", "neovim", "mapctx.lua"), "utf8");
    const cmd = /cmd = \{([^}]*)\}/.exec(lua)?.[1] ?? "";
    const args = [...cmd.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(args.slice(1, 1 + SERVER_NODE_FLAGS.length), [...SERVER_NODE_FLAGS], `mapctx.lua cmd: ${cmd}`);
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    assert.ok(readme.includes(`node ${SERVER_NODE_FLAGS.join(" ")} dist/server.js --stdio`), "README names the flags");
  });
});
