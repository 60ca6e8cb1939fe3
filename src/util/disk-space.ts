/**
 * Telling a full disk apart from other failures, and saying which file system is full and how
 * much is left on it, so a build that runs out of space fails with "no space left on <path>"
 * instead of a stack trace or a tool's bare "No space left on device".
 */
import { statSync, statfsSync } from "node:fs";
import { dirname } from "node:path";

/** What is left on the file system holding a path. */
export interface FreeSpace {
  /** The path asked about. */
  readonly path: string;
  /** The mount point of its file system (the topmost folder on the same device). */
  readonly mount: string;
  /** Bytes an unprivileged writer may still use. */
  readonly free: number;
  /** The file system's size in bytes. */
  readonly size: number;
}

/** True when an error (or a tool's message) says the disk or a quota is full. */
export function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return true;
  const text = e instanceof Error ? e.message : typeof e === "string" ? e : "";
  return /ENOSPC|EDQUOT|No space left on|Disk quota exceeded/i.test(text);
}

/** The nearest existing folder at or above `path`. */
function existingAncestor(path: string): string {
  let p = path;
  for (;;) {
    try {
      statSync(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/** Free and total space of the file system holding `path` (or its nearest existing parent). */
export function freeSpace(path: string): FreeSpace | undefined {
  try {
    const at = existingAncestor(path);
    const s = statfsSync(at);
    const dev = statSync(at).dev;
    let mount = at;
    for (;;) {
      const up = dirname(mount);
      if (up === mount || statSync(up).dev !== dev) break;
      mount = up;
    }
    return { path, mount, free: s.bavail * s.bsize, size: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}

/** `1.5 MiB`-style sizes. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? String(v) : v.toFixed(1)} ${units[i] ?? "B"}`;
}

/**
 * "no space left on <mount> (<path>): <free> free of <size>" for the fullest of `paths` (the
 * folders a failed step wrote to); the paths themselves when none can be measured.
 */
export function describeNoSpace(paths: readonly string[]): string {
  const measured = paths
    .map(freeSpace)
    .filter((f): f is FreeSpace => f !== undefined)
    .sort((a, b) => a.free - b.free);
  const full = measured[0];
  if (full === undefined) return `no space left on ${paths.join(" or ")}`;
  const where = full.mount === full.path ? full.mount : `${full.mount} (${full.path})`;
  return `no space left on ${where}: ${formatBytes(full.free)} free of ${formatBytes(full.size)}`;
}
