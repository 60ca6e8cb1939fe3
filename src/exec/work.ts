/**
 * Work folders: the scratch folder a running stage builds in (its roots, ISO tree, ESP image).
 * They live in the store's cache folder, which many trees and builds may share (the docs
 * recommend one `/var/cache/substrate`), so a work folder belongs to exactly one stage of one
 * store: `<cache>/work/<stage id>-<hash>`, where the hash is of the real path of that stage's
 * store lock (`<builds>/<arch>/<flavour>/.locks/<name>.lock`). Two trees, or two stores, never
 * share a name; one stage of one store always gets the same name, so a rerun after a kill finds
 * and replaces what the killed build left. `<work folder>.lock` is held, beside the folder, for
 * as long as the folder is in use: {@link cleanOrphanWork} removes any folder whose lock it can
 * take (its owner is gone: see lock.ts for pid liveness), never one in use.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { acquireLock, type LockFailure } from "../store/lock.js";
import { type Result, err, ok } from "../util/result.js";

/** `<cache>/work`. */
export function workRoot(cacheDir: string): string {
  return join(cacheDir, "work");
}

/**
 * The work folder name of a stage: its id made safe plus a hash of `storeKey` (the real path
 * of its store lock). Pure.
 */
export function workFolderName(stageId: string, storeKey: string): string {
  const hash = createHash("sha256").update(storeKey).digest("hex").slice(0, 12);
  return `${stageId.replace(/[^A-Za-z0-9._-]/g, "_")}-${hash}`;
}

/** The real path of a (possibly missing) file: its folder resolved, its name kept. */
function realFile(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
  }
}

/** A claimed work folder: empty at first, ours until released. */
export interface WorkFolder {
  readonly dir: string;
  /** Deletes the folder (unless `keep`) and drops its lock. Idempotent. */
  release(keep: boolean): void;
}

/**
 * Claims the work folder of `stageId` for the store lock at `storeLock` (which the caller
 * holds): takes `<dir>.lock`, empties the folder (what a killed run of the same stage left)
 * and creates it. Fails with `held` when another live process uses that very folder.
 */
export function claimWorkFolder(
  cacheDir: string,
  stageId: string,
  storeLock: string,
): Result<WorkFolder, LockFailure> {
  const dir = join(workRoot(cacheDir), workFolderName(stageId, realFile(storeLock)));
  const lock = acquireLock(`${dir}.lock`);
  if (!lock.ok) return lock;
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    lock.value.release();
    return err({
      reason: "io-error",
      path: dir,
      message: `cannot prepare the work folder ${dir}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
  let released = false;
  return ok({
    dir,
    release(keep) {
      if (released) return;
      released = true;
      try {
        if (!keep) rmSync(dir, { recursive: true, force: true });
      } finally {
        lock.value.release();
      }
    },
  });
}

/**
 * Removes the work folders of builds that are gone: a folder whose `.lock` was left by a dead
 * process (a killed build: see lock.ts for pid liveness), and a folder from an older substrate
 * that named them `<cache>/work/<stage id>` (no hash, no lock). A folder in use (its lock held
 * by a live process) and a folder kept by `--keep-work` (released: no lock file) are left
 * alone. Returns the folders removed.
 */
export function cleanOrphanWork(cacheDir: string): string[] {
  const root = workRoot(cacheDir);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (name.endsWith(".lock") || name.endsWith(".break") || name.endsWith(".tmp")) continue;
    const dir = join(root, name);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue;
    }
    const legacy = !/-[0-9a-f]{12}$/.test(name);
    if (!legacy && !existsSync(`${dir}.lock`)) continue;
    // Succeeds only when the lock is stale (broken) or absent: never while its owner lives.
    const lock = acquireLock(`${dir}.lock`);
    if (!lock.ok) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // left for the next run
    } finally {
      lock.value.release();
    }
  }
  return removed;
}
