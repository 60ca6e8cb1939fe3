/**
 * `compression_mode`: the one table of every mode a spec or a driver can name, what each mode
 * makes (a tarball, a squashfs, a folder) and the extension its output gets, plus the extensions a
 * tarball is read from. The spec layer checks `compression_mode` against it, the planner names
 * outputs from it, `image/tarball.ts` packs and unpacks by it, `store/contents.ts` lists by it.
 * Pure.
 *
 * Extensions are the ones catalyst writes (its DeComp compressor definitions): `lzip` writes
 * `.tar.lzip` and `lzop` writes `.tar.lzop`. The shorter `.tar.lz` and `.tar.lzo` (what lzip and
 * lzop name files themselves, and what DeComp also accepts when unpacking lzip) are read, never
 * written.
 */

import type { DriverName } from "./types.js";

/** What a mode makes. */
export type CompressionOutput = "tarball" | "squashfs" | "folder";

interface ModeEntry {
  /** The output's extension (`""` for a folder). */
  readonly extension: string;
  readonly output: CompressionOutput;
  /** `catalyst`: a mode catalyst (DeComp) writes; `substrate`: one substrate adds. */
  readonly origin: "catalyst" | "substrate";
}

function tarball(extension: string, origin: ModeEntry["origin"] = "catalyst") {
  return { extension, output: "tarball", origin } as const;
}

function squashfs(origin: ModeEntry["origin"] = "catalyst") {
  return { extension: ".squashfs", output: "squashfs", origin } as const;
}

/**
 * Every mode, in catalyst's order (the key reference lists them so) with substrate's own in
 * between (`zstd` sits where the tarball-mode list in messages wants it). A `<mode>_x`
 * is catalyst's "same compression, with xattrs"; substrate always keeps xattrs, so it means the
 * same as `<mode>`.
 */
export const COMPRESSION_MODES = {
  lbzip2: tarball(".tar.bz2"),
  lbzip2_x: tarball(".tar.bz2"),
  bzip2: tarball(".tar.bz2"),
  bzip2_x: tarball(".tar.bz2"),
  pixz: tarball(".tar.xz"),
  pixz_x: tarball(".tar.xz"),
  xz: tarball(".tar.xz"),
  xz_x: tarball(".tar.xz"),
  gzip: tarball(".tar.gz"),
  gzip_x: tarball(".tar.gz"),
  zstd: tarball(".tar.zst", "substrate"), // substrate's: the apt driver's default
  zstd_x: tarball(".tar.zst", "substrate"),
  tar: tarball(".tar"),
  tar_x: tarball(".tar"),
  lzip: tarball(".tar.lzip"),
  lzma: tarball(".tar.lzma"),
  lzop: tarball(".tar.lzop"),
  squashfs_zstd: squashfs(),
  squashfs_xz: squashfs(),
  squashfs_gzip: squashfs(),
  rsync: { extension: "", output: "folder", origin: "catalyst" },
  // substrate's: more squashfs codecs.
  squashfs: squashfs("substrate"),
  squashfs_lzo: squashfs("substrate"),
  squashfs_lz4: squashfs("substrate"),
} as const satisfies Readonly<Record<string, ModeEntry>>;

type Modes = typeof COMPRESSION_MODES;

/** Any name in the table, `_x` variants included. */
export type CompressionModeName = keyof Modes;

/** A mode without its `_x` suffix (what {@link baseCompressionMode} returns). */
export type CompressionMode = Exclude<CompressionModeName, `${string}_x`>;

/** A mode that makes a tarball. */
export type TarballMode = {
  [K in CompressionMode]: Modes[K]["output"] extends "tarball" ? K : never;
}[CompressionMode];

/** The modes a spec's `compression_mode` may name: catalyst's, in catalyst's order. */
export const CATALYST_COMPRESSION_MODES: readonly string[] = Object.entries(COMPRESSION_MODES)
  .filter(([, e]) => e.origin === "catalyst")
  .map(([name]) => name);

