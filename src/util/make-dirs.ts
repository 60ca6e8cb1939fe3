/**
 * `mkdir -p` that always ends. Node's `mkdirSync(path, { recursive: true })` never returns when
 * a folder's parent exists but creating the folder fails with ENOENT, as procfs answers for
 * `/proc/<missing>/x`: it creates the parent (already there), retries the folder, gets ENOENT
 * again, and so on at 100 % CPU. This walks up to the nearest existing ancestor once, then
 * creates each missing folder outermost first and throws the first error.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Creates `path` and its missing parents (like `mkdir -p`); throws what mkdir throws. */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  let p = resolve(path);
  while (!existsSync(p)) {
    missing.push(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  if (missing.length === 0 && !statSync(p).isDirectory()) {
    throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${p}'`), {
      code: "EEXIST",
      path: p,
    });
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      // Made meanwhile by someone else: fine, if it is a folder.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(dir).isDirectory()) throw e;
    }
  }
}
