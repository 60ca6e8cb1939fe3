/**
 * The naming rules the store layout needs, on top of the spec layer's `spec/naming.ts` and
 * `spec/compression.ts`: substrate's `rel` suffix and the compression-mode extensions.
 */
import { COMPRESSION_MODES, compressionExtension as tableExtension } from "../spec/compression.js";

export { relSuffix } from "../spec/naming.js";

/**
 * The extension written for a `compression_mode`. Unknown modes give `.tar.xz`, as substrate's
 * compress_ext.py did (the spec layer reports the unknown mode itself).
 */
export function compressionExtension(mode: string): string {
  return tableExtension(mode) ?? ".tar.xz";
}

/** Every extension a stage output can have, longest first (for stripping a name's extension). */
export const KNOWN_EXTENSIONS: readonly string[] = [
  ...new Set([
    ...Object.values(COMPRESSION_MODES).map((m) => m.extension),
    ".tar.zstd",
    ".tpxz",
    ".iso",
    ".qcow2",
  ]),
]
  .filter((e) => e !== "")
  .sort((a, b) => b.length - a.length);
