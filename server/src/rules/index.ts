// The registry: every rule mapctx runs, listed explicitly and sorted by id. It
// refuses to load an invalid or duplicate id or a rule without docs.
import { UNUSED_IGNORE } from "../analysis/suppress";
import { SEVERITIES } from "../analysis/types";
import type { Rule } from "../analysis/rule";
import { contextKeyBuiltin } from "./context-key-builtin";
import { contextNotPropagated } from "./context-not-propagated";
import { contextStored } from "./context-stored";
import { contextValueChain } from "./context-value-chain";
import { contextValueOverwrite } from "./context-value-overwrite";
import { ginContextInGoroutine } from "./gin-context-in-goroutine";
import { ginKeysDirect } from "./gin-keys-direct";
import { globalMapRace } from "./global-map-race";
import { goroutineCtxLeak } from "./goroutine-ctx-leak";
import { goroutineMapRace } from "./goroutine-map-race";
import { mapRangePick } from "./map-range-pick";
import { nilMapWrite } from "./nil-map-write";
import { requestDataInGlobal } from "./request-data-in-global";
import { sharedMapReturn } from "./shared-map-return";

export type { Rule } from "../analysis/rule";

const ID = /^[a-z]+(-[a-z]+)*$/;

function checked(rules: Rule[]): readonly Rule[] {
  const seen = new Set<string>();
  for (const r of rules) {
    if (!ID.test(r.id)) throw new Error(`rule id ${JSON.stringify(r.id)} is not lower-case kebab-case`);
    if (seen.has(r.id) || r.id === UNUSED_IGNORE) throw new Error(`rule id ${r.id} is registered twice`);
    seen.add(r.id);
    if (!SEVERITIES.includes(r.severity)) throw new Error(`rule ${r.id} has an invalid default severity`);
    const d = r.docs;
    if (!d?.title || !d.flags || !d.why || !d.bad || !d.good || !d.fix || d.silent.length === 0) {
      throw new Error(`rule ${r.id} is missing documentation`);
    }
  }
  return [...rules].sort((a, b) => (a.id < b.id ? -1 : 1));
}

export const RULES: readonly Rule[] = checked([
  contextKeyBuiltin,
  contextNotPropagated,
  contextStored,
  contextValueChain,
  contextValueOverwrite,
  ginContextInGoroutine,
  ginKeysDirect,
  globalMapRace,
  goroutineCtxLeak,
  goroutineMapRace,
  mapRangePick,
  nilMapWrite,
  requestDataInGlobal,
  sharedMapReturn,
]);

/** Ids a configuration or directive may name: the rules plus the engine's own unused-ignore. */
export const KNOWN_IDS: ReadonlySet<string> = new Set([...RULES.map((r) => r.id), UNUSED_IGNORE]);

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
