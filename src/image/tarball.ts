/**
 * Stage tarballs: packing a root into a compressed tar and unpacking one, with catalyst's
 * `compression_mode` names (plus `zstd`, a substrate addition; the names and file extensions are
 * `spec/compression.ts`'s table). GNU tar runs
 * the (multi-threaded where possible) compressor itself through `--use-compress-program`, so data
 * streams through a pipe and no uncompressed tar ever lands on disk. Packing is reproducible:
 * entries sorted by name, mtimes clamped to SOURCE_DATE_EPOCH, numeric owners, no atime/ctime,
 * and compressor settings whose output does not depend on the number of threads.
 * Extended attributes, ACLs, device nodes, owners and set-id bits are kept.
 */
import { renameSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describeFailure, onPath, run } from "../sandbox/process.js";
import {
  type TarballMode,
  TARBALL_MODES,
  baseCompressionMode,
  isTarballMode,
  tarballModeForFile,
} from "../spec/compression.js";
import { type Result, ok, err } from "../util/result.js";
import type { FailureOf } from "../report/failure.js";

/**
 * The compressor argv for a mode (for tar's `--use-compress-program`), or undefined for `tar`.
 * Thread settings keep the output identical whatever the thread count: xz uses `-T+N` (always
 * the block-splitting multi-threaded format, even with one thread), zstd's workers are
 * deterministic, lbzip2 and pixz cut blocks independently of their thread count.
 */
export function compressorFor(mode: TarballMode, jobs: number): string[] | undefined {
  const n = String(Math.max(1, jobs));
  switch (mode) {
    case "lbzip2":
      return ["lbzip2", "-n", n, "-9"];
    case "bzip2":
      return ["bzip2", "-9"];
    case "pixz":
      return ["pixz", "-p", n];
    case "xz":
      return ["xz", `-T+${n}`, "-6"];
    case "gzip":
      return ["gzip", "-n"];
    case "zstd":
      return ["zstd", `-T${n}`, "-9", "-q"];
    case "tar":
      return undefined;
    case "lzip":
      return ["lzip", "-9"];
    case "lzma":
      return ["xz", "--format=lzma", "-6"];
    case "lzop":
      return ["lzop", "-9"];
  }
}

/**
 * The decompressor argv for a mode, preferring the parallel tool when it is installed (lbzip2
 * for bzip2 data, pixz or xz -T for xz). Undefined for plain `tar`.
 */
export function decompressorFor(
  mode: TarballMode,
  jobs: number,
  has: (command: string) => boolean = onPath,
): string[] | undefined {
  const n = String(Math.max(1, jobs));
  switch (mode) {
    case "lbzip2":
    case "bzip2":
      return has("lbzip2") ? ["lbzip2", "-d", "-n", n] : ["bzip2", "-d"];
    case "pixz":
    case "xz":
      return ["xz", "-d", `-T${n}`];
    case "gzip":
      return ["gzip", "-d"];
    case "zstd":
      return ["zstd", "-d", "-q"];
    case "tar":
      return undefined;
    case "lzip":
      return ["lzip", "-d"];
    case "lzma":
      return ["xz", "--format=lzma", "-d"];
    case "lzop":
      return ["lzop", "-d"];
  }
}

/** The host packages that provide each mode's tool, for messages and `substrate doctor`. */
export const MODE_PACKAGES: Readonly<Record<TarballMode, string>> = {
  lbzip2: "lbzip2",
  bzip2: "bzip2",
  pixz: "pixz",
  xz: "xz-utils",
  gzip: "gzip",
  zstd: "zstd",
  tar: "tar",
  lzip: "lzip",
  lzma: "xz-utils",
  lzop: "lzop",
};

/** Why a pack or unpack failed. */
export type TarballFailure = FailureOf<
  "unknown-mode" | "unknown-format" | "missing-tool" | "command-failed" | "cancelled" | "io-error"
>;

/** What {@link packTarball} needs. */
export interface PackOptions {
  /** The folder whose contents become the tarball's `./`. */
  readonly source: string;
  /** The tarball's path. It appears only when complete (written as `<output>.partial` first). */
  readonly output: string;
  /** A `compression_mode` value (`xz`, `pixz`, `lbzip2`, `bzip2`, `gzip`, `zstd`, `tar`, ...). */
  readonly mode: string;
  /** Every mtime later than this is clamped to it. */
  readonly sourceDateEpoch: number;
  readonly logFile?: string;
  readonly signal?: AbortSignal;
  /** Compressor threads (default: the number of CPUs). */
  readonly jobs?: number;
}

/** What {@link unpackTarball} needs. */
export interface UnpackOptions {
  readonly input: string;
  /** An existing folder to unpack into. */
  readonly dest: string;
  /** Override the mode found from the file name. */
  readonly mode?: string;
  readonly logFile?: string;
  readonly signal?: AbortSignal;
  readonly jobs?: number;
}

/** tar options shared by pack and unpack: keep every attribute, by number. */
const ATTRIBUTE_OPTIONS = ["--xattrs", "--xattrs-include=*", "--acls", "--numeric-owner"];

