/**
 * Kept roots: the unpacked root a stage squashed, kept after the stage so the next stage can
 * use it (read-only, as an overlayfs lower folder) instead of unpacking the published image
 * again. Like catalyst's seedcache, but tied to one published file: an entry records the
 * identity of the output it was squashed into (real path, device, inode, size, modification
 * time in nanoseconds), and a consumer uses it only when its input is that very file. Anything
 * else (a rebuilt, replaced or touched output, a different tree) is a miss, and the consumer
 * unpacks the image as before: a kept root can make a build faster, never different.
 *
 * Layout: `<cache>/roots/<entry>/root/` and `<cache>/roots/<entry>/identity.json`, one entry per
 * producing stage and store folder; `<entry>.lock` is held by whoever uses or replaces it. Only
 * the {@link MAX_KEPT_ROOTS} most recently used entries stay; the rest are removed when a new
 * one is kept. The folder is substrate's: deleting it at any time between builds is safe.
 */
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { acquireLock, pidAlive } from "./lock.js";

/** How many kept roots a cache holds (least recently used go first). */
export const MAX_KEPT_ROOTS = 4;

/** What identifies the published file a root was squashed into. */
export interface OutputIdentity {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeNs: string;
}

/** A kept root in use: read it, never write it; release it when done. */
export interface KeptRoot {
  /** The root folder (use it read-only). */
  readonly root: string;
  /** Ends the use (drops the entry's lock). Idempotent. */
  release(): void;
}

/** `<cache>/roots`. */
export function rootCacheDir(cacheDir: string): string {
  return join(cacheDir, "roots");
}

/** The entry name for a stage's output: readable stage id plus a hash of its store folder. */
export function entryName(stageId: string, outputPath: string): string {
  const folder = createHash("sha256")
    .update(dirname(dirname(outputPath)))
    .digest("hex");
  return `${stageId.replace(/[^A-Za-z0-9._-]/g, "_")}-${folder.slice(0, 12)}`;
}

/** The identity of the file at `path` (symlinks followed), or undefined when it is missing. */
export function outputIdentity(path: string): OutputIdentity | undefined {
  try {
    const real = realpathSync(path);
    const st = statSync(real, { bigint: true });
    return {
      path: real,
      dev: Number(st.dev),
      ino: Number(st.ino),
      size: Number(st.size),
      mtimeNs: st.mtimeNs.toString(),
    };
  } catch {
    return undefined;
  }
}

function sameIdentity(a: OutputIdentity, b: OutputIdentity): boolean {
  return (
    a.path === b.path &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs
  );
}

