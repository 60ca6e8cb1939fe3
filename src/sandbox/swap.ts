/**
 * Temporary files swapped into a build root for the length of a chroot run (the host's
 * `/etc/resolv.conf`, qemu-user interpreters), and put back afterwards. The root's own file is
 * kept under `<path>.substrate-orig`; when the root had none, an empty marker
 * `<path>.substrate-none` says so. Both names survive a crash (SIGKILL of substrate), so the next
 * run on the same root first puts the root back as it was ({@link recoverSwap}).
 */
import { lstatSync, readFileSync } from "node:fs";
import { type Result, ok } from "../util/result.js";
import {
  type RootPathFailure,
  renameInRoot,
  resolveInRoot,
  unlinkInRoot,
  writeFileInRoot,
} from "./root-path.js";

/** Suffix of the root's own file while ours is in place. */
export const ORIGINAL_SUFFIX = ".substrate-orig";
/** Suffix of the marker saying the root had no file at that path. */
export const NONE_SUFFIX = ".substrate-none";

/** A swap in place, to undo with {@link restoreSwap}. */
export interface Swap {
  readonly root: string;
  /** Path inside the root. */
  readonly path: string;
  /** What we wrote, to tell whether the run replaced it. */
  readonly content: Buffer;
}

function exists(root: string, path: string): boolean {
  const resolved = resolveInRoot(root, path, { followLastSymlink: false });
  if (!resolved.ok) return false;
  try {
    lstatSync(resolved.value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Undoes a swap left behind by a run that never finished: restores `<path>.substrate-orig`, or
 * deletes the file when `<path>.substrate-none` says the root had none. Returns whether anything
 * was recovered.
 */
export function recoverSwap(root: string, path: string): Result<boolean, RootPathFailure> {
  if (exists(root, path + ORIGINAL_SUFFIX)) {
    const moved = renameInRoot(root, path + ORIGINAL_SUFFIX, path);
    if (!moved.ok) return moved;
    return ok(true);
  }
  if (exists(root, path + NONE_SUFFIX)) {
    const removed = unlinkInRoot(root, path);
    if (!removed.ok) return removed;
    const marker = unlinkInRoot(root, path + NONE_SUFFIX);
    if (!marker.ok) return marker;
    return ok(true);
  }
  return ok(false);
}

/**
 * Puts `content` at `path` inside the root, keeping the root's own file (or the fact that there
 * was none) so {@link restoreSwap} or {@link recoverSwap} can undo it.
 */
export function swapIn(
  root: string,
  path: string,
  content: Buffer,
  mode: number,
): Result<Swap, RootPathFailure> {
  const recovered = recoverSwap(root, path);
  if (!recovered.ok) return recovered;
  if (exists(root, path)) {
    const moved = renameInRoot(root, path, path + ORIGINAL_SUFFIX);
    if (!moved.ok) return moved;
  } else {
    const marker = writeFileInRoot(root, path + NONE_SUFFIX, "");
    if (!marker.ok) return marker;
  }
  const written = writeFileInRoot(root, path, content, { mode });
  if (!written.ok) {
    const undo = recoverSwap(root, path);
    if (!undo.ok) return undo;
    return written;
  }
  return ok({ root, path, content });
}

/**
 * Undoes a swap after a run. With `keepIfChanged`, a file the run replaced (its bytes differ from
 * ours, or it is no longer a regular file) is kept and the saved original dropped: the run meant
 * to change it (a package that manages `/etc/resolv.conf`, say).
 */
export function restoreSwap(swap: Swap, keepIfChanged: boolean): Result<void, RootPathFailure> {
  if (keepIfChanged && changed(swap)) {
    const a = unlinkInRoot(swap.root, swap.path + ORIGINAL_SUFFIX);
    if (!a.ok) return a;
    const b = unlinkInRoot(swap.root, swap.path + NONE_SUFFIX);
    if (!b.ok) return b;
    return ok(undefined);
  }
  const recovered = recoverSwap(swap.root, swap.path);
  if (!recovered.ok) return recovered;
  return ok(undefined);
}

function changed(swap: Swap): boolean {
  const resolved = resolveInRoot(swap.root, swap.path, { followLastSymlink: false });
  if (!resolved.ok) return true;
  try {
    const st = lstatSync(resolved.value);
    if (!st.isFile()) return true;
    return !readFileSync(resolved.value).equals(swap.content);
  } catch {
    return true;
  }
}
