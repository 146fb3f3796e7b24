// Shared by the packaging and editor tests: make sure a fresh mapctx-<version>.vsix exists
// (rebuilding the bundles only when their sources changed) and list what is inside it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

export const ROOT = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
export const VSIX = path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
const BUNDLES = ["dist/client.js", "dist/server.js", "dist/cli.js"];
const LOCK = path.join(ROOT, ".e2e", "vsix.lock");

/** Newest modification time of the files under the given paths (missing paths count as 0). */
function newest(paths: string[]): number {
  let t = 0;
  const stack = paths.map((p) => path.join(ROOT, p));
  while (stack.length) {
    const p = stack.pop()!;
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) stack.push(path.join(p, e));
    else t = Math.max(t, st.mtimeMs);
  }
  return t;
}

/** Oldest modification time of the given files, or 0 when one is missing. */
function oldest(paths: string[]): number {
  let t = Infinity;
  for (const p of paths) {
    try {
      t = Math.min(t, fs.statSync(path.join(ROOT, p)).mtimeMs);
    } catch {
      return 0;
    }
  }
  return t;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `${path.basename(cmd)} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`,
    );
  }
}

/** Node's test runner runs test files in parallel; one process at a time may build. */
async function withLock<T>(fn: () => T): Promise<T> {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock this old was left behind by a killed run.
      const since = fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 5 * 60_000) {
        fs.rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`);
      await delay(200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Returns the path of a vsix built from the current sources. */
export async function ensureVsix(): Promise<string> {
  return withLock(() => {
    const sources = newest(["server/src", "client/src", "scripts/build.mjs", "package-lock.json"]);
    if (oldest(BUNDLES) <= sources) run(process.execPath, [path.join(ROOT, "scripts", "build.mjs")]);
    const inputs = newest(["dist", "package.json", "README.md", "LICENSE", ".vscodeignore", "grammars", "docs/rules"]);
    if (oldest([path.relative(ROOT, VSIX)]) <= inputs) {
      run(process.execPath, [require.resolve("@vscode/vsce/vsce"), "package", "--no-dependencies", "--out", VSIX]);
    }
    return VSIX;
  });
}

/** The entry names of a zip file, read from its central directory. */
export function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString("utf8", p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}
