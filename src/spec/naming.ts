/**
 * Output naming, pure: substrate's release-name suffix `rel`, and the names of
 * stage outputs and `latest` pointers (`stage3-amd64-roflmaos-20261126.tar.xz`).
 * The extension of each compression mode is `compression.ts`'s.
 */
import { compressionExtension } from "./compression.js";

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
