// A rule that always throws, for the protocol robustness test only
// (test/lsp-robust.test.ts): the server adds it to its rules when started with
// the environment variable MAPCTX_TEST_THROWING_RULE=1. It is not in the rule
// registry, so the CLI, the docs and the rule meta-tests never see it.
import type { Rule } from "../analysis/rule";

export const THROWING_RULE_ENV = "MAPCTX_TEST_THROWING_RULE";
export const THROWING_RULE_ID = "test-throwing-rule";

const throwingRule: Rule = {
  id: THROWING_RULE_ID,
  severity: "warning",
  docs: { title: "Throws on every file (tests only)", flags: "", why: "", bad: "", good: "", fix: "", silent: [] },
  related: [],
  detect() {
    throw new Error(`${THROWING_RULE_ID} throws on purpose (${THROWING_RULE_ENV}=1)`);
  },
};

/** The server's rules: the registry's, plus the throwing rule when the test asks for it. */
export function serverRules(rules: readonly Rule[], env: NodeJS.ProcessEnv = process.env): readonly Rule[] {
  return env[THROWING_RULE_ENV] === "1" ? [...rules, throwingRule] : rules;
}
