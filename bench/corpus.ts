// The corpus the benchmarks read: the directory given on the command line,
// else the Go standard library source (GOROOT/src, when `go` is installed),
// else examples/.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/** GOROOT as `go env` prints it, or null without a Go toolchain. */
export function goroot(): string | null {
  try {
    return execFileSync("go", ["env", "GOROOT"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

/** The first argument that is not a flag, else GOROOT/src, else examples/. */
export function corpus(): string {
  const arg = process.argv.slice(2).find((a) => !a.startsWith("-"));
  if (arg) return path.resolve(arg);
  const root = goroot();
  return root ? path.join(root, "src") : path.resolve(__dirname, "..", "examples");
}
