/**
 * The embedded merge root for Debian (the operation; merge-root.ts builds its scripts): apt in
 * the build root plans the closure against an empty system and downloads it to the shared
 * cache; the packages' files are unpacked into the target (seen as /tmp/mergeroot), whose
 * merged-/usr links copy the build root's. Maintainer scripts do not run. The dpkg and apt
 * databases are kept only with `embedded/keep_package_db: yes`.
 */
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { removeInRoot } from "../../sandbox/root-glob.js";
import { ok } from "../../util/result.js";
import type { DriverResult } from "../driver.js";
import { stepFailed } from "../session.js";
import { checkPackageNames, parseSimulatedInstall } from "./apt-get.js";
import { type AptSession, ROOT_ARCHIVES } from "./apt-session.js";
import {
  MERGED_USR_LINKS,
  MERGE_ROOT_MOUNT,
  PACKAGE_DB_PATHS,
  downloadScript,
  simulateScript,
  unpackScript,
} from "./merge-root.js";

/** Unpacks `packages` and their dependency closure into `target`; the session is the build root. */
export async function mergeRoot(
  s: AptSession,
  target: string,
  packages: readonly string[],
): Promise<DriverResult> {
  const o = s.options();
  if (!o.ok) return o;
  if (packages.length === 0) return ok(undefined);
  const names = checkPackageNames(packages, "embedded/packages");
  if (!names.ok) return names;
  const lists = await s.ensureLists(o.value);
  if (!lists.ok) return lists;

  const sim = await s.run(
    "apt-get install --simulate",
    { script: simulateScript(o.value, packages) },
    { captureStdout: true },
  );
  if (!sim.ok) return sim;
  const planned = parseSimulatedInstall(sim.value);
  if (planned.length === 0) {
    return stepFailed(
      "apt-get install --simulate",
      `apt planned no packages for ${packages.join(" ")}`,
      sim.value.split("\n").slice(-20),
    );
  }
  s.note(`apt: merging ${planned.length} packages into ${MERGE_ROOT_MOUNT}`);

  const dl = await s.run(
    "apt-get install --download-only",
    { script: downloadScript(o.value, packages) },
    { network: true, binds: [{ source: s.archives(), target: ROOT_ARCHIVES }] },
  );
  if (!dl.ok) return dl;

  mkdirSync(target, { recursive: true });
  copyMergedUsrLinks(s.root, target);
  const unpack = await s.run(
    "unpack into the merge root",
    { script: unpackScript(planned, o.value.keepPackageDb) },
    {
      binds: [
        { source: s.archives(), target: ROOT_ARCHIVES, readonly: true },
        { source: target, target: MERGE_ROOT_MOUNT },
      ],
    },
  );
  if (!unpack.ok) return unpack;
  if (!o.value.keepPackageDb) {
    for (const path of PACKAGE_DB_PATHS) {
      const removed = removeInRoot(target, path);
      if (!removed.ok) return stepFailed("merge", removed.error.message);
    }
  }
  return ok(undefined);
}

/** Gives `target` the same top-level merged-/usr links as `buildRoot` (bin -> usr/bin, ...). */
function copyMergedUsrLinks(buildRoot: string, target: string): void {
  for (const name of MERGED_USR_LINKS) {
    let link: string;
    try {
      if (!lstatSync(join(buildRoot, name)).isSymbolicLink()) continue;
      link = readlinkSync(join(buildRoot, name));
    } catch {
      continue;
    }
    // Only relative links into usr/ (what Debian makes); anything else is not copied.
    if (!/^usr\/[\w.-]+$/.test(link) || existsSync(join(target, name))) continue;
    mkdirSync(join(target, link), { recursive: true });
    symlinkSync(link, join(target, name));
  }
}
