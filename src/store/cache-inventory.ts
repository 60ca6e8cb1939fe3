/**
 * What a store's cache folder holds (`substrate status`, `substrate clean`): the work folders of
 * stages (`work/<stage id>-<hash>`, each with its `.lock`), the kept roots (`roots/<entry>/`,
 * each with `identity.json` and its `.lock`), scratch folders killed builds left, and the
 * package caches (`apt`, and Portage's `distfiles`, `packages`, `snapshots`, `downloads`,
 * `kerncache`). Other folders are listed as `other` and never offered for deletion: a cache
 * folder set to a folder that is not substrate's loses nothing. Reads only.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { lockHolder } from "./clean.js";
import { pidAlive } from "./lock.js";
import { diskUsage } from "./usage.js";

/** One entry of the cache. */
export interface CacheEntry {
  readonly kind: "work" | "root" | "leftover" | "cache" | "other";
  readonly path: string;
  readonly bytes: number;
  /** The lock guarding it. */
  readonly lock?: string;
  /** Who holds that lock, when a live process does. */
  readonly inUse?: string;
  /** For a kept root: the published file it was squashed into. */
  readonly of?: string;
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The package caches the drivers keep (besides `apt`). */
const PACKAGE_CACHES = new Set(["distfiles", "packages", "snapshots", "downloads", "kerncache"]);

const LOCKISH = /\.(lock|break|tmp)$/;

function entry(
  kind: CacheEntry["kind"],
  path: string,
  lock: string | undefined,
  of?: string,
): CacheEntry {
  const holder = lock === undefined ? undefined : lockHolder(lock);
  return {
    kind,
    path,
    bytes: diskUsage(path).bytes,
    ...(lock !== undefined ? { lock } : {}),
    ...(holder !== undefined ? { inUse: holder } : {}),
    ...(of !== undefined ? { of } : {}),
  };
}

/** Every entry of the cache folder `cacheDir`. */
export function cacheInventory(cacheDir: string): CacheEntry[] {
  const out: CacheEntry[] = [];
  for (const top of names(cacheDir)) {
    const path = join(cacheDir, top);
    if (!isDir(path)) continue;
    if (top === "work") {
      for (const n of names(path)) {
        if (LOCKISH.test(n) || !isDir(join(path, n))) continue;
        out.push(entry("work", join(path, n), join(path, `${n}.lock`)));
      }
    } else if (top === "roots") {
      for (const n of names(path)) {
        if (LOCKISH.test(n) || !isDir(join(path, n))) continue;
        if (n.startsWith(".")) {
          // `.old-<entry>-<pid>-<n>` / `.new-...`: a live process's are still its own.
          const pid = /^\.(?:new|old)-.*-([0-9]+)-[0-9]+$/.exec(n)?.[1];
          const e = entry("leftover", join(path, n), undefined);
          out.push(
            pid !== undefined && pidAlive(Number(pid))
              ? { ...e, inUse: `in use by substrate process ${pid}` }
              : e,
          );
          continue;
        }
        let of: string | undefined;
        try {
          const id = JSON.parse(readFileSync(join(path, n, "identity.json"), "utf8")) as {
            path?: unknown;
          };
          if (typeof id.path === "string") of = id.path;
        } catch {
          // an entry without identity is never used; listed all the same
        }
        out.push(entry("root", join(path, n), join(path, `${n}.lock`), of));
      }
    } else if (top === "apt") {
      out.push(entry("cache", path, join(path, "archives.lock")));
    } else {
      out.push(entry(PACKAGE_CACHES.has(top) ? "cache" : "other", path, undefined));
    }
  }
  return out;
}

/** True when a live process holds a work folder's lock: a build is using this cache. */
export function cacheInUse(entries: readonly CacheEntry[]): string | undefined {
  return entries.find((e) => e.kind === "work" && e.inUse !== undefined)?.inUse;
}
