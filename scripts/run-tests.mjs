// Runs every test/**/*.test.ts file with Node's test runner (TypeScript via tsx).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const only = process.argv.slice(2);
const files = [];
const stack = [path.join(root, "test")];
while (stack.length) {
  const dir = stack.pop();
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory() && ent.name !== "fixtures") stack.push(full);
    else if (ent.isFile() && ent.name.endsWith(".test.ts")) files.push(path.relative(root, full));
  }
}
files.sort();
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...selected], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
