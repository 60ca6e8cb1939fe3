/**
 * catalyst's `root_overlay`: copying a host folder into a build root ({@link copyOverlayInto})
 * with every destination resolved inside the root (root-path.ts), so an overlay can neither
 * write through a symlink in the root nor leave it.
 */
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lchownSync,
  lstatSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
} from "node:fs";
import { join } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import {
  type RootPathFailure,
  inRootPath,
  ioFailure,
  lstatOrUndefined,
  mkdirInRoot,
  resolveInRoot,
} from "./root-path.js";

/** Counts of what {@link copyOverlayInto} wrote. */
export interface OverlayCopyStats {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
}

/**
 * root_overlay: copies the contents of the host folder `overlayDir` into the root, like
 * `rsync -a overlay/ root/` but safe. Each destination is resolved inside the root: an existing
 * directory symlink in the root (`bin -> usr/bin`, or a hostile `etc -> /etc`) is followed
 * *inside the root*, and an existing file or symlink at a file's destination is replaced, never
 * written through. Modes, owners and modification times are kept; symlinks in the overlay are
 * copied as symlinks; other special files (devices, fifos, sockets) are skipped.
 */
export function copyOverlayInto(
  root: string,
  overlayDir: string,
): Result<OverlayCopyStats, RootPathFailure> {
  let files = 0;
  let dirs = 0;
  let symlinks = 0;
  const walk = (srcDir: string, destInRoot: string): Result<void, RootPathFailure> => {
    let entries: string[];
    try {
      entries = readdirSync(srcDir).sort();
    } catch (e) {
      return ioFailure(srcDir, e);
    }
    for (const name of entries) {
      const src = join(srcDir, name);
      const destPath = destInRoot === "/" ? `/${name}` : `${destInRoot}/${name}`;
      const st = lstatSync(src);
      if (st.isDirectory()) {
        const made = mkdirInRoot(root, destPath, st.mode & 0o7777);
        if (!made.ok) return made;
        try {
          chownSync(made.value.path, st.uid, st.gid);
          chmodSync(made.value.path, st.mode & 0o7777);
        } catch (e) {
          return ioFailure(destPath, e);
        }
        dirs += 1;
        const inner = walk(src, inRootPath(root, made.value.path));
        if (!inner.ok) return inner;
        try {
          utimesSync(made.value.path, st.atime, st.mtime);
        } catch (e) {
          return ioFailure(destPath, e);
        }
        continue;
      }
      if (!st.isFile() && !st.isSymbolicLink()) continue;
      const parent = resolveInRoot(root, destInRoot);
      if (!parent.ok) return parent;
      const dest = join(parent.value, name);
      const existing = lstatOrUndefined(dest);
      if (existing?.isDirectory() === true) {
        return err({
          reason: "io-error",
          path: destPath,
          message: `overlay file ${src} would replace the directory ${destPath} in the root`,
        });
      }
      const temp = join(parent.value, `.${name}.substrate-${process.pid}`);
      try {
        rmSync(temp, { force: true });
        if (st.isSymbolicLink()) {
          symlinkSync(readlinkSync(src), temp);
          lchownSync(temp, st.uid, st.gid);
          symlinks += 1;
        } else {
          copyFileSync(src, temp);
          chownSync(temp, st.uid, st.gid);
          chmodSync(temp, st.mode & 0o7777);
          utimesSync(temp, st.atime, st.mtime);
          files += 1;
        }
        // rename() replaces a symlink at `dest` rather than writing through it.
        renameSync(temp, dest);
      } catch (e) {
        rmSync(temp, { force: true });
        return ioFailure(destPath, e);
      }
    }
    return ok(undefined);
  };
  const result = walk(overlayDir, "/");
  if (!result.ok) return result;
  return ok({ files, dirs, symlinks });
}
