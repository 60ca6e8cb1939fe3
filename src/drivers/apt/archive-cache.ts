/**
 * The apt driver's shared package cache in the store's cache folder (default `./cache`): it is `<cache>/apt/archives/` (with apt's `partial/`), bind-mounted at
 * `/var/cache/apt/archives` in build roots so every stage and every build reuses downloaded
 * `.deb` files. apt's own lock cannot serialise two chroots that share the folder (it fails
 * instead of waiting), so users of the cache hold `<cache>/apt/archives.lock` while apt runs.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
} from "node:fs";
import { join } from "node:path";
import type { DriverFailure, DriverResult, StageContext } from "../driver.js";
import { type Result, ok, err } from "../../util/result.js";
import { type Lock, type LockFailure, waitForLock } from "../../store/lock.js";
import type { FailureOf } from "../../report/failure.js";

/** Paths of the shared apt cache. */
export interface AptCacheLayout {
  /** `<cache>/apt`. */
  readonly dir: string;
  /** `<cache>/apt/archives`: bind this at `/var/cache/apt/archives` in the root. */
  readonly archives: string;
  /** `<cache>/apt/archives/partial`: apt's downloads in progress. */
  readonly partial: string;
  /** `<cache>/apt/archives.lock`: held while apt uses the cache. */
  readonly lockFile: string;
}

/** Where the apt cache lives under a cache folder. Pure. */
export function aptCacheLayout(cacheDir: string): AptCacheLayout {
  const dir = join(cacheDir, "apt");
  const archives = join(dir, "archives");
  return { dir, archives, partial: join(archives, "partial"), lockFile: `${archives}.lock` };
}

/** Why the cache could not be prepared. */
export type CacheFailure = FailureOf<"io-error">;

/** Creates the apt cache folders (mode 0755) and returns their paths. */
export function prepareAptCache(cacheDir: string): Result<AptCacheLayout, CacheFailure> {
  const layout = aptCacheLayout(cacheDir);
  try {
    mkdirSync(layout.partial, { recursive: true });
    chmodSync(layout.archives, 0o755);
  } catch (e) {
    return err({
      reason: "io-error",
      message: `cannot create the apt cache ${layout.archives}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
  return ok(layout);
}

/**
 * Runs `fn` holding the apt cache lock (waiting for other substrate processes or parallel
 * stages that hold it). The lock is released however `fn` ends.
 */
export async function withAptCacheLock<T>(
  cacheDir: string,
  fn: (layout: AptCacheLayout) => Promise<T>,
  opts: { readonly signal?: AbortSignal; readonly onWait?: (message: string) => void } = {},
): Promise<Result<T, LockFailure | CacheFailure>> {
  const layout = prepareAptCache(cacheDir);
  if (!layout.ok) return layout;
  const lock: Result<Lock, LockFailure> = await waitForLock(layout.value.lockFile, {
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    onWait: (f) => opts.onWait?.(`waiting for the apt cache: ${f.message}`),
  });
  if (!lock.ok) return lock;
  try {
    return ok(await fn(layout.value));
  } finally {
    lock.value.release();
  }
}

/**
 * Hard-links every `.deb` of `from` that `to` lacks into `to` (a copy when they are on different
 * file systems); files already in `to` are left alone. A `.deb` name holds package, version and
 * architecture, and apt checks every download against the archive's hashes, so two files of the
 * same name are the same package. Returns how many were added. Call it holding the cache lock
 * when `to` is the shared cache.
 */
export function shareDebs(from: string, to: string): number {
  let added = 0;
  let names: string[];
  try {
    names = readdirSync(from).filter((n) => n.endsWith(".deb"));
  } catch {
    return 0;
  }
  mkdirSync(to, { recursive: true });
  for (const name of names) {
    const dest = join(to, name);
    if (existsSync(dest)) continue;
    try {
      linkSync(join(from, name), dest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EXDEV") continue;
      const temp = `${dest}.substrate-${process.pid}`;
      copyFileSync(join(from, name), temp);
      renameSync(temp, dest);
    }
    added += 1;
  }
  return added;
}

/** The shared archive folder on the host, created on first use. */
export function sharedArchives(cacheDir: string): string {
  const dir = aptCacheLayout(cacheDir).archives;
  mkdirSync(join(dir, "partial"), { recursive: true });
  return dir;
}

/**
 * A failure to take the cache lock as the failure of `step`: a cancellation while waiting is
 * `cancelled`; anything else (the cache folder or lock file cannot be made) is
 * `cache-lock-failed`, not a cancellation.
 */
export function lockFailure(step: string, f: LockFailure | CacheFailure): DriverFailure {
  if (f.reason === "cancelled") return { reason: "cancelled", message: `${step} was cancelled` };
  return {
    reason: "cache-lock-failed",
    step,
    message: `${step}: the apt cache lock: ${f.message}`,
  };
}

/**
 * Runs `fn` for `step` holding the shared package cache's lock (waiting its turn, with progress
 * notes); failing to take the lock is the step's failure.
 */
export async function withArchiveCache<T>(
  ctx: StageContext,
  step: string,
  fn: () => Promise<DriverResult<T>>,
): Promise<DriverResult<T>> {
  const r = await withAptCacheLock(ctx.cacheDir, fn, {
    signal: ctx.signal,
    onWait: (message) => {
      ctx.emit({ type: "stage-progress", stage: ctx.stage, message });
    },
  });
  return r.ok ? r.value : err(lockFailure(step, r.error));
}
