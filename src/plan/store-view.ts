/**
 * The planner's read-only view of the file system: the few questions planning asks (does this
 * output exist, what does this stamp say, which seed files match, what bytes are in this file).
 * Planning never writes; tests may pass their own view.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync, type Stats } from "node:fs";
import type { Stamp } from "./types.js";

/** What kind of entry a path is, without following a final symlink. */
export type EntryType = "file" | "dir" | "symlink" | "other";

/** One `lstat` answer. */
export interface EntryStat {
  readonly type: EntryType;
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Read-only file-system questions the planner asks. */
export interface StoreView {
  /** `lstat` of a path, or undefined when it does not exist. */
  lstat(path: string): EntryStat | undefined;
  /** `stat` (following symlinks), or undefined when it (or its target) does not exist. */
  stat(path: string): EntryStat | undefined;
  /** Names in a folder (unsorted), or undefined when it is not a readable folder. */
  readdir(path: string): readonly string[] | undefined;
  readFile(path: string): Buffer | undefined;
  readlink(path: string): string | undefined;
}

function toStat(s: Stats): EntryStat {
  const type: EntryType = s.isFile()
    ? "file"
    : s.isDirectory()
      ? "dir"
      : s.isSymbolicLink()
        ? "symlink"
        : "other";
  return { type, mode: s.mode & 0o7777, size: s.size, mtimeMs: s.mtimeMs };
}

/** The real file system, read synchronously (planning is short and sequential). */
export const diskView: StoreView = {
  lstat(path) {
    try {
      const s = lstatSync(path, { throwIfNoEntry: false });
      return s === undefined ? undefined : toStat(s);
    } catch {
      return undefined;
    }
  },
  stat(path) {
    try {
      // No exception for a missing path: planning stats every output, most of them absent.
      const s = statSync(path, { throwIfNoEntry: false });
      return s === undefined ? undefined : toStat(s);
    } catch {
      return undefined;
    }
  },
  readdir(path) {
    try {
      return readdirSync(path);
    } catch {
      return undefined;
    }
  },
  readFile(path) {
    try {
      return readFileSync(path);
    } catch {
      return undefined;
    }
  },
  readlink(path) {
    try {
      return readlinkSync(path);
    } catch {
      return undefined;
    }
  },
};

/** Reads and checks a stamp file; undefined when absent or not a stamp (treated as no stamp). */
export function readStampFile(view: StoreView, path: string): Stamp | undefined {
  const bytes = view.readFile(path);
  if (bytes === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const fingerprint: unknown = (parsed as Record<string, unknown>)["fingerprint"];
  const record: unknown = (parsed as Record<string, unknown>)["record"];
  if (typeof fingerprint !== "string") return undefined;
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const output: unknown = (parsed as Record<string, unknown>)["output"];
  const o =
    typeof output === "object" && output !== null ? (output as Record<string, unknown>) : {};
  const size = o["size"];
  const mtimeMs = o["mtimeMs"];
  return {
    fingerprint,
    record: record as Record<string, unknown>,
    ...(typeof size === "number" && typeof mtimeMs === "number"
      ? { output: { size, mtimeMs } }
      : {}),
  };
}
