/**
 * Test helper: golden files under test/unit/plan/golden/ in the source tree (found from the
 * compiled test's location or the working directory). `UPDATE_GOLDEN=1` rewrites them.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The source checkout: the nearest folder above this file (or the cwd) holding examples/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "examples", "roflmaos", "substrate.toml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(".");
    dir = up;
  }
}

/** Compares `actual` with the golden file `name`, or writes it under UPDATE_GOLDEN=1. */
export function assertGolden(name: string, actual: string): void {
  const file = join(repoRoot(), "test", "unit", "plan", "golden", name);
  if (process.env["UPDATE_GOLDEN"] === "1") {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing (run with UPDATE_GOLDEN=1)`);
  assert.equal(actual, readFileSync(file, "utf8"), `output differs from ${file}`);
}
