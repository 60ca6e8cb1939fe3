/**
 * "Latest" pointers, as substrate (bash) wrote them in `builds/<arch>/<flavour>/`:
 * - a relative symlink `<stage>-<arch><rel>-latest<ext>` -> `<date>/<file>` (for ISOs and disk
 *   images `latest-<stage>-<arch><rel>.iso` / `.qcow2`), which the next specs consume through
 *   `source_subpath: .../<stage>-<arch><rel>-latest`;
 * - a text file `latest-<stage>-<arch><rel>.txt` holding `<date>/<file>` and a newline (Gentoo's
 *   `latest-stage3-*.txt` convention).
 * Both are replaced atomically (a new symlink or file under a temporary name, then rename), so a
 * reader sees the old pointer or the new one, never none. Pointers are only moved after the
 * output they name is published.
 */
import {
  lstatSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/** Why a pointer could not be written. */
export type PointerFailure = FailureOf<"io-error">;

/** The text of a pointer file for an output in `flavourDir`: `<date>/<file>\n`. Pure. */
export function pointerTextFor(flavourDir: string, output: string): string {
  return `${relative(flavourDir, output)}\n`;
}

function ioFailure(path: string, e: unknown): { ok: false; error: PointerFailure } {
  return err({
    reason: "io-error",
    path,
    message: `cannot update ${path}: ${e instanceof Error ? e.message : String(e)}`,
  });
}

function tempName(path: string): string {
  return join(dirname(path), `.tmp-${basename(path)}-${process.pid}`);
}

/**
 * Points the symlink `latest` at `output` with a relative target, atomically. When `stalePrefix`
 * is given, other symlinks in the same folder named `<stalePrefix>.<something>` (a `-latest`
 * link with an older extension, e.g. after `compression_mode` changed) are removed, as substrate
 * did with `rm <stage>-<arch><rel>-latest*`.
 */
export function updateLatestLink(
  latest: string,
  output: string,
  stalePrefix?: string,
): Result<string, PointerFailure> {
  const target = relative(dirname(latest), output);
  const temp = tempName(latest);
  try {
    rmSync(temp, { force: true });
    symlinkSync(target, temp);
    renameSync(temp, latest);
  } catch (e) {
    rmSync(temp, { force: true });
    return ioFailure(latest, e);
  }
  if (stalePrefix !== undefined) {
    const dir = dirname(latest);
    for (const name of readdirSync(dir)) {
      if (name === basename(latest) || !name.startsWith(`${stalePrefix}.`)) continue;
      try {
        if (lstatSync(join(dir, name)).isSymbolicLink()) unlinkSync(join(dir, name));
      } catch {
        // raced away: fine
      }
    }
  }
  return ok(target);
}

/** Writes the pointer file atomically. */
export function writePointerFile(pointer: string, text: string): Result<void, PointerFailure> {
  const temp = tempName(pointer);
  try {
    writeFileSync(temp, text, { mode: 0o644 });
    renameSync(temp, pointer);
  } catch (e) {
    rmSync(temp, { force: true });
    return ioFailure(pointer, e);
  }
  return ok(undefined);
}

/** What {@link updatePointers} needs (a stage's store paths). */
export interface PointerPaths {
  /** The published output. */
  readonly output: string;
  /** The `-latest` symlink path. */
  readonly latest: string;
  /** The `latest-*.txt` path. */
  readonly pointer: string;
  /** The pointer text; defaults to the output relative to the pointer's folder. */
  readonly pointerText?: string;
}

/**
 * Moves both pointers to `output`: the `-latest` symlink (removing older-extension siblings of
 * a `<name>-latest<ext>` link) and the `latest-*.txt` file.
 */
export function updatePointers(paths: PointerPaths): Result<void, PointerFailure> {
  const latestName = basename(paths.latest);
  const idx = latestName.indexOf("-latest");
  const stalePrefix = idx > 0 ? latestName.slice(0, idx + "-latest".length) : undefined;
  const link = updateLatestLink(paths.latest, paths.output, stalePrefix);
  if (!link.ok) return link;
  return writePointerFile(
    paths.pointer,
    paths.pointerText ?? pointerTextFor(dirname(paths.pointer), paths.output),
  );
}
