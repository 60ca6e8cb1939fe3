/** Installing and removing packages in a Debian root: apt-get install, purge, autoremove. */
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import {
  autoremoveArgv,
  checkPackageNames,
  downloadArgv,
  installFromCacheArgv,
  purgeArgv,
} from "./apt-get.js";
import { type AptSession, aptProgress } from "./apt-session.js";

/**
 * `apt-get install` inside the root (lists fetched first when the root has none), with `env`
 * for the package scripts (e.g. INITRD=No).
 */
export async function install(
  s: AptSession,
  packages: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<DriverResult> {
  if (packages.length === 0) return ok(undefined);
  const o = s.options();
  if (!o.ok) return o;
  const names = checkPackageNames(packages, "packages");
  if (!names.ok) return names;
  const lists = await s.ensureLists(o.value);
  if (!lists.ok) return lists;
  s.note(`apt: installing ${packages.join(" ")}`);
  // Two runs: the download holds the shared cache's lock (short when the cache is warm), the
  // install reads the cache read-only without it, so stages running side by side unpack and
  // configure their packages at the same time instead of taking turns.
  const fetched = await s.run(
    "apt-get install --download-only",
    { argv: downloadArgv(o.value, packages) },
    { network: true, binds: s.aptBinds(), env },
  );
  if (!fetched.ok) return fetched;
  const r = await s.run(
    "apt-get install",
    { argv: installFromCacheArgv(o.value, packages) },
    {
      binds: s.aptBinds({ readonly: true }),
      env,
      onLine: aptProgress(s, "apt: set up"),
    },
  );
  return r.ok ? ok(undefined) : r;
}

/** `apt-get purge` inside the root. Packages that are not installed are skipped by apt. */
export async function remove(s: AptSession, packages: readonly string[]): Promise<DriverResult> {
  if (packages.length === 0) return ok(undefined);
  const o = s.options();
  if (!o.ok) return o;
  const names = checkPackageNames(packages, "unmerge");
  if (!names.ok) return names;
  s.note(`apt: purging ${packages.join(" ")}`);
  const r = await s.run(
    "apt-get purge",
    { argv: purgeArgv(o.value, packages) },
    { binds: s.aptBinds() },
  );
  return r.ok ? ok(undefined) : r;
}

/** `apt-get autoremove --purge` inside the root. */
export async function depclean(s: AptSession): Promise<DriverResult> {
  const o = s.options();
  if (!o.ok) return o;
  s.note("apt: removing packages nothing depends on");
  const r = await s.run(
    "apt-get autoremove",
    { argv: autoremoveArgv(o.value) },
    { binds: s.aptBinds() },
  );
  return r.ok ? ok(undefined) : r;
}