/** The full tar argv for packing (exported for tests and `--dry-run` style output). */
export function packArgv(opts: {
  readonly source: string;
  readonly output: string;
  readonly mode: TarballMode;
  readonly sourceDateEpoch: number;
  readonly jobs: number;
}): string[] {
  const compressor = compressorFor(opts.mode, opts.jobs);
  return [
    "tar",
    "--create",
    `--file=${opts.output}`,
    `--directory=${opts.source}`,
    "--format=pax",
    ...ATTRIBUTE_OPTIONS,
    "--sort=name",
    `--mtime=@${opts.sourceDateEpoch}`,
    "--clamp-mtime",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "--one-file-system",
    ...(compressor === undefined ? [] : [`--use-compress-program=${compressor.join(" ")}`]),
    ".",
  ];
}

/** The full tar argv for unpacking. */
export function unpackArgv(opts: {
  readonly input: string;
  readonly dest: string;
  readonly mode: TarballMode;
  readonly jobs: number;
  readonly has?: (command: string) => boolean;
}): string[] {
  const decompressor = decompressorFor(opts.mode, opts.jobs, opts.has);
  return [
    "tar",
    "--extract",
    `--file=${opts.input}`,
    `--directory=${opts.dest}`,
    ...ATTRIBUTE_OPTIONS,
    "--preserve-permissions",
    "--same-owner",
    ...(decompressor === undefined ? [] : [`--use-compress-program=${decompressor.join(" ")}`]),
  ];
}

function missingTool(tool: string, mode: TarballMode): TarballFailure {
  return {
    reason: "missing-tool",
    message: `compression mode ${mode} needs \`${tool}\`, which is not installed (apt-get install ${MODE_PACKAGES[mode]})`,
  };
}

/**
 * Packs `source` into `output`. The tarball is written as `<output>.partial` and renamed into
 * place only when tar and the compressor both succeeded; on failure or cancellation the partial
 * file is removed, so `output` is either complete or absent.
 */
export async function packTarball(opts: PackOptions): Promise<Result<string, TarballFailure>> {
  const mode = baseCompressionMode(opts.mode);
  if (mode === undefined || !isTarballMode(mode)) {
    return err({
      reason: "unknown-mode",
      message: `compression_mode ${opts.mode} does not make a tarball; use one of ${TARBALL_MODES.join(", ")}`,
    });
  }
  const jobs = opts.jobs ?? availableParallelism();
  const tool = compressorFor(mode, jobs)?.[0];
  if (tool !== undefined && !onPath(tool)) return err(missingTool(tool, mode));
  try {
    if (!statSync(opts.source).isDirectory()) throw new Error("not a directory");
  } catch {
    return err({ reason: "io-error", message: `${opts.source} is not a folder to pack` });
  }
  const partial = `${opts.output}.partial`;
  rmSync(partial, { force: true });
  const r = await run({
    argv: packArgv({
      source: opts.source,
      output: partial,
      mode,
      sourceDateEpoch: opts.sourceDateEpoch,
      jobs,
    }),
    ...(opts.logFile === undefined ? {} : { logFile: opts.logFile }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  if (!r.ok) {
    rmSync(partial, { force: true });
    return err({
      reason: r.error.reason === "cancelled" ? "cancelled" : "command-failed",
      message: `packing ${opts.output}: ${describeFailure(r.error)}`,
      ...("tail" in r.error ? { tail: r.error.tail } : {}),
    });
  }
  try {
    renameSync(partial, opts.output);
  } catch (e) {
    rmSync(partial, { force: true });
    return err({ reason: "io-error", message: `cannot move ${partial} into place: ${String(e)}` });
  }
  return ok(opts.output);
}

/**
 * Unpacks `input` into `dest` keeping owners, modes, xattrs, ACLs and device nodes. The mode comes
 * from the file name (`.tar.xz`, `.tar.bz2`, `.tar.gz`, `.tar.zst`, `.tar`, ...) unless given.
 */
export async function unpackTarball(opts: UnpackOptions): Promise<Result<void, TarballFailure>> {
  let mode: TarballMode | undefined;
  if (opts.mode !== undefined) {
    const parsed = baseCompressionMode(opts.mode);
    mode = parsed !== undefined && isTarballMode(parsed) ? parsed : undefined;
    if (mode === undefined) {
      return err({
        reason: "unknown-mode",
        message: `${opts.mode} is not a tarball compression mode`,
      });
    }
  } else {
    mode = tarballModeForFile(opts.input);
    if (mode === undefined) {
      return err({
        reason: "unknown-format",
        message: `${opts.input} is not a tarball substrate can read (.tar, .tar.xz, .tar.bz2, .tar.gz, .tar.zst, ...)`,
      });
    }
  }
  const jobs = opts.jobs ?? availableParallelism();
  const tool = decompressorFor(mode, jobs)?.[0];
  if (tool !== undefined && !onPath(tool)) return err(missingTool(tool, mode));
  const r = await run({
    argv: unpackArgv({ input: opts.input, dest: opts.dest, mode, jobs }),
    ...(opts.logFile === undefined ? {} : { logFile: opts.logFile }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  if (!r.ok) {
    return err({
      reason: r.error.reason === "cancelled" ? "cancelled" : "command-failed",
      message: `unpacking ${opts.input}: ${describeFailure(r.error)}`,
      ...("tail" in r.error ? { tail: r.error.tail } : {}),
    });
  }
  return ok(undefined);
}