function readIdentity(entryDir: string): OutputIdentity | undefined {
  try {
    const data = JSON.parse(readFileSync(join(entryDir, "identity.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const output = data["output"] as Partial<OutputIdentity> | undefined;
    if (
      typeof output?.path !== "string" ||
      typeof output.dev !== "number" ||
      typeof output.ino !== "number" ||
      typeof output.size !== "number" ||
      typeof output.mtimeNs !== "string"
    )
      return undefined;
    return {
      path: output.path,
      dev: output.dev,
      ino: output.ino,
      size: output.size,
      mtimeNs: output.mtimeNs,
    };
  } catch {
    return undefined;
  }
}

/** What {@link keepRoot} did. */
export type KeepOutcome = "kept" | "in-use" | "no-output";

/**
 * Moves `root` (a stage's finished root, on the cache's file system) into the cache as the
 * root of the published file `output`, replacing the stage's previous entry unless someone is
 * using it (then `root` is simply deleted). Never fails the build: any problem deletes `root`.
 */
export function keepRoot(opts: {
  readonly cacheDir: string;
  readonly stageId: string;
  readonly root: string;
  readonly output: string;
}): KeepOutcome {
  const identity = outputIdentity(opts.output);
  if (identity === undefined) {
    rmSync(opts.root, { recursive: true, force: true });
    return "no-output";
  }
  const dir = rootCacheDir(opts.cacheDir);
  const name = entryName(opts.stageId, identity.path);
  const entry = join(dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = acquireLock(`${entry}.lock`);
  if (!lock.ok) {
    rmSync(opts.root, { recursive: true, force: true });
    return "in-use";
  }
  const incoming = join(dir, scratchName("new", name));
  const outgoing = join(dir, scratchName("old", name));
  try {
    rmSync(incoming, { recursive: true, force: true });
    mkdirSync(incoming, { recursive: true });
    renameSync(opts.root, join(incoming, "root"));
    writeFileSync(
      join(incoming, "identity.json"),
      JSON.stringify({ stage: opts.stageId, output: identity, kept: new Date().toISOString() }) +
        "\n",
    );
    try {
      renameSync(entry, outgoing);
    } catch {
      // no previous entry
    }
    renameSync(incoming, entry);
    discard(outgoing);
  } catch {
    rmSync(incoming, { recursive: true, force: true });
    rmSync(opts.root, { recursive: true, force: true });
    rmSync(outgoing, { recursive: true, force: true });
    return "no-output";
  } finally {
    lock.value.release();
  }
  pruneKeptRoots(opts.cacheDir, name);
  return "kept";
}

/**
 * The kept root of `input` (the path of a published output, as a consumer sees it) when the
 * cache has one for exactly that file; undefined otherwise (or when another process holds it).
 */
export function openKeptRoot(opts: {
  readonly cacheDir: string;
  readonly stageId: string;
  readonly input: string;
}): KeptRoot | undefined {
  const identity = outputIdentity(opts.input);
  if (identity === undefined) return undefined;
  const entry = join(rootCacheDir(opts.cacheDir), entryName(opts.stageId, identity.path));
  // Under the entry's lock, so a producer cannot replace it between this check and the use.
  const lock = acquireLock(`${entry}.lock`);
  if (!lock.ok) return undefined;
  const recorded = readIdentity(entry);
  if (recorded === undefined || !sameIdentity(recorded, identity)) {
    lock.value.release();
    return undefined;
  }
  const now = new Date();
  try {
    utimesSync(join(entry, "identity.json"), now, now);
  } catch {
    // recency is a hint only
  }
  const held = lock.value;
  return {
    root: join(entry, "root"),
    release: () => {
      held.release();
    },
  };
}

/** Removes all but the {@link MAX_KEPT_ROOTS} most recently used entries (never `keep`). */
export function pruneKeptRoots(cacheDir: string, keep: string): void {
  const dir = rootCacheDir(cacheDir);
  let all: string[];
  try {
    all = readdirSync(dir);
  } catch {
    return;
  }
  removeLeftovers(dir, all, (path) => {
    rmSync(path, { recursive: true, force: true });
  });
  const names = all.filter((n) => !n.startsWith(".") && !n.endsWith(".lock"));
  const used = (n: string): number => {
    try {
      return statSync(join(dir, n, "identity.json")).mtimeMs;
    } catch {
      return 0;
    }
  };
  const byAge = names
    .filter((n) => n !== keep)
    .map((n) => ({ n, t: used(n) }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of byAge.slice(MAX_KEPT_ROOTS - 1)) {
    const lock = acquireLock(join(dir, `${n}.lock`));
    if (!lock.ok) continue;
    try {
      const trash = join(dir, scratchName("old", n));
      renameSync(join(dir, n), trash);
      discard(trash);
    } catch {
      // gone meanwhile
    } finally {
      lock.value.release();
    }
  }
}

/** The `.new-*`/`.old-*` folders in `names` whose process is gone, passed to `remove`. */
function removeLeftovers(
  dir: string,
  names: readonly string[],
  remove: (path: string) => void,
): string[] {
  const removed: string[] = [];
  for (const n of names) {
    const m = /^\.(?:new|old)-.*-([0-9]+)-[0-9]+$/.exec(n);
    if (m === null || pidAlive(Number(m[1]))) continue;
    remove(join(dir, n));
    removed.push(n);
  }
  return removed;
}

/**
 * Deletes (in the background, see {@link settleKeptRoots}) the scratch folders of processes
 * that died half-way through keeping or replacing a root (a kill during the background
 * deletion leaves `.old-*`, a few hundred MB). Folders of a live process are its own and stay.
 * Every build calls it at start. Returns the names it removes.
 */
export function cleanKeptRootLeftovers(cacheDir: string): string[] {
  const dir = rootCacheDir(cacheDir);
  let all: string[];
  try {
    all = readdirSync(dir);
  } catch {
    return [];
  }
  return removeLeftovers(dir, all, discard);
}

let scratchCount = 0;

/** `.new-<name>-<pid>-<n>` / `.old-<name>-<pid>-<n>`: folders on their way in or out. */
function scratchName(kind: "new" | "old", name: string): string {
  return `.${kind}-${name}-${process.pid}-${scratchCount++}`;
}

/** Deletions started by {@link discard}, not finished yet. */
const pending = new Set<Promise<void>>();

/**
 * Deletes a folder already renamed out of the way, in the background: a replaced root is a
 * few hundred MB of small files, and the build need not wait for it (only the process does,
 * through {@link settleKeptRoots}). A deletion cut short is finished by the next prune.
 */
function discard(path: string): void {
  const p = rm(path, { recursive: true, force: true })
    .catch(() => undefined)
    .finally(() => pending.delete(p));
  pending.add(p);
}

/** Waits for background deletions (call before the process exits). */
export async function settleKeptRoots(): Promise<void> {
  await Promise.all([...pending]);
}
