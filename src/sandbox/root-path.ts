/**
 * Paths inside a build root. A build root is a host folder that a chroot will see as `/`; its
 * symlinks were written by packages and spec authors, so they must be read as the chroot would
 * read them: an absolute target starts again at the root, and `..` stops at the root. Every
 * helper here resolves a spec path that way (like openat2's RESOLVE_IN_ROOT) before it touches
 * the disk, so a root holding `etc -> /etc` or `a -> ../../..` can never make substrate read,
 * write or delete a host file outside the root.
 *
 * These helpers are synchronous on purpose: a resolution and the operation that follows must not
 * interleave with other work on the same root. They assume no process runs inside the root while
 * they work (true for every finish step: the chroot has exited).
 *
 * Globs and catalyst's `rm`/`empty` are root-glob.ts's, `root_overlay` is root-overlay.ts's;
 * both build on the resolver here.
 */
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from "node:fs";
import { dirname, join, normalize } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Why a path inside a root could not be used. */
export type RootPathFailure = FailureOf<
  "symlink-loop" | "not-found" | "not-a-directory" | "io-error"
>;

/** How to resolve the last component of a path. */
export interface ResolveOptions {
  /**
   * Follow the last component when it is a symlink (default true). Pass false to act on the
   * link itself (delete it, replace it, read its target).
   */
  readonly followLastSymlink?: boolean;
}

/** Linux gives up after 40 symlinks in one lookup; so do we. */
const MAX_SYMLINKS = 40;

