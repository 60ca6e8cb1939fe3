/**
 * catalyst's embedded build_packages: dependencies into / (`--onlydeps`), then the packages
 * alone into the merge root, seen as /tmp/mergeroot (`ROOT=/tmp/mergeroot emerge -1 -O`), with
 * `embedded/install_mask` (or `install_mask`) as INSTALL_MASK.
 */
import { mkdirSync } from "node:fs";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { MERGE_ROOT } from "./emerge.js";
import { type PortageSession, checkAtoms, emerge } from "./portage-session.js";
import { prepare } from "./prepare.js";

/** Merges `packages` into `target` from the session's root (the build root). */
export async function mergeRoot(
  s: PortageSession,
  target: string,
  packages: readonly string[],
): Promise<DriverResult> {
  if (packages.length === 0) return ok(undefined);
  const c = checkAtoms(packages, "embedded/packages");
  if (!c.ok) return c;
  const p = await prepare(s);
  if (!p.ok) return p;
  const deps = await emerge(p.value, "dependencies", ["--onlydeps", ...packages]);
  if (!deps.ok) return deps;
  mkdirSync(target, { recursive: true });
  const mask = s.str("embedded/install_mask") ?? s.str("install_mask");
  return emerge(
    p.value,
    `merge into ${MERGE_ROOT}`,
    ["--oneshot", "--nodeps", ...packages],
    { ROOT: MERGE_ROOT, ...(mask === undefined ? {} : { INSTALL_MASK: mask }) },
    [{ source: target, target: MERGE_ROOT }],
  );
}
