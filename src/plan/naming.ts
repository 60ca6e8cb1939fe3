/**
 * The naming rules the store layout needs, on top of the spec layer's `spec/naming.ts`:
 * substrate's `rel` suffix and catalyst's compression-mode extensions, plus the modes substrate
 * adds for apt trees (`zstd`, written as `.tar.zst`).
 */
import { COMPRESSION_EXTENSIONS, compressionExtension as specExtension } from "../spec/naming.js";

export { relSuffix } from "../spec/naming.js";

/** Modes substrate writes beyond catalyst's DeComp table. */
const EXTRA_EXTENSIONS: Readonly<Record<string, string>> = {
  zstd: ".tar.zst",
  zstd_x: ".tar.zst",
  squashfs: ".squashfs",
};

/**
 * The extension written for a `compression_mode`. Unknown modes give `.tar.xz`, as substrate's
 * compress_ext.py did (the spec layer reports the unknown mode itself).
 */
export function compressionExtension(mode: string): string {
  return EXTRA_EXTENSIONS[mode] ?? specExtension(mode) ?? ".tar.xz";
}

/** Every extension a stage output can have, longest first (for stripping a name's extension). */
export const KNOWN_EXTENSIONS: readonly string[] = [
  ...new Set([
    ...Object.values(COMPRESSION_EXTENSIONS),
    ...Object.values(EXTRA_EXTENSIONS),
    ".tar.zstd",
    ".tpxz",
    ".iso",
    ".qcow2",
  ]),
]
  .filter((e) => e !== "")
  .sort((a, b) => b.length - a.length);
