// Flags four or more context.WithValue calls that derive from each other in one function.
// Each WithValue adds a layer that every Value lookup walks; many loose keys are request metadata that wants one struct.
import { rangeOf } from "../analysis/syntax";
import type { RawFinding } from "../analysis/types";
import { describeFunction, valueFlow, type ValueCall } from "./context-value-overwrite";
import type { Rule, RuleContext } from "../analysis/rule";

/** The chain length at which the rule speaks. */
const THRESHOLD = 4;

export const contextValueChain: Rule = {
  id: "context-value-chain",
  severity: "info",
  related: [
    "go vet and staticcheck have no equivalent",
    'context package documentation: "Use context Values only for request-scoped data that transits processes and APIs"',
  ],
  docs: {
    title: "Four or more context values chained in one function",
    flags:
      "A function in which four or more `context.WithValue` calls derive from each other: a variable reassigned in place (`ctx = context.WithValue(ctx, k, v)` four times), a chain of variables (`ctx1` → `ctx2` → `ctx3` → `ctx4`), nested calls, or any mix, also through `context.WithCancel`/`WithTimeout`/`WithDeadline` and `r = r.WithContext(ctx)`. " +
      "The finding sits on the fourth call and counts the whole chain.",
    why:
      "A context is a linked list: every `WithValue` wraps the previous context, and every `ctx.Value(k)` walks the list from the newest layer back until it finds `k`, so lookups get slower with each value and each key needs its own type, constant and accessor. " +
      "Values set together in one place are usually one piece of request metadata (user, tenant, request id, locale). A single struct under a single key documents that, costs one layer, and gives callers one accessor.",
    bad: `func handle(w http.ResponseWriter, r *http.Request) {
\tctx := context.WithValue(r.Context(), userKey, user(r))
\tctx = context.WithValue(ctx, tenantKey, tenant(r))
\tctx = context.WithValue(ctx, requestIDKey, requestID(r))
\tctx = context.WithValue(ctx, localeKey, locale(r))
\tserve(ctx, w)
}`,
    good: `type RequestInfo struct {
\tUser, Tenant, RequestID, Locale string
}

type infoKey struct{}

func handle(w http.ResponseWriter, r *http.Request) {
\tinfo := &RequestInfo{User: user(r), Tenant: tenant(r), RequestID: requestID(r), Locale: locale(r)}
\tctx := context.WithValue(r.Context(), infoKey{}, info)
\tserve(ctx, w)
}`,
    fix: "Group the values in one struct type, store a pointer to it under one unexported key, and add one accessor (`InfoFrom(ctx) *RequestInfo`). Values that are not request-scoped (loggers, database handles, configuration) belong in function parameters or struct fields rather than in the context.",
    silent: [
      "three or fewer chained `WithValue` calls",
      "`WithValue` calls on unrelated contexts, even many in one function (for example table-driven tests that each start from `context.Background()`)",
      "calls spread over several functions: each function's own chain is counted",
      "contexts whose origin cannot be followed within the function (parameters, values set in a branch that does not enclose the next call, closures)",
    ],
  },
  detect(ctx: RuleContext): RawFinding[] {
    const out: RawFinding[] = [];
    const flow = valueFlow(ctx);
    if (flow.calls.length < THRESHOLD) return out;
    const depth = new Map<number, number>();
    const depthOf = (c: ValueCall): number => {
      const known = depth.get(c.call.id);
      if (known !== undefined) return known;
      // Walk up iteratively: parent links form a forest, never a cycle (each parent precedes its child).
      const path: ValueCall[] = [];
      let base = 0;
      for (let x: ValueCall | undefined = c; x; x = flow.parentOf.get(x.call.id)) {
        const d = depth.get(x.call.id);
        if (d !== undefined) {
          base = d;
          break;
        }
        path.push(x);
        if (path.length > flow.calls.length) break;
      }
      for (let i = path.length - 1; i >= 0; i--) depth.set(path[i]!.call.id, ++base);
      return depth.get(c.call.id)!;
    };
    // The longest chain through each call: its own depth, or the depth of its deepest descendant.
    const longest = new Map<number, number>();
    for (const c of flow.calls) {
      const d = depthOf(c);
      for (let x: ValueCall | undefined = c; x; x = flow.parentOf.get(x.call.id)) {
        if ((longest.get(x.call.id) ?? 0) >= d) break;
        longest.set(x.call.id, d);
      }
    }
    for (const c of flow.calls) {
      if (depthOf(c) !== THRESHOLD) continue;
      const n = longest.get(c.call.id) ?? THRESHOLD;
      out.push({
        range: rangeOf(c.callee),
        message: `${n} context values are chained in ${describeFunction(c.fn)}; put request metadata in one struct under one key`,
      });
    }
    return out;
  },
};