/**
 * Every mode a spec's `compression_mode` may name: catalyst's, then substrate's own (`zstd`,
 * the apt driver's default, which catalyst cannot build).
 */
export const SPEC_COMPRESSION_MODES: readonly string[] = [
  ...CATALYST_COMPRESSION_MODES,
  ...Object.entries(COMPRESSION_MODES)
    .filter(([, e]) => e.origin !== "catalyst")
    .map(([name]) => name),
];

/** The modes that make a tarball (`_x` variants left out), in table order. */
export const TARBALL_MODES: readonly TarballMode[] = Object.entries(COMPRESSION_MODES)
  .filter(([name, e]) => e.output === "tarball" && !name.endsWith("_x"))
  .map(([name]) => name as TarballMode);

/** catalyst's default `compression_mode` (catalyst.conf `compression_mode=lbzip2`). */
export const DEFAULT_COMPRESSION_MODE = "lbzip2";

/**
 * The compression a stage uses when its spec sets no `compression_mode`: zstd for apt trees
 * (fast, and what Debian itself uses), catalyst's own default for portage trees.
 */
export function defaultCompressionMode(driver: DriverName): CompressionMode {
  return driver === "apt" ? "zstd" : DEFAULT_COMPRESSION_MODE;
}

function entry(mode: string): ModeEntry | undefined {
  return Object.hasOwn(COMPRESSION_MODES, mode)
    ? COMPRESSION_MODES[mode as CompressionModeName]
    : undefined;
}

/**
 * The extension a mode's output gets (`".tar.xz"` for `pixz`, `""` for `rsync`, whose output is a
 * folder), or undefined for an unknown mode. An absent mode means catalyst's default.
 */
export function compressionExtension(mode?: string | null): string | undefined {
  return entry(mode ?? DEFAULT_COMPRESSION_MODE)?.extension;
}

/**
 * A mode name without its `_x` suffix (substrate always keeps xattrs), or undefined when the name
 * is not in the table.
 */
export function baseCompressionMode(value: string): CompressionMode | undefined {
  const base = value.trim().replace(/_x$/, "");
  return !base.endsWith("_x") && entry(base) !== undefined ? (base as CompressionMode) : undefined;
}

/** True when the mode makes a tarball. */
export function isTarballMode(mode: CompressionMode): mode is TarballMode {
  return COMPRESSION_MODES[mode].output === "tarball";
}

/**
 * Extensions a tarball is read from, with the mode that reads it; each extension is tried in
 * this order (a longer one before any it ends with).
 */
const READ_EXTENSIONS: readonly (readonly [string, TarballMode])[] = [
  [".tar.bz2", "lbzip2"],
  [".tar.xz", "xz"],
  [".tar.gz", "gzip"],
  [".tar.zst", "zstd"],
  [".tar.lz", "lzip"],
  [".tar.lzip", "lzip"],
  [".tar.lzma", "lzma"],
  [".tar.lzo", "lzop"],
  [".tar.lzop", "lzop"],
  [".tpxz", "pixz"],
  [".tbz2", "lbzip2"],
  [".tgz", "gzip"],
  [".txz", "xz"],
  [".tzst", "zstd"],
  [".wsl", "xz"],
  [".tar", "tar"],
];

/** The mode that reads a tarball, from its name; undefined when the name is not a tarball. */
export function tarballModeForFile(path: string): TarballMode | undefined {
  for (const [ext, mode] of READ_EXTENSIONS) if (path.endsWith(ext)) return mode;
  return undefined;
}

/** Names `decompressor_search_order` may list (DeComp's decompressors). */
export const DECOMPRESSOR_NAMES: readonly string[] = [
  "pixz",
  "pixz_x",
  "lbzip2",
  "lbzip2_x",
  "squashfs",
  "gzip",
  "gzip_x",
  "xz",
  "xz_x",
  "bzip2",
  "bzip2_x",
  "tar",
  "tar_x",
  "lzip",
  "lzma",
  "lzop",
  "rsync",
];