/** lstat of a host path (not followed); undefined when it does not exist or cannot be read. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The components of a path, without empty ones and `.`. */
export function splitComponents(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/** `path` without trailing slashes (`/` stays `/`). */
function trimSlashes(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** A path inside another process's mount namespace: `/proc/<pid>/root<inside>`. */
export interface NamespacedPath {
  /** The process whose mount namespace the path is resolved in. */
  readonly pid: number;
  /** The path as that namespace sees it (absolute). */
  readonly inside: string;
}

/**
 * Splits `/proc/<pid>/root/<path>` into the process and the path its mount namespace sees;
 * undefined for an ordinary path. Such paths reach mounts that exist only in that namespace
 * (a build root's overlayfs), so file operations through them see what the namespace sees.
 */
export function namespacedPath(path: string): NamespacedPath | undefined {
  const m = /^\/proc\/([1-9][0-9]*)\/root(\/.*)?$/.exec(normalize(path));
  if (m === null) return undefined;
  return { pid: Number(m[1]), inside: trimSlashes(m[2] ?? "/") };
}

/**
 * Canonical host path of a root: its real path when it exists (so symlinks on the way to the root
 * itself, chosen by substrate, are resolved once), else the path with trailing slashes dropped.
 */
export function canonicalRoot(root: string): string {
  // A root seen through another mount namespace (`/proc/<pid>/root/...`, see overlay-root.ts):
  // realpath would read the magic link as `/` and leave that namespace, so keep the path.
  if (namespacedPath(root) !== undefined) return trimSlashes(normalize(root));
  try {
    return realpathSync(root);
  } catch {
    return trimSlashes(root);
  }
}

/**
 * Resolves `pathFromSpec` as if `root` were `/`: absolute symlink targets restart at `root`,
 * `..` never climbs above it, missing components are taken literally. The result is a host path
 * inside `root` (or `root` itself). A component that exists but is not a directory, followed by
 * more components, is kept literally; the operation that uses the path then fails with ENOTDIR.
 */
export function resolveInRoot(
  root: string,
  pathFromSpec: string,
  options: ResolveOptions = {},
): Result<string, RootPathFailure> {
  const base = canonicalRoot(root);
  const followLast = options.followLastSymlink ?? true;
  const done: string[] = [];
  // Pending components, consumed from the front; symlink targets are spliced in.
  let queue = splitComponents(pathFromSpec);
  let links = 0;
  while (queue.length > 0) {
    const [component, ...rest] = queue;
    queue = rest;
    if (component === undefined) break;
    if (component === "..") {
      done.pop();
      continue;
    }
    const candidate = join(base, ...done, component);
    const st = lstatOrUndefined(candidate);
    const isLast = queue.length === 0;
    if (st?.isSymbolicLink() === true && (!isLast || followLast)) {
      links += 1;
      if (links > MAX_SYMLINKS) {
        return err({
          reason: "symlink-loop",
          path: pathFromSpec,
          message: `too many symlinks while resolving ${pathFromSpec} inside ${base}`,
        });
      }
      let target: string;
      try {
        target = readlinkSync(candidate);
      } catch (e) {
        return err({ reason: "io-error", path: pathFromSpec, message: String(e) });
      }
      if (target.startsWith("/")) done.length = 0;
      queue = [...splitComponents(target), ...queue];
      continue;
    }
    done.push(component);
  }
  return ok(join(base, ...done));
}

/** The path of `hostPath` relative to the root, as the chroot sees it (`/` for the root itself). */
export function inRootPath(root: string, hostPath: string): string {
  const base = canonicalRoot(root);
  if (hostPath === base) return "/";
  if (!hostPath.startsWith(base === "/" ? "/" : `${base}/`)) {
    throw new Error(`Internal error: ${hostPath} is not inside ${base}`);
  }
  return base === "/" ? hostPath : hostPath.slice(base.length);
}

/** The failure for an fs error `e` on `path` (in-root path, for messages). */
export function ioFailure(path: string, e: unknown): { ok: false; error: RootPathFailure } {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") {
    return err({ reason: "not-found", path, message: `${path} does not exist` });
  }
  if (code === "ENOTDIR") {
    return err({ reason: "not-a-directory", path, message: `a component of ${path} is a file` });
  }
  return err({ reason: "io-error", path, message: e instanceof Error ? e.message : String(e) });
}

/**
 * Creates a directory and its parents inside the root, each component resolved in the root (an
 * existing symlink to a directory inside the root is followed). Returns the host path of the
 * directory and the host paths it created, outermost first.
 */
export function mkdirInRoot(
  root: string,
  dir: string,
  mode = 0o755,
): Result<{ readonly path: string; readonly created: readonly string[] }, RootPathFailure> {
  const resolved = resolveInRoot(root, dir);
  if (!resolved.ok) return resolved;
  // Every existing component of a resolved path is a real directory (links were followed), and
  // the missing ones are literal names: creating them cannot traverse a link.
  const base = canonicalRoot(root);
  const missing: string[] = [];
  let p = resolved.value;
  let st = lstatOrUndefined(p);
  while (st === undefined && p !== base) {
    missing.unshift(p);
    p = dirname(p);
    st = lstatOrUndefined(p);
  }
  if (st !== undefined && !st.isDirectory()) {
    return err({
      reason: "not-a-directory",
      path: dir,
      message: `${inRootPath(root, p)} inside ${root} exists and is not a directory`,
    });
  }
  for (const m of missing) {
    try {
      mkdirSync(m, { mode });
    } catch (e) {
      return ioFailure(dir, e);
    }
  }
  return ok({ path: resolved.value, created: missing });
}

/** Options for {@link writeFileInRoot}. */
export interface WriteInRootOptions {
  /** File mode (default 0644). */
  readonly mode?: number;
  /** Owner to set (default: unchanged, i.e. the writer's). */
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Writes a file inside the root. Parents are resolved (and created) inside the root; a symlink
 * at the final name is replaced, never written through. The write is atomic: a temporary file
 * in the same directory is renamed over the final name.
 */
export function writeFileInRoot(
  root: string,
  path: string,
  data: string | Uint8Array,
  modeOrOptions: WriteInRootOptions | number = {},
): Result<string, RootPathFailure> {
  const options: WriteInRootOptions =
    typeof modeOrOptions === "number" ? { mode: modeOrOptions } : modeOrOptions;
  const components = splitComponents(path);
  const name = components.pop();
  if (name === undefined || name === "..") {
    return err({ reason: "io-error", path, message: `${path} does not name a file` });
  }
  const parent = mkdirInRoot(root, `/${components.join("/")}`);
  if (!parent.ok) return parent;
  const dest = join(parent.value.path, name);
  const st = lstatOrUndefined(dest);
  if (st?.isDirectory() === true) {
    return err({ reason: "io-error", path, message: `${path} inside ${root} is a directory` });
  }
  const temp = join(parent.value.path, `.${name}.substrate-${process.pid}`);
  try {
    writeFileSync(temp, data, { mode: options.mode ?? 0o644, flag: "w" });
    chmodSync(temp, options.mode ?? 0o644);
    if (options.uid !== undefined || options.gid !== undefined) {
      chownSync(temp, options.uid ?? -1, options.gid ?? -1);
    }
    renameSync(temp, dest);
  } catch (e) {
    rmSync(temp, { force: true });
    return ioFailure(path, e);
  }
  return ok(dest);
}

/** Reads a file inside the root, following symlinks inside the root only. */
export function readFileInRoot(root: string, path: string): Result<Buffer, RootPathFailure> {
  const resolved = resolveInRoot(root, path);
  if (!resolved.ok) return resolved;
  try {
    return ok(readFileSync(resolved.value));
  } catch (e) {
    return ioFailure(path, e);
  }
}

/**
 * Removes a file or symlink inside the root (the last component is not followed). Missing is not
 * an error. Returns whether something was removed.
 */
export function unlinkInRoot(root: string, path: string): Result<boolean, RootPathFailure> {
  const resolved = resolveInRoot(root, path, { followLastSymlink: false });
  if (!resolved.ok) return resolved;
  try {
    unlinkSync(resolved.value);
    return ok(true);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return ok(false);
    return ioFailure(path, e);
  }
}

/**
 * Renames `from` to `to`, both inside the root (last components not followed, so a symlink is
 * moved as a link). Missing `from` is not an error: returns false.
 */
export function renameInRoot(
  root: string,
  from: string,
  to: string,
): Result<boolean, RootPathFailure> {
  const a = resolveInRoot(root, from, { followLastSymlink: false });
  if (!a.ok) return a;
  const b = resolveInRoot(root, to, { followLastSymlink: false });
  if (!b.ok) return b;
  try {
    renameSync(a.value, b.value);
    return ok(true);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return ok(false);
    return ioFailure(from, e);
  }
}

/** lstat of a path inside the root (last component not followed); undefined when missing. */
export function lstatInRoot(root: string, path: string): Stats | undefined {
  const resolved = resolveInRoot(root, path, { followLastSymlink: false });
  if (!resolved.ok) return undefined;
  return lstatOrUndefined(resolved.value);
}
