// Package facts: the summaries of every file of one package (directory plus
// package clause) merged, so a rule sees a map declared in a sibling file.
import type { ConstFact, FileSummary, FuncFact, TypeFact, VarFact } from "./facts";

export class PackageFacts {
  readonly vars = new Map<string, VarFact>();
  readonly consts = new Map<string, ConstFact>();
  readonly types = new Map<string, TypeFact>();
  /** Functions by name; methods of different receivers may share one. */
  readonly funcs = new Map<string, FuncFact[]>();
  readonly namedMapTypes = new Set<string>();
  readonly goLaunched = new Set<string>();
  readonly assignedNames = new Set<string>();
  readonly hasGo: boolean;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly files: readonly FileSummary[],
  ) {
    let hasGo = false;
    for (const f of files) {
      for (const t of f.types) {
        this.types.set(t.name, t);
        if (t.kind === "map") this.namedMapTypes.add(t.name);
      }
    }
    for (const f of files) {
      for (const v of f.vars) {
        // A var typed or built with a named map type declared in a sibling file.
        if (!v.isMap && v.typeText && this.namedMapTypes.has(v.typeText))
          this.vars.set(v.name, { ...v, isMap: true, mapType: v.typeText });
        else if (!v.isMap && v.valueText && /^make\(\s*(\w+)\s*[,)]/.test(v.valueText)) {
          const t = /^make\(\s*(\w+)/.exec(v.valueText)![1]!;
          this.vars.set(v.name, this.namedMapTypes.has(t) ? { ...v, isMap: true, valueKind: "make", mapType: t } : v);
        } else if (
          !v.isMap &&
          v.valueText &&
          /^(\w+)\{/.test(v.valueText) &&
          this.namedMapTypes.has(/^(\w+)\{/.exec(v.valueText)![1]!)
        ) {
          this.vars.set(v.name, {
            ...v,
            isMap: true,
            valueKind: "literal",
            mapType: /^(\w+)\{/.exec(v.valueText)![1]!,
          });
        } else this.vars.set(v.name, v);
      }
      for (const c of f.consts) this.consts.set(c.name, c);
      for (const fn of f.funcs) {
        const list = this.funcs.get(fn.name);
        if (list) list.push(fn);
        else this.funcs.set(fn.name, [fn]);
      }
      for (const g of f.goLaunched) this.goLaunched.add(g);
      for (const a of f.assignedNames) this.assignedNames.add(a);
      hasGo ||= f.hasGo;
    }
    this.hasGo = hasGo;
  }

  /** The package-level map variable of that name, if there is one. */
  mapVar(name: string): VarFact | undefined {
    const v = this.vars.get(name);
    return v?.isMap ? v : undefined;
  }

  isMapType(typeText: string | undefined): boolean {
    if (!typeText) return false;
    return typeText.startsWith("map[") || this.namedMapTypes.has(typeText);
  }
}
