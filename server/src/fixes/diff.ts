// A unified diff of two texts, for `mapctx fix --diff`. Fixes change a few
// places, so the common prefix and suffix are trimmed and only the middle is
// compared line by line.

/** Lines of a text, each keeping its newline (the last may have none). */
function splitLines(text: string): string[] {
  return text.length === 0 ? [] : text.split(/(?<=\n)/);
}

type Op = { kind: " " | "-" | "+"; line: string };

/** Line operations turning `a` into `b`, by longest common subsequence. */
function diffLines(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const middle: Op[] = [];
  if (am.length * bm.length > 4_000_000) {
    // Too large to compare cheaply: show the middle as replaced.
    for (const l of am) middle.push({ kind: "-", line: l });
    for (const l of bm) middle.push({ kind: "+", line: l });
  } else {
    const n = am.length;
    const m = bm.length;
    const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i]![j] = am[i] === bm[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        middle.push({ kind: " ", line: am[i++]! });
        j++;
      } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) middle.push({ kind: "-", line: am[i++]! });
      else middle.push({ kind: "+", line: bm[j++]! });
    }
  }
  return [
    ...a.slice(0, pre).map((line) => ({ kind: " " as const, line })),
    ...middle,
    ...a.slice(a.length - suf).map((line) => ({ kind: " " as const, line })),
  ];
}

/** `git diff`-style unified diff with `context` lines around each change; empty when equal. */
export function unifiedDiff(oldName: string, newName: string, before: string, after: string, context = 3): string {
  if (before === after) return "";
  const ops = diffLines(splitLines(before), splitLines(after));
  const out: string[] = [`--- ${oldName}\n`, `+++ ${newName}\n`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === " ") {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` after the last change close to it.
    let start = Math.max(0, k - context);
    while (start < k && ops[start]!.kind !== " ") start++;
    let end = k;
    for (let q = k; q < ops.length; q++) {
      if (ops[q]!.kind !== " ") end = q;
      else if (q - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (let q = 0; q < start; q++) {
      if (ops[q]!.kind !== "+") oldStart++;
      if (ops[q]!.kind !== "-") newStart++;
    }
    const body = ops.slice(start, stop);
    const oldLen = body.filter((o) => o.kind !== "+").length;
    const newLen = body.filter((o) => o.kind !== "-").length;
    const range = (s: number, len: number) => (len === 1 ? `${s}` : `${len === 0 ? s - 1 : s},${len}`);
    out.push(`@@ -${range(oldStart, oldLen)} +${range(newStart, newLen)} @@\n`);
    for (const o of body) {
      out.push(o.kind + o.line);
      if (!o.line.endsWith("\n")) out.push("\n\\ No newline at end of file\n");
    }
    k = stop;
  }
  return out.join("");
}
