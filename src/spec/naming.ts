/**
 * Output naming, pure: catalyst's compression modes and the file extension each writes
 * (catalyst reference §2.10, DeComp), substrate's release-name suffix `rel`, and the names of
 * stage outputs and `latest` pointers (`stage3-amd64-roflmaos-20261126.tar.xz`).
 */

/** Every `compression_mode` catalyst (DeComp) can write, with the extension it gives the output. */
export const COMPRESSION_EXTENSIONS: Readonly<Record<string, string>> = {
  lbzip2: ".tar.bz2",
  lbzip2_x: ".tar.bz2",
  bzip2: ".tar.bz2",
  bzip2_x: ".tar.bz2",
  pixz: ".tar.xz",
  pixz_x: ".tar.xz",
  xz: ".tar.xz",
  xz_x: ".tar.xz",
  gzip: ".tar.gz",
  gzip_x: ".tar.gz",
  tar: ".tar",
  tar_x: ".tar",
  lzip: ".tar.lzip",
  lzma: ".tar.lzma",
  lzop: ".tar.lzop",
  squashfs_zstd: ".squashfs",
  squashfs_xz: ".squashfs",
  squashfs_gzip: ".squashfs",
  rsync: "",
};

/** Catalyst's default `compression_mode` (catalyst.conf `compression_mode=lbzip2`). */
export const DEFAULT_COMPRESSION_MODE = "lbzip2";

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

/**
 * The extension a compression mode writes (`.tar.xz` for `pixz`; `""` for `rsync`, whose output
 * is a folder), or `undefined` for an unknown mode. An absent mode means catalyst's default.
 */
export function compressionExtension(mode?: string | null): string | undefined {
  return COMPRESSION_EXTENSIONS[mode ?? DEFAULT_COMPRESSION_MODE];
}

/**
 * substrate's release-name suffix `rel` for an arch directory and a flavour (or, when a spec sets
 * its own `target:`, the spec file stem): `amd64` + `default` gives `""`, `armv7a` + `hardfp`
 * gives `_hardfp`, any other `armv7a*` gives `_hardfp-<flavour>`, everything else `-<flavour>`.
 */
export function relSuffix(arch: string, flavour: string): string {
  const joined = arch + flavour;
  if (joined === "amd64default") return "";
  if (joined === "armv7ahardfp") return "_hardfp";
  if (joined.startsWith("armv7a")) return `_hardfp-${flavour}`;
  return `-${flavour}`;
}

/** The parts of a stage's output name. */
export interface OutputNameParts {
  /** The catalyst target (`stage3`, `livecd-stage2`). */
  readonly target: string;
  /** The arch directory (`amd64`). */
  readonly arch: string;
  /** `relSuffix(...)`. */
  readonly rel: string;
  /** `YYYYMMDD`. */
  readonly date: string;
}

/**
 * A stage tarball's file name, `<target>-<arch><rel>-<date><ext>`, e.g.
 * `stage3-amd64-roflmaos-20261126.tar.xz`; the extension follows `compressionMode`.
 * Returns `undefined` for an unknown compression mode.
 */
export function stageOutputName(
  parts: OutputNameParts,
  compressionMode?: string | null,
): string | undefined {
  const ext = compressionExtension(compressionMode);
  if (ext === undefined) return undefined;
  return `${parts.target}-${parts.arch}${parts.rel}-${parts.date}${ext}`;
}

/** The `latest` symlink name next to the dated folders: `<target>-<arch><rel>-latest<ext>`. */
export function latestLinkName(parts: Omit<OutputNameParts, "date">, ext: string): string {
  return `${parts.target}-${parts.arch}${parts.rel}-latest${ext}`;
}

/** The pointer file naming the newest output: `latest-<target>-<arch><rel>.txt`. */
export function latestPointerName(parts: Omit<OutputNameParts, "date">): string {
  return `latest-${parts.target}-${parts.arch}${parts.rel}.txt`;
}

/**
 * Catalyst's own `target_subpath`, `<rel_type>/<target>-<subarch>-<version_stamp>` (the output
 * path under `builds/` without extension), or `undefined` when a part is missing or not a single
 * token.
 */
export function catalystTargetSubpath(
  values: Readonly<Record<string, string | readonly string[] | null>>,
): string | undefined {
  const get = (k: string): string | undefined => {
    const v = values[k];
    return typeof v === "string" ? v : undefined;
  };
  const rel = get("rel_type");
  const target = get("target");
  const subarch = get("subarch");
  const stamp = get("version_stamp");
  if (rel === undefined || target === undefined || subarch === undefined || stamp === undefined) {
    return undefined;
  }
  return `${rel}/${target}-${subarch}-${stamp}`;
}
