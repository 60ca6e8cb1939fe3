/** Shared helpers for the spec tests: fixture location and throwaway spec trees. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's test/fixtures/specs folder (found from the compiled test or the cwd). */
export function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, "test", "fixtures", "specs");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return resolve("test", "fixtures", "specs");
}

/** Writes `files` (relative path -> content) under a new temporary folder and returns it. */
export function makeTree(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), "substrate-spec-"));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}
