/**
 * Deleting from the store (`substrate clean`), safely. A candidate is one path the caller
 * computed from the store's layout (never a folder walked blindly), with the store folder it
 * must lie in and the lock that guards it. Before anything is deleted:
 *
 * - the store folder's real path may not be `/` (or a top-level system folder);
 * - the candidate's real parent must be that folder or inside it (a symlinked path that leads
 *   elsewhere is refused);
 * - a candidate that is a symlink is deleted as a link only if what it points at is inside the
 *   store; a link pointing outside is refused and neither it nor its target is touched;
 * - a folder holding a mount point is refused;
 * - the guarding lock is taken for the deletion: a lock held by a live process (a running
 *   build) means the candidate is in use and is skipped.
 *
 * Folders are removed with `rm -r` semantics that never follow symlinks inside them.
 */
import { lstatSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve, sep } from "node:path";
import { acquireLock, readLockOwner, isStale } from "./lock.js";
import { diskUsage } from "./usage.js";

/** One path `clean` may delete. */
export interface CleanCandidate {
  /** What it is, for the listing (`output`, `work folder`, `kept root`, `log`, `cache`). */
  readonly what: string;
  readonly path: string;
  /** The store folder (builds, logs or cache) the path must lie in. */
  readonly within: string;
  /** The lock held while the path is in use (taken for the deletion). */
  readonly lock?: string;
}

/** A candidate checked: deletable (with its size) or refused (with why). */
export type CheckedCandidate = CleanCandidate &
  (
    | { readonly verdict: "delete"; readonly bytes: number }
    | { readonly verdict: "refuse" | "in-use"; readonly why: string; readonly bytes: number }
  );

/** Folders a store may never be (their real paths). */
const SYSTEM_DIRS = new Set(
  [
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib64",
    "/proc",
    "/root",
    "/run",
  ].concat(["/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/cache", "/var/tmp"]),
);

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root === "/" ? "/" : root + sep);
}

/** Why a store folder cannot be cleaned at all, or undefined when it can. */
export function storeFolderProblem(folder: string): string | undefined {
  const real = realOrUndefined(folder);
  if (real === undefined) return undefined; // missing: nothing to clean
  if (SYSTEM_DIRS.has(real))
    return `the store folder ${folder} is ${real === folder ? "" : `(really ${real}) `}a system folder; refusing to clean it`;
  return undefined;
}

/** The lock's holder in words when a live process holds it, else undefined. */
export function lockHolder(lockPath: string): string | undefined {
  const owner = readLockOwner(lockPath);
  if (owner === undefined || isStale(owner)) return undefined;
  return `in use by substrate process ${owner.pid}${owner.command === "" ? "" : ` (${owner.command})`}`;
}

/** Checks one candidate (see the module comment); reads only. */
export function checkCandidate(
  c: CleanCandidate,
  opts: { readonly lockTaken?: boolean } = {},
): CheckedCandidate {
  const problem = storeFolderProblem(c.within);
  if (problem !== undefined) return { ...c, verdict: "refuse", why: problem, bytes: 0 };
  const root = realOrUndefined(c.within);
  const parent = realOrUndefined(dirname(c.path));
  if (root === undefined || parent === undefined)
    return { ...c, verdict: "refuse", why: "gone", bytes: 0 };
  const real = join(parent, basename(c.path));
  if (!inside(parent, root) || real === root)
    return { ...c, verdict: "refuse", why: `${real} is outside the store ${root}`, bytes: 0 };
  let st;
  try {
    st = lstatSync(c.path);
  } catch {
    return { ...c, verdict: "refuse", why: "gone", bytes: 0 };
  }
  if (st.isSymbolicLink()) {
    const link = readlinkSync(c.path);
    const target = isAbsolute(link) ? link : resolve(parent, link);
    const realTarget = realOrUndefined(target) ?? target;
    if (!inside(realTarget, root))
      return {
        ...c,
        verdict: "refuse",
        why: `a symlink to ${realTarget}, outside the store: left as it is`,
        bytes: 0,
      };
  }
  if (st.isDirectory() && st.dev !== lstatSync(parent).dev)
    return { ...c, verdict: "refuse", why: "is a mount point", bytes: 0 };
  const usage = diskUsage(c.path);
  if (usage.mountPoint !== undefined)
    return {
      ...c,
      verdict: "refuse",
      why: `holds a mount point (${usage.mountPoint})`,
      bytes: usage.bytes,
    };
  const holder = c.lock === undefined || opts.lockTaken === true ? undefined : lockHolder(c.lock);
  if (holder !== undefined) return { ...c, verdict: "in-use", why: holder, bytes: usage.bytes };
  return { ...c, verdict: "delete", bytes: usage.bytes };
}

/** What happened to one candidate `deleteCandidates` was given. */
export interface Deletion {
  readonly path: string;
  readonly deleted: boolean;
  readonly why?: string;
}

/**
 * Deletes the candidates checked deletable, each under its lock (taken once per lock for all
 * the candidates it guards, so a build cannot start half-way through). A candidate whose lock
 * a live process took meanwhile, or whose check fails again under the lock, is skipped.
 */
export function deleteCandidates(candidates: readonly CheckedCandidate[]): Deletion[] {
  const results: Deletion[] = [];
  const byLock = new Map<string, CheckedCandidate[]>();
  for (const c of candidates) {
    if (c.verdict !== "delete") continue;
    const key = c.lock ?? "";
    byLock.set(key, [...(byLock.get(key) ?? []), c]);
  }
  for (const [lockPath, group] of byLock) {
    const lock = lockPath === "" ? undefined : acquireLock(lockPath);
    if (lock !== undefined && !lock.ok) {
      for (const c of group)
        results.push({ path: c.path, deleted: false, why: lock.error.message });
      continue;
    }
    try {
      for (const c of group) {
        // Checked again under the lock: the store may have changed since the listing.
        const again = checkCandidate(c, { lockTaken: true });
        if (again.verdict !== "delete") {
          results.push({ path: c.path, deleted: false, why: again.why });
          continue;
        }
        try {
          rmSync(c.path, { recursive: true, force: true });
          results.push({ path: c.path, deleted: true });
        } catch (e) {
          results.push({
            path: c.path,
            deleted: false,
            why: e instanceof Error ? e.message : String(e),
          });
        }
      }
    } finally {
      if (lock?.ok === true) lock.value.release();
    }
  }
  return results;
}
