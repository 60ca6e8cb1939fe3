// Runs the compiled tests with node's test runner. `unit` limits the run to test/unit.
// Each test file runs in its own process; e2e files that need root say so themselves.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const which = process.argv[2];
const roots = which === "unit" ? ["dist/test/unit"] : ["dist/test/unit", "dist/test/e2e"];
const files = [];
const walk = (dir) => {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".test.js")) files.push(p);
  }
};
roots.forEach(walk);
const args = ["--enable-source-maps", "--test", "--test-concurrency=1", ...files];
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(r.status ?? 1);
