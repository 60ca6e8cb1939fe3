/**
 * Disk usage of store entries, measured without following symlinks (a link counts as itself,
 * never as what it names) and without crossing into another file system: an entry that holds a
 * mount point is reported as such, so `clean` can refuse it instead of deleting through it.
 */
import { lstatSync, readdirSync, type BigIntStats } from "node:fs";
import { join } from "node:path";

/** What a folder or file uses on disk. */
export interface Usage {
  /** Bytes allocated (blocks × 512; hard links counted once). */
  readonly bytes: number;
  /** Files, links and folders below and including the entry. */
  readonly entries: number;
  /** The first path below the entry on another file system (a mount point), if any. */
  readonly mountPoint?: string;
}

/** The usage of `path` (0 when it is missing). */
export function diskUsage(path: string): Usage {
  let top: BigIntStats;
  try {
    top = lstatSync(path, { bigint: true });
  } catch {
    return { bytes: 0, entries: 0 };
  }
  const seen = new Set<string>();
  let bytes = 0;
  let entries = 0;
  let mountPoint: string | undefined;
  const visit = (p: string, st: BigIntStats): void => {
    entries++;
    if (st.dev !== top.dev) {
      mountPoint ??= p;
      return;
    }
    const key = `${st.ino}`;
    if (!seen.has(key) || st.nlink <= 1n) bytes += Number(st.blocks) * 512;
    if (st.nlink > 1n) seen.add(key);
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) {
      const child = join(p, n);
      try {
        visit(child, lstatSync(child, { bigint: true }));
      } catch {
        // gone meanwhile
      }
    }
  };
  visit(path, top);
  return { bytes, entries, ...(mountPoint !== undefined ? { mountPoint } : {}) };
}

/** `12.3 MiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u] ?? ""}`;
}
